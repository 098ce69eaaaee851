/**
 * The request path for the model endpoints: authenticate → validate → admit → route (attempts with retries,
 * fallbacks and cooldowns) → call the provider → return JSON or stream SSE → settle → usage event and log.
 * One ProxyRequest object per request carries the state (no closure chains).
 */
import type { AdmissionTicket } from '../admission/index.js';
import type { Principal } from '../auth/principal.js';
import { assertModelAllowed } from '../auth/virtual-keys.js';
import { CACHE_HEADER, SseRecorder, cacheDirectives, cacheKey, type CachedResponse } from '../cache/index.js';
import { GatewayError, ModelNotFound, UpstreamTimeout, UpstreamUnavailable, toGatewayError } from '../errors/catalogue.js';
import type { Exchange, HeaderList } from '../http/exchange.js';
import { formatUsd } from '../pricing/index.js';
import type { Deployment, Operation, ProviderAdapter, RequestContext, StreamTranslator, UpstreamRequest, Usage } from '../providers/adapter.js';
import { usageFromJson } from '../providers/openai/usage.js';
import { adapterFor } from '../providers/registry.js';
import { outcomeFromError, type Attempt, type Outcome, type Plan } from '../routing/index.js';
import { UsageChunkFilter } from '../stream/strip-usage.js';
import { ClientAborted, UpstreamCall, type UpstreamSink } from '../upstream/call.js';
import { countTextTokens } from '../tokens/index.js';
import { CompletionText } from '../stream/completion-text.js';
import { admitRequest, promptOf } from './admit.js';
import type { Gateway } from './context.js';
import type { Ingress, IngressStream } from './ingress.js';
import { errorForPlanFailure } from './plan-errors.js';
import { recordUsage } from './usage-event.js';
import { parseRequestBody, type ParsedRequest } from './validate.js';

type Headers = Record<string, string | string[] | undefined>;

/** What the router learns from a failed attempt. */
function failureOutcome(err: unknown, afterFirstByte: boolean): Extract<Outcome, { ok: false }> {
  const o = outcomeFromError(err, afterFirstByte);
  return o.ok ? { ok: false, kind: 'server' } : o;
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | undefined)?.then === 'function';
}

export class ProxyRequest implements UpstreamSink {
  principal: Principal | undefined;
  model = '';
  deployment: Deployment | undefined;
  usage: Usage | undefined;
  errorCode: string | undefined;
  stream = false;
  attempts = 0;
  /** performance.now() when the first byte of the response went to the client. */
  firstByteAt = 0;
  private adapter: ProviderAdapter | undefined;
  private ctx: RequestContext | undefined;
  private parsed: ParsedRequest | undefined;
  private raw: Buffer | undefined;
  private plan: Plan | undefined;
  private iterator: AsyncIterator<Attempt> | undefined;
  private attempt: Attempt | undefined;
  private lastError: GatewayError | undefined;
  private call: UpstreamCall | undefined;
  private translator: StreamTranslator | undefined;
  private usageFilter: UsageChunkFilter | undefined;
  private upstreamStatus = 0;
  private upstreamStartedAt = 0;
  private upstreamHeaders: Headers | undefined;
  private ticket: AdmissionTicket | undefined;
  private ingressStream: IngressStream | undefined;
  /** Response cache: the entry key when this model caches and the request may be stored. */
  private cacheKey: string | undefined;
  private cacheState: 'hit' | 'miss' | 'bypass' | undefined;
  /** The model's cache lifetime (seconds), when it caches. */
  private cacheTtl: number | undefined;
  /** cost() of `costOf` (the usage it was computed for): the header and the settlement share one pricing. */
  private costOf: Usage | undefined;
  private costValue: number | undefined;
  private sseRecorder: SseRecorder | undefined;
  /** The generated text of a stream, for counting when the upstream reports no usage. */
  private completionText: CompletionText | undefined;
  /** Usage was counted by the gateway (the upstream reported none). */
  usageCounted = false;
  cacheHit = false;
  private ended = false;

  constructor(
    readonly gw: Gateway,
    readonly ex: Exchange,
    readonly op: Operation,
    /** The client's API when it is not OpenAI's (requests are translated to canonical OpenAI chat). */
    private readonly ingress?: Ingress,
    /** The request's `cache-control` header. */
    private readonly cacheControl?: string,
  ) {
    gw.inflight.begin();
    ex.onAbort(() => {
      this.call?.abort(new ClientAborted());
      this.finish();
    });
  }

  run(token: string | undefined, raw: Buffer): void {
    try {
      const p = this.gw.auth.authenticate(token);
      if (isPromise(p)) p.then((principal) => this.afterAuth(principal, raw), (err) => this.fail(err));
      else this.afterAuth(p, raw);
    } catch (err) {
      this.fail(err);
    }
  }

