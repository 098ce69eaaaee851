/**
 * The request path for the model endpoints, as one chain: authenticate → validate → cache → admit →
 * attempts (attempts.ts) → respond (respond.ts) → settle and record (usage/usage-event.ts). This file only
 * orchestrates; each step's code lives in the step's folder. One ModelRequest per request carries the state,
 * and every continuation runs inside the request's error boundary (an unexpected throw answers 500 to this
 * request only, see error-boundary.ts).
 */
import { admitRequest, promptOf, servableModels } from '../admission/admit.js';
import type { AdmissionTicket } from '../admission/index.js';
import type { Principal } from '../auth/principal.js';
import { assertModelAllowed } from '../auth/virtual-keys.js';
import { CACHE_HEADER, SseRecorder, cacheDirectives, cacheKey, type CachedResponse } from '../cache/index.js';
import { GatewayError, InternalError, ModelNotFound, toGatewayError } from '../errors/catalogue.js';
import { formatUsd } from '../pricing/index.js';
import type { Operation, TranslatedResponse, Usage } from '../providers/adapter.js';
import { usageFromJson } from '../providers/openai/usage.js';
import { countTextTokens } from '../tokens/index.js';
import { recordUsage } from '../usage/usage-event.js';
import { AttemptRunner, type AttemptHost } from './attempts.js';
import type { ClientExchange, HeaderList } from './client-exchange.js';
import type { Gateway } from './context.js';
import type { Ingress } from './ingress.js';
import { ResponseShaper } from './respond.js';
import { parseRequestBody, type ParsedRequest } from './validate.js';

const NO_USAGE = Object.freeze({ promptTokens: 0, completionTokens: 0, costUsd: 0 });

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | undefined)?.then === 'function';
}

/** Whether this client gets no usage chunk (it streams without stream_options.include_usage). */
function stripsUsage(parsed: ParsedRequest): boolean {
  const so = parsed.body.stream_options as { include_usage?: unknown } | undefined;
  return parsed.stream && so?.include_usage !== true;
}

export class ModelRequest implements AttemptHost {
  private principal: Principal | undefined;
  private model = '';
  private stream = false;
  private parsed: ParsedRequest | undefined;
  private raw: Buffer | undefined;
  /** The models this request may be served by (the requested one first), after the key's list and prices. */
  private models: readonly string[] = [];
  private ticket: AdmissionTicket | undefined;
  private runner: AttemptRunner | undefined;
  private shaper: ResponseShaper | undefined;
  private usage: Usage | undefined;
  private usageCounted = false;
  private errorCode: string | undefined;
  /** performance.now() when the first byte of the response went to the client. */
  private firstByteAt = 0;
  /** Response cache: the entry key when this model caches and the answer may be stored. */
  private cacheKey: string | undefined;
  private cacheState: 'hit' | 'miss' | 'bypass' | undefined;
  private cacheTtl: number | undefined;
  private sseRecorder: SseRecorder | undefined;
  /** cost() of `costOf` (the usage it was computed for): the header and the settlement share one pricing. */
  private costOf: Usage | undefined;
  private costValue: number | undefined;
  private ended = false;

  constructor(
    readonly gw: Gateway,
    readonly ex: ClientExchange,
    private readonly op: Operation,
    /** The client's API when it is not OpenAI's (requests are translated to canonical OpenAI chat). */
    private readonly ingress: Ingress | undefined,
    /** The request's `cache-control` header. */
    private readonly cacheControl: string | undefined,
  ) {
    gw.inflight.begin();
    ex.onAbort(() => {
      try {
        this.runner?.abort();
        this.finish();
      } catch (err) {
        gw.boundary.internal(err, ex.requestId, 'abort');
      }
    });
  }

  // ── error boundary ────────────────────────────────────────────────────────────────────────────────

