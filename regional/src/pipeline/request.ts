/**
 * The request path for the model endpoints, as one chain: authenticate → validate → cache → admit →
 * attempts (attempts.ts) → respond (respond.ts) → settle and record (usage/usage-event.ts). This file only
 * orchestrates; each step's code lives in the step's folder, and the steps every model request shares (the
 * media requests too) in spine.ts. One ModelRequest per request carries the state, and every continuation runs
 * inside the request's error boundary (an unexpected throw answers 500 to this request only, see
 * error-boundary.ts).
 */
import { admitRequest, servableModels } from '../admission/admit.js';
import type { Principal } from '../auth/principal.js';
import { assertServedHere } from '../auth/residency.js';
import { CACHE_HEADER, RequestCache, type CachedResponse } from '../cache/index.js';
import type { GatewayError } from '../errors/catalogue.js';
import type { Operation, TranslatedResponse, Usage } from '../providers/adapter.js';
import { usageFromJson } from '../providers/openai/usage.js';
import { AttemptRunner, type AttemptHost } from './attempts.js';
import type { ClientExchange, HeaderList } from './client-exchange.js';
import type { Gateway } from './context.js';
import type { Ingress } from './ingress.js';
import type { UsagePayload } from '../usage/event.js';
import { ResponseShaper } from './respond.js';
import { SpineRequest } from './spine.js';
import { parseRequestBody, type ParsedRequest } from './validate.js';

/** Whether this client gets no usage chunk (it streams without stream_options.include_usage). */
function stripsUsage(parsed: ParsedRequest): boolean {
  const so = parsed.body.stream_options as { include_usage?: unknown } | undefined;
  return parsed.stream && so?.include_usage !== true;
}

export class ModelRequest extends SpineRequest implements AttemptHost {
  private stream = false;
  private parsed: ParsedRequest | undefined;
  private raw: Buffer | undefined;
  /** The models this request may be served by (the requested one first), after the key's list and prices. */
  private models: readonly string[] = [];
  private runner: AttemptRunner | undefined;
  private shaper: ResponseShaper | undefined;
  private usage: Usage | undefined;
  private usageCounted = false;
  /** Set when this model caches responses. */
  private cache: RequestCache | undefined;
  /** The request as it came (before any attempt rewrote it) and the canonical JSON answer: kept only when the principal archives payloads. */
  private archivedRequest: Buffer | undefined;
  private archivedResponse: Buffer | string | undefined;

  constructor(
    gw: Gateway,
    ex: ClientExchange,
    private readonly op: Operation,
    /** The client's API when it is not OpenAI's (requests are translated to canonical OpenAI chat). */
    private readonly ingress: Ingress | undefined,
    /** The request's `cache-control` header. */
    private readonly cacheControl: string | undefined,
  ) {
    super(gw, ex);
  }

  protected abortUpstream(): void {
    this.runner?.abort();
  }

  // ── authenticate → validate → cache → admit ───────────────────────────────────────────────────────

  run(token: string | undefined, raw: Buffer): void {
    this.guard(() => this.authenticate(token, (principal) => this.validate(principal, raw)))();
  }

  /** The request was refused before it was read (too large). */
  reject(err: GatewayError): void {
    this.guard(() => this.failed(err))();
  }

  private validate(principal: Principal, raw: Buffer): void {
    if (this.ex.finished) return this.finish();
    this.principal = principal;
    assertServedHere(principal, this.gw.settings.region);
    const parsed = this.ingress ? this.ingress.parse(raw) : parseRequestBody(raw, this.op);
    // Adapters may forward the raw bytes as they are: after a translation those are the canonical body's.
    if (this.ingress) raw = Buffer.from(JSON.stringify(parsed.body));
    this.model = parsed.model;
    this.stream = parsed.stream;
    const entry = this.modelEntry(principal, parsed.model);
    this.models = servableModels(principal, parsed.model, this.gw.catalog.reachable(parsed.model), this.gw.estimatePrice);
    this.parsed = parsed;
    this.raw = raw;
    this.shaper = new ResponseShaper(this.ingress, parsed.model, stripsUsage(parsed), parsed);
    if (entry.cacheTtlSeconds && this.gw.cache) return this.lookupCache(principal, parsed, new RequestCache(this.gw.cache, entry.cacheTtlSeconds));
    this.admit(principal, parsed);
  }

  /** Exact-match response cache: a hit is answered at once and costs nothing against limits or budgets. */
  private lookupCache(principal: Principal, parsed: ParsedRequest, cache: RequestCache): void {
    this.cache = cache;
    // Entries never cross teams (or keys without a team): a cached answer can carry the asker's data.
    const namespace = principal.team?.id ?? principal.keyId ?? 'master';
    const key = cache.lookupKey(parsed.body, namespace, `${this.ingress?.name ?? 'openai'}/${this.op}`, this.cacheControl);
    if (key === undefined) return this.admit(principal, parsed);
    this.gw.cache!.lookup(key).then(
      this.guard((hit: CachedResponse | undefined) => (hit ? this.replay(hit) : this.admit(principal, parsed))),
      this.guard(() => this.admit(principal, parsed)),
    );
  }