  /** The request was refused before it was read (too large). */
  reject(err: GatewayError): void {
    this.fail(err);
  }

  private afterAuth(principal: Principal, raw: Buffer): void {
    if (this.ex.finished) return this.finish();
    try {
      this.principal = principal;
      const parsed = this.ingress ? this.ingress.parse(raw) : parseRequestBody(raw, this.op);
      // Adapters may forward the raw bytes as they are: after a translation those are the canonical body's.
      if (this.ingress) raw = Buffer.from(JSON.stringify(parsed.body));
      this.model = parsed.model;
      this.stream = parsed.stream;
      assertModelAllowed(principal, parsed.model);
      const entry = this.gw.catalog.get(parsed.model);
      if (!entry) throw new ModelNotFound(parsed.model);
      this.parsed = parsed;
      this.raw = raw;
      this.cacheTtl = entry.cacheTtlSeconds;
      if (this.cacheTtl && this.gw.cache) return this.lookupCache(principal, parsed);
      this.admit(principal, parsed);
    } catch (err) {
      this.fail(err);
    }
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
      (hit) => (hit ? this.serveCached(hit) : this.admit(principal, parsed)),
      () => this.admit(principal, parsed),
    );
  }

  private serveCached(entry: CachedResponse): void {
    if (this.ex.finished) return this.finish();
    this.cacheHit = true;
    this.cacheState = 'hit';
    this.cacheKey = undefined;
    const headers: HeaderList = [[CACHE_HEADER, 'hit']];
    if (entry.kind === 'json') {
      this.usage = usageFromJson(Buffer.from(entry.body));
      this.firstByteAt = performance.now();
      this.ex.sendJson(200, this.ingress ? this.ingress.response(entry.body, this.model) : entry.body, headers);
      return this.finish();
    }
    // The stored stream is the canonical one (usage chunk included): shape it for this client as a live one.
    let out: Buffer | string = entry.body;
    if (this.usageFilterFor(this.parsed!)) out = new UsageChunkFilter().end(out);
    if (this.ingress) {
      const s = this.ingress.stream(this.model, this.parsed);
      out = s.push(Buffer.from(out)) + s.end();
    }
    this.ex.startStream(headers);
    this.firstByteAt = performance.now();
    this.ex.endStream(out);
    this.finish();
  }

  /** Whether this client gets no usage chunk (it did not ask for stream_options.include_usage). */
  private usageFilterFor(parsed: ParsedRequest): boolean {
    const so = parsed.body.stream_options as { include_usage?: unknown } | undefined;
    return parsed.stream && so?.include_usage !== true;
  }

  private admit(principal: Principal, parsed: ParsedRequest): void {
    if (this.ex.finished) return this.finish();
    try {
      const ticket = admitRequest({
        admission: this.gw.admission,
        principal,
        requestId: this.ex.requestId,
        op: this.op,
        model: parsed.model,
        body: parsed.body,
        prices: this.gw.estimatePrice,
        defaultMaxTokens: this.gw.settings.defaultMaxTokens,
      });
      if (isPromise(ticket)) ticket.then((t) => this.afterAdmission(t), (err) => this.fail(err));
      else this.afterAdmission(ticket);
    } catch (err) {
      this.fail(err);
    }
  }

  private afterAdmission(ticket: AdmissionTicket | undefined): void {
    this.ticket = ticket;
    if (this.ex.finished) return this.finish();
    const parsed = this.parsed!;
    if (this.usageFilterFor(parsed)) {
      // Ask the upstream for usage anyway (limits and spend settle on it) and strip it from the client's stream.
      const so = parsed.body.stream_options;
      parsed.body.stream_options = { ...(so && typeof so === 'object' ? so : {}), include_usage: true };
      this.raw = Buffer.from(JSON.stringify(parsed.body));
      this.usageFilter = new UsageChunkFilter();
    }
    const deadline = this.gw.catalog.deadlineMs;
    this.plan = this.gw.catalog.router.plan(parsed.model, deadline ? { deadline: Date.now() + deadline } : {});
    this.iterator = this.plan[Symbol.asyncIterator]();
    this.nextAttempt();
  }

  /** Ask the router for the next attempt (the first, or a retry/fallback after a failure). */
  private nextAttempt(): void {
    this.iterator!.next().then(
      (r) => {
        if (this.ex.finished) return this.finish();
        if (r.done) return this.fail(errorForPlanFailure(this.plan!.failure, this.model, this.lastError));
        this.startAttempt(r.value);
      },
      (err) => this.fail(err),
    );
  }

  private startAttempt(attempt: Attempt): void {
    this.attempt = attempt;
    this.attempts = this.plan!.attempts;
    this.upstreamStatus = 0;
    this.upstreamHeaders = undefined;
    this.translator = undefined;
    try {
      const d = attempt.deployment;
      this.deployment = d;
      this.adapter = adapterFor(d.provider);
      this.ctx = { requestId: this.ex.requestId, operation: this.op, stream: this.stream, model: attempt.model };
      const req = this.adapter.buildRequest(this.ctx, this.parsed!.body, this.raw!, d);
      if (isPromise(req)) req.then((r) => this.send(r), (err) => this.attemptFailed(err));
      else this.send(req);
    } catch (err) {
      this.attemptFailed(err);
    }
  }

  private send(req: UpstreamRequest): void {
    if (this.ex.finished) {
      this.attempt?.fail({ ok: false, kind: 'client' });
      return this.finish();
    }
    this.call = new UpstreamCall(this);
    this.upstreamStartedAt = performance.now();
    this.call.start(this.gw.pools.get(req.origin), req, this.deployment!.timeoutMs);
  }

  /** An attempt failed before anything reached the client: report it and let the router decide what next. */
  private attemptFailed(err: unknown): void {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) this.gw.logger.error({ err, requestId: this.ex.requestId }, 'adapter failed to build a request');
    this.lastError = e;
    if (this.deployment) this.gw.metrics?.upstreamError(this.deployment.id, e.code);
    this.attempt?.fail(failureOutcome(e, this.ex.streaming));
    if (this.ex.streaming || this.ex.finished) return this.fail(e);
    this.nextAttempt();
  }

  private responseHeaders(cost?: number): HeaderList {
    const h: HeaderList = [
      ['x-skyway-deployment', this.deployment!.id],
      ['x-skyway-attempts', String(this.attempts)],
    ];
    if (this.attempt && this.attempt.model !== this.model) h.push(['x-skyway-fallback-model', this.attempt.model]);
    if (this.cacheState) h.push([CACHE_HEADER, this.cacheState]);
    if (cost !== undefined) h.push(['x-skyway-cost-usd', formatUsd(cost)]);
    if (this.ticket) for (const name in this.ticket.headers) h.push([name, this.ticket.headers[name]!]);
    return h;
  }

  // ── UpstreamSink ──────────────────────────────────────────────────────────────────────────────────

  onStart(status: number, headers: Headers): 'buffer' | 'stream' {
    this.upstreamStatus = status;
    if (status >= 300) this.upstreamHeaders = headers;
    if (status >= 200 && status < 300 && this.ctx!.stream && !this.ex.finished) {
      const now = performance.now();
      this.ex.upstreamMs += now - this.upstreamStartedAt;
      this.attempt!.succeed({ ok: true, ttfbMs: now - this.upstreamStartedAt });
      this.translator = this.adapter!.createStreamTranslator(this.ctx!, this.deployment!);
      if (this.ingress) this.ingressStream = this.ingress.stream(this.model, this.parsed);
      if (this.cacheKey) this.sseRecorder = new SseRecorder();
      this.completionText = new CompletionText();
      this.ex.startStream(this.responseHeaders());
      this.firstByteAt = now;
      this.gw.heartbeats.add(this.ex);
      return 'stream';
    }
    return 'buffer';
  }

  onChunk(chunk: Buffer): boolean {
    let out: Buffer | string = this.translator!.push(chunk);
    this.sseRecorder?.push(out);
    if (out.length > 0) this.completionText!.observe(typeof out === 'string' ? Buffer.from(out) : out);
    if (this.usageFilter) out = this.usageFilter.push(out);
    if (this.ingressStream && out.length > 0) out = this.ingressStream.push(typeof out === 'string' ? Buffer.from(out) : out);
    if (out.length === 0 || this.ex.finished) return true;
    if (this.ex.write(out)) return true;
    this.ex.whenWritable(() => this.call!.resume());
    return false;
  }

  onEnd(body: Buffer | undefined): void {
    if (this.translator) {
      this.usage = this.translator.usage;
      this.gw.heartbeats.delete(this.ex);
      let tail: Buffer | string = this.translator.end();
      if (this.sseRecorder) {
        this.sseRecorder.push(tail);
        const entry = this.sseRecorder.finish();
        if (entry && this.cacheKey) void this.gw.cache!.store(this.cacheKey, entry, this.cacheTtl!);
      }
      if (this.usageFilter) tail = this.usageFilter.end(tail);
      if (this.ingressStream) tail = (tail.length > 0 ? this.ingressStream.push(typeof tail === 'string' ? Buffer.from(tail) : tail) : '') + this.ingressStream.end();
      this.ex.endStream(tail);
      return this.finish();
    }
    const elapsed = performance.now() - this.upstreamStartedAt;
    this.ex.upstreamMs += elapsed;
    const status = this.upstreamStatus;
    const b = body ?? Buffer.alloc(0);
    if (status >= 200 && status < 300) {
      let translated;
      try {
        translated = this.adapter!.translateResponse(this.ctx!, b, this.deployment!);
      } catch (err) {
        return this.attemptFailed(err);
      }
      this.attempt!.succeed({ ok: true, ttfbMs: elapsed, ...(translated.usage ? { tokens: translated.usage.totalTokens } : {}) });
      this.usage = translated.usage;
      this.firstByteAt = performance.now();
      if (this.cacheKey) {
        const body = typeof translated.body === 'string' ? translated.body : translated.body.toString('utf8');
        void this.gw.cache!.store(this.cacheKey, { kind: 'json', body, contentType: 'application/json', createdAt: Date.now() }, this.cacheTtl!);
      }
      const out = this.ingress ? this.ingress.response(translated.body, this.model) : translated.body;
      this.ex.sendJson(200, out, this.responseHeaders(this.cost()));
      return this.finish();
    }
    this.attemptFailed(this.adapter!.translateError(status, b, this.upstreamHeaders ?? {}, this.deployment!));
  }

  onError(err: Error): void {
    if (err instanceof ClientAborted) {
      this.attempt?.fail({ ok: false, kind: 'client' });
      return this.finish();
    }
    const d = this.deployment!;
    const code = (err as { code?: string }).code;
    const gwErr =
      code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
        ? new UpstreamTimeout(d.id, d.timeoutMs)
        : new UpstreamUnavailable(d.id, err.message || code || 'connection failed');
    if (this.translator) {
      // The stream already reached the client: it cannot be retried; end it with an in-band error.
      this.attempt?.fail(failureOutcome(gwErr, true));
      return this.fail(gwErr);
    }
    this.attemptFailed(gwErr);
  }

  // ── ending ────────────────────────────────────────────────────────────────────────────────────────

  cost(): number | undefined {
    if (!this.usage || !this.deployment) return undefined;
    if (this.costOf !== this.usage) {
      // Priced as the model that answered: after a fallback that is not the one the client asked for.
      this.costValue = this.gw.prices.costOf(this.usage, this.deployment, this.attempt?.model ?? this.model);
      this.costOf = this.usage;
    }
    return this.costValue;
  }

  private fail(err: unknown): void {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) this.gw.logger.error({ err, requestId: this.ex.requestId }, 'unhandled error in request path');
    this.errorCode = e.code;
    if (this.ex.streaming) {
      // Headers are gone: tell the client in-band, as OpenAI does, then end the stream.
      this.gw.heartbeats.delete(this.ex);
      this.ex.endStream(this.ingress ? this.ingress.streamError(e) : `data: ${e.toJSON()}\n\n`);
    } else if (this.ingress) {
      this.ex.sendJson(e.status, this.ingress.error(e), e.headers ? Object.entries(e.headers) : undefined);
    } else {
      this.ex.sendError(e);
    }
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.gw.inflight.end();
    if (!this.usage && this.completionText && this.parsed) {
      // A stream without usage (the upstream ignores include_usage, or the stream was cut): count it, so limits,
      // budgets and spend are not undercounted. Off the response path: the client already has every byte.
      if (this.translator?.usage) this.usage = this.translator.usage;
      else return void this.countUsage().then(() => this.settleAndRecord(), () => this.settleAndRecord());
    }
    this.settleAndRecord();
  }

  private async countUsage(): Promise<void> {
    const model = this.attempt?.model ?? this.model;
    const [prompt, completion] = await Promise.all([promptOf(this.op, model, this.parsed!.body), countTextTokens(model, this.completionText!.text())]);
    this.usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
    this.usageCounted = true;
  }

  private settleAndRecord(): void {
    const u = this.usage;
    const cost = this.cost() ?? 0;
    if (this.ticket) void this.ticket.settle({ promptTokens: u?.promptTokens ?? 0, completionTokens: u?.completionTokens ?? 0, costUsd: cost });
    recordUsage(this, cost);
  }
}

/** Creates the request object as soon as the route matched, so an abort during body reading is accounted for. */
export function beginProxy(
  gw: Gateway,
  ex: Exchange,
  op: Operation,
  ingress: Ingress | undefined,
  cacheControl: string | undefined,
): { run(token: string | undefined, body: Buffer): void; reject(err: GatewayError): void } {
  return new ProxyRequest(gw, ex, op, ingress, cacheControl);
}