  /** A continuation inside this request's boundary: catalogue errors are answered, anything else is a crash. */
  guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      try {
        fn.apply(this, a);
      } catch (err) {
        if (err instanceof GatewayError) this.failed(err);
        else this.crash(err);
      }
    };
  }

  /** An error nobody expected: logged with its stack, counted, 500 internal_error (or an in-band stream error). */
  crash(err: unknown): void {
    this.gw.boundary.internal(err, this.ex.requestId);
    try {
      this.failed(new InternalError());
    } catch (again) {
      this.gw.boundary.internal(again, this.ex.requestId, 'error-response');
      try {
        this.runner?.abort();
        this.ex.sendError(new InternalError(), true);
        this.finish();
      } catch {
        /* counted above; nothing more can be done for this request */
      }
    }
  }

  // ── authenticate → validate → cache → admit ───────────────────────────────────────────────────────

  run(token: string | undefined, raw: Buffer): void {
    try {
      const p = this.gw.auth.authenticate(token);
      if (isPromise(p)) p.then(this.guard((principal: Principal) => this.validate(principal, raw)), this.guard((err: unknown) => this.failed(err)));
      else this.validate(p, raw);
    } catch (err) {
      this.failed(err);
    }
  }

  /** The request was refused before it was read (too large). */
  reject(err: GatewayError): void {
    this.failed(err);
  }

  private validate(principal: Principal, raw: Buffer): void {
    if (this.ex.finished) return this.finish();
    this.principal = principal;
    const parsed = this.ingress ? this.ingress.parse(raw) : parseRequestBody(raw, this.op);
    // Adapters may forward the raw bytes as they are: after a translation those are the canonical body's.
    if (this.ingress) raw = Buffer.from(JSON.stringify(parsed.body));
    this.model = parsed.model;
    this.stream = parsed.stream;
    // An unknown model is 404 for every key; 403 only for a model that exists and the key may not use.
    const entry = this.gw.catalog.get(parsed.model);
    if (!entry) throw new ModelNotFound(parsed.model);
    assertModelAllowed(principal, parsed.model);
    this.models = servableModels(principal, parsed.model, this.gw.catalog.reachable(parsed.model), this.gw.estimatePrice);
    this.parsed = parsed;
    this.raw = raw;
    this.shaper = new ResponseShaper(this.ingress, parsed.model, stripsUsage(parsed));
    this.cacheTtl = entry.cacheTtlSeconds;
    if (this.cacheTtl && this.gw.cache) return this.lookupCache(principal, parsed);
    this.admit(principal, parsed);
  }

  /** Exact-match response cache: a hit is answered at once and costs nothing against limits or budgets. */
  private lookupCache(principal: Principal, parsed: ParsedRequest): void {
    const directives = cacheDirectives(this.cacheControl);
    // Entries never cross teams (or keys without a team): a cached answer can carry the asker's data.
    const namespace = principal.team?.id ?? principal.keyId ?? 'master';
    const key = cacheKey(parsed.body, { namespace, operation: `${this.ingress?.name ?? 'openai'}/${this.op}` });
    if (directives.write) this.cacheKey = key;
    if (!directives.read) {
      this.cacheState = 'bypass';
      return this.admit(principal, parsed);
    }
    this.cacheState = 'miss';
    this.gw.cache!.lookup(key).then(
      this.guard((hit: CachedResponse | undefined) => (hit ? this.replay(hit) : this.admit(principal, parsed))),
      this.guard(() => this.admit(principal, parsed)),
    );
  }

  private replay(entry: CachedResponse): void {
    if (this.ex.finished) return this.finish();
    this.cacheState = 'hit';
    this.cacheKey = undefined;
    const headers: HeaderList = [[CACHE_HEADER, 'hit']];
    this.firstByteAt = performance.now();
    if (entry.kind === 'json') {
      this.usage = usageFromJson(Buffer.from(entry.body));
      this.ex.sendJson(200, this.shaper!.json(entry.body), headers);
      return this.finish();
    }
    // The stored stream is the canonical one (usage chunk included): shaped for this client as a live one.
    const out = this.shaper!.replay(entry.body);
    this.ex.startStream(headers);
    this.ex.endStream(out);
    this.finish();
  }

  private admit(principal: Principal, parsed: ParsedRequest): void {
    if (this.ex.finished) return this.finish();
    const ticket = admitRequest({
      admission: this.gw.admission,
      principal,
      requestId: this.ex.requestId,
      op: this.op,
      model: parsed.model,
      models: this.models,
      body: parsed.body,
      prices: this.gw.estimatePrice,
      defaultMaxTokens: this.gw.settings.defaultMaxTokens,
    });
    if (isPromise(ticket)) ticket.then(this.guard((t: AdmissionTicket) => this.attempt(t)), this.guard((err: unknown) => this.failed(err)));
    else this.attempt(ticket);
  }

  // ── attempts ─────────────────────────────────────────────────────────────────────────────────────

  private attempt(ticket: AdmissionTicket | undefined): void {
    this.ticket = ticket;
    if (this.ex.finished) {
      // The client left while admission was pending: release the reservation now, not at its lease's end.
      void ticket?.settle(NO_USAGE);
      return this.finish();
    }
    const parsed = this.parsed!;
    if (stripsUsage(parsed)) {
      // Ask the upstream for usage anyway (limits and spend settle on it); the shaper strips it for the client.
      const so = parsed.body.stream_options;
      parsed.body.stream_options = { ...(so && typeof so === 'object' ? so : {}), include_usage: true };
      this.raw = Buffer.from(JSON.stringify(parsed.body));
    }
    this.runner = new AttemptRunner(this, this.op, this.stream, parsed.model, parsed.body, this.raw!);
    const models = this.models;
    // Fallbacks the key may not use (or, for a budget, that have no price) are never attempted.
    this.runner.start(models.length < this.gw.catalog.reachable(parsed.model).length ? (m) => models.includes(m) : undefined);
  }

  // ── respond (AttemptHost) ────────────────────────────────────────────────────────────────────────

  streamStarted(): void {
    if (this.cacheKey) this.sseRecorder = new SseRecorder();
    this.shaper!.startStream();
    this.ex.startStream(this.responseHeaders());
    this.firstByteAt = performance.now();
    this.gw.heartbeats.add(this.ex);
  }

  streamData(canonical: Buffer | string): boolean {
    this.sseRecorder?.push(canonical);
    const out = this.shaper!.push(canonical);
    return out.length === 0 || this.ex.write(out);
  }

  streamEnded(canonicalTail: Buffer | string): void {
    this.gw.heartbeats.delete(this.ex);
    if (this.sseRecorder) {
      this.sseRecorder.push(canonicalTail);
      const entry = this.sseRecorder.finish();
      if (entry && this.cacheKey) void this.gw.cache!.store(this.cacheKey, entry, this.cacheTtl!);
    }
    this.ex.endStream(this.shaper!.end(canonicalTail));
    this.finish();
  }

  shapeJson(canonical: Buffer | string): Buffer | string {
    return this.shaper!.json(canonical);
  }

  answered(out: Buffer | string, translated: TranslatedResponse): void {
    this.firstByteAt = performance.now();
    if (this.cacheKey) {
      const body = typeof translated.body === 'string' ? translated.body : translated.body.toString('utf8');
      void this.gw.cache!.store(this.cacheKey, { kind: 'json', body, contentType: 'application/json', createdAt: Date.now() }, this.cacheTtl!);
    }
    this.ex.sendJson(200, out, this.responseHeaders(this.cost(translated.usage)));
    this.finish();
  }

  private responseHeaders(cost?: number): HeaderList {
    const r = this.runner!;
    const h: HeaderList = [
      ['x-skyway-deployment', r.deployment!.id],
      ['x-skyway-attempts', String(r.attempts)],
    ];
    if (r.servedModel !== this.model) h.push(['x-skyway-fallback-model', r.servedModel]);
    if (this.cacheState) h.push([CACHE_HEADER, this.cacheState]);
    if (cost !== undefined) h.push(['x-skyway-cost-usd', formatUsd(cost)]);
    if (this.ticket) for (const name in this.ticket.headers) h.push([name, this.ticket.headers[name]!]);
    return h;
  }

  failed(err: unknown): void {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) this.gw.boundary.internal(err, this.ex.requestId);
    this.errorCode = e.code;
    const shaper = this.shaper ?? new ResponseShaper(this.ingress, this.model, false);
    if (this.ex.streaming) {
      // Headers are gone: tell the client in-band, as OpenAI does, then end the stream.
      this.gw.heartbeats.delete(this.ex);
      this.ex.endStream(shaper.streamError(e));
    } else {
      // After routing, errors say which deployment answered last and after how many attempts (as successes do).
      const headers: HeaderList = e.headers ? Object.entries(e.headers) : [];
      const r = this.runner;
      if (r?.deployment && r.attempts > 0) headers.push(['x-skyway-deployment', r.deployment.id], ['x-skyway-attempts', String(r.attempts)]);
      this.ex.sendJson(e.status, shaper.errorBody(e), headers);
    }
    this.finish();
  }

  // ── settle and record ────────────────────────────────────────────────────────────────────────────

  /** The request's cost, priced as the model that answered (after a fallback, not the one asked for). */
  private cost(usage: Usage | undefined): number | undefined {
    const d = this.runner?.deployment;
    if (!usage || !d) return undefined;
    if (this.costOf !== usage) {
      this.costValue = this.gw.prices.costOf(usage, d, this.runner!.servedModel);
      this.costOf = usage;
    }
    return this.costValue;
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.gw.inflight.end();
    const r = this.runner;
    this.usage ??= r?.usage ?? r?.translator?.usage;
    if (!this.usage && r?.completionText && this.parsed) {
      // A stream without usage (the upstream ignores include_usage, or the stream was cut): count it, so limits,
      // budgets and spend are not undercounted. Off the response path: the client already has every byte.
      return void this.countUsage(r).then(
        () => this.settleSafely(),
        () => this.settleSafely(),
      );
    }
    this.settleSafely();
  }

  private async countUsage(r: AttemptRunner): Promise<void> {
    const model = r.servedModel;
    const [prompt, completion] = await Promise.all([promptOf(this.op, model, this.parsed!.body), countTextTokens(model, r.completionText!.text())]);
    this.usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
    this.usageCounted = true;
  }

  /** Settlement and the usage event run after the answer: a failure there is logged and counted, never thrown. */
  private settleSafely(): void {
    try {
      const u = this.usage;
      const cost = this.cost(u) ?? 0;
      if (this.ticket) void this.ticket.settle({ promptTokens: u?.promptTokens ?? 0, completionTokens: u?.completionTokens ?? 0, costUsd: cost });
      const ex = this.ex;
      const now = performance.now();
      const r = this.runner;
      recordUsage(
        { usage: this.gw.usage, logger: this.gw.logger, region: this.gw.settings.region, accessLog: this.gw.settings.accessLog },
        {
          requestId: ex.requestId,
          op: this.op,
          model: this.model,
          principal: this.principal,
          deployment: r?.deployment,
          status: ex.status,
          errorCode: this.errorCode,
          stream: this.stream,
          attempts: r?.attempts ?? 0,
          cacheHit: this.cacheState === 'hit',
          usageCounted: this.usageCounted,
          usage: u,
          costUsd: cost,
          totalMs: now - ex.startedAt,
          overheadMs: ex.overheadMs(now),
          upstreamMs: ex.upstreamMs,
          ttfbMs: this.firstByteAt ? this.firstByteAt - ex.startedAt : null,
        },
      );
    } catch (err) {
      this.gw.boundary.internal(err, this.ex.requestId, 'settle');
    }
  }
}

/** Creates the request as soon as the route matched, so an abort during body reading is accounted for. */
export function beginModelRequest(
  gw: Gateway,
  ex: ClientExchange,
  op: Operation,
  ingress: Ingress | undefined,
  cacheControl: string | undefined,
): { run(token: string | undefined, body: Buffer): void; reject(err: GatewayError): void } {
  return new ModelRequest(gw, ex, op, ingress, cacheControl);
}