  private replay(entry: CachedResponse): void {
    if (this.ex.finished) return this.finish();
    this.cache!.hit();
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
    this.afterAdmission(ticket, () => this.attempt());
  }

  // ── attempts ─────────────────────────────────────────────────────────────────────────────────────

  private attempt(): void {
    const parsed = this.parsed!;
    // A reference, not a copy: the attempts rewrite the parsed body (model, stream options), never these bytes.
    if (this.principal?.archivePayloads) this.archivedRequest = this.raw;
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
    this.cache?.startStream();
    this.shaper!.startStream();
    this.ex.startStream(this.responseHeaders());
    this.firstByteAt = performance.now();
    this.gw.heartbeats.add(this.ex);
  }

  streamData(canonical: Buffer | string): boolean {
    this.cache?.streamData(canonical);
    const out = this.shaper!.push(canonical);
    return out.length === 0 || this.ex.write(out);
  }

  streamEnded(canonicalTail: Buffer | string): void {
    this.gw.heartbeats.delete(this.ex);
    this.cache?.endStream(canonicalTail);
    this.ex.endStream(this.shaper!.end(canonicalTail));
    this.finish();
  }

  shapeJson(canonical: Buffer | string): Buffer | string {
    return this.shaper!.json(canonical);
  }

  answered(out: Buffer | string, translated: TranslatedResponse): void {
    this.firstByteAt = performance.now();
    if (this.principal?.archivePayloads) this.archivedResponse = translated.body;
    this.cache?.storeJson(translated.body);
    if (this.ingress?.usage && this.parsed) this.usage = this.ingress.usage(translated.body, this.parsed, translated.usage);
    this.ex.sendJson(200, out, this.responseHeaders(this.cost(this.usage ?? translated.usage)));
    this.finish();
  }

  private responseHeaders(costUsd?: number): HeaderList {
    const r = this.runner!;
    return this.answerHeaders({ deployment: r.deployment!, attempts: r.attempts, servedModel: r.servedModel, cacheState: this.cache?.state, costUsd });
  }

  failed(err: unknown): void {
    const e = this.errorOf(err);
    this.errorCode = e.code;
    const shaper = this.shaper ?? new ResponseShaper(this.ingress, this.model, false);
    if (this.ex.streaming) {
      // Headers are gone: tell the client in-band, as OpenAI does, then end the stream.
      this.gw.heartbeats.delete(this.ex);
      this.ex.endStream(shaper.streamError(e));
    } else {
      // After routing, errors say which deployment answered last and after how many attempts (as successes do).
      this.ex.sendJson(e.status, shaper.errorBody(e), this.errorHeaders(e, this.runner?.deployment, this.runner?.attempts ?? 0));
    }
    this.finish();
  }

  // ── settle and record ────────────────────────────────────────────────────────────────────────────

  private cost(usage: Usage | undefined): number | undefined {
    return this.runner?.cost(usage);
  }

  protected settle(): void {
    const r = this.runner;
    this.usage ??= r?.usage ?? r?.translator?.usage;
    if (!this.usage && r?.completionText && this.parsed) {
      // A stream without usage (the upstream ignores include_usage, or the stream was cut): count it, so limits,
      // budgets and spend are not undercounted. Off the response path: the client already has every byte.
      return void r.countUsage().then(
        (counted) => {
          this.usage = counted;
          this.usageCounted = true;
          this.settleSafely();
        },
        () => this.settleSafely(),
      );
    }
    this.settleSafely();
  }

  private settleSafely(): void {
    const r = this.runner;
    const u = this.usage;
    this.record({
      op: this.op,
      model: this.model,
      principal: this.principal,
      deployment: r?.deployment,
      errorCode: this.errorCode,
      stream: this.stream,
      attempts: r?.attempts ?? 0,
      cacheHit: this.cache?.state === 'hit',
      usageCounted: this.usageCounted,
      usage: u,
      costUsd: this.cost(u) ?? 0,
      costByKind: u ? this.runner?.costByKind(u) : undefined,
      firstByteAt: this.firstByteAt,
      attemptLog: r?.log,
      payload: this.principal?.archivePayloads && this.parsed ? this.payload() : undefined,
    });
  }

  /** What the payload archive keeps (opted-in principals only): the request body and the answer. */
  private payload(): UsagePayload {
    let response: unknown = null;
    if (this.archivedResponse !== undefined) {
      try {
        response = JSON.parse(String(this.archivedResponse));
      } catch {
        response = String(this.archivedResponse);
      }
    } else if (this.runner?.completionText) response = { stream: true, text: this.runner.completionText.text() };
    else if (this.errorCode) response = { error: { code: this.errorCode } };
    let request: unknown = this.parsed!.body;
    try {
      if (this.archivedRequest) request = JSON.parse(this.archivedRequest.toString('utf8'));
    } catch {
      /* keep the parsed body */
    }
    return { request, response };
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
