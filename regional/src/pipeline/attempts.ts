/**
 * The attempts of one request: ask the router for a deployment, build the provider request, call the upstream,
 * and either hand a success to the request (JSON, or a stream chunk by chunk) or report the failure to the
 * router and try the next attempt (retry, other deployment, fallback model) until the plan ends.
 */
import { promptOf } from '../admission/admit.js';
import { GatewayError, UpstreamInvalidResponse, UpstreamResponseTooLarge, toGatewayError } from '../errors/catalogue.js';
import type { Deployment, Operation, ProviderAdapter, RequestContext, StreamTranslator, TranslatedResponse, UpstreamRequest, Usage } from '../providers/adapter.js';
import type { CostByKind } from '../pricing/cost.js';
import { HiddenStreamErrors } from '../providers/common/hidden-stream-errors.js';
import { adapterFor } from '../providers/registry.js';
import { outcomeFromError, type Attempt, type Outcome } from '../routing/index.js';
import { CompletionText } from '../stream/completion-text.js';
import { countTextTokens } from '../tokens/index.js';
import { ClientAborted, MAX_BUFFERED_BYTES, UpstreamCall, type UpstreamSink } from '../upstream/call.js';
import type { UsageAttempt } from '../usage/event.js';
import type { ClientExchange } from './client-exchange.js';
import type { Gateway } from './context.js';
import { AttemptPlan, isPromise, upstreamError } from './spine.js';

type Headers = Record<string, string | string[] | undefined>;

/** What the attempts report to the request that runs them. */
export interface AttemptHost {
  readonly gw: Gateway;
  readonly ex: ClientExchange;
  /** Runs a continuation inside the request's error boundary. */
  guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void;
  /** A successful stream starts: send the response headers. */
  streamStarted(): void;
  /** Canonical (OpenAI) stream bytes for the client; false when the client is backed up. */
  streamData(canonical: Buffer | string): boolean;
  /** The stream's last canonical bytes. */
  streamEnded(canonicalTail: Buffer | string): void;
  /** A canonical JSON body → the client's (throws when it cannot be translated: the attempt fails). */
  shapeJson(canonical: Buffer | string): Buffer | string;
  /** A complete successful answer, already shaped for the client. */
  answered(out: Buffer | string, translated: TranslatedResponse): void;
  /** The plan ended without success, or a started stream broke. */
  failed(err: unknown): void;
  crash(err: unknown): void;
  finish(): void;
}

/** What the router learns from a failed attempt. */
function failureOutcome(err: unknown, afterFirstByte: boolean): Extract<Outcome, { ok: false }> {
  const o = outcomeFromError(err, afterFirstByte);
  return o.ok ? { ok: false, kind: 'server' } : o;
}

/** A JSON object body starts with `{` (after optional whitespace): a cheap check before any parsing. */
function looksLikeJsonObject(b: Buffer): boolean {
  for (let i = 0; i < b.length && i < 1024; i++) {
    const c = b[i]!;
    if (c === 0x7b) return true;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return false;
}

export class AttemptRunner implements UpstreamSink {
  deployment: Deployment | undefined;
  attempt: Attempt | undefined;
  attempts = 0;
  /** Each attempt as it ended (for the usage event and the console's request detail). */
  readonly log: UsageAttempt[] = [];
  usage: Usage | undefined;
  /** The generated text of a stream, for counting when the upstream reports no usage. */
  completionText: CompletionText | undefined;
  /** The stream translator of a started stream (its usage may arrive late). */
  translator: StreamTranslator | undefined;
  private plan: AttemptPlan | undefined;
  private call: UpstreamCall | undefined;
  private adapter: ProviderAdapter | undefined;
  private ctx: RequestContext | undefined;
  private upstreamStatus = 0;
  private upstreamStartedAt = 0;
  /** The attempt last written to `log`. */
  private logged: Attempt | undefined;
  private upstreamHeaders: Headers | undefined;
  /** cost() of `costOf` (the usage it was computed for): the header and the settlement share one pricing. */
  private costOf: Usage | undefined;
  private costValue: number | undefined;

  constructor(
    private readonly host: AttemptHost,
    private readonly op: Operation,
    private readonly stream: boolean,
    private readonly model: string,
    private readonly body: Record<string, unknown>,
    private readonly raw: Buffer,
  ) {}

  /** The model that answered (a fallback's name after a fallback). */
  get servedModel(): string {
    return this.attempt?.model ?? this.model;
  }

  /** Start the plan. `allow` limits the fallbacks to the models this request may be served by. */
  start(allow: ((model: string) => boolean) | undefined): void {
    this.plan = new AttemptPlan(this.host.gw.catalog, this.model, allow);
    this.next();
  }

  /** The request's cost, priced as the model that answered (after a fallback, not the one asked for). */
  cost(usage: Usage | undefined): number | undefined {
    if (!usage || !this.deployment) return undefined;
    if (this.costOf !== usage) {
      this.costValue = this.host.gw.prices.costOf(usage, this.deployment, this.servedModel);
      this.costOf = usage;
    }
    return this.costValue;
  }

  /** cost() per token kind, from the same price (for the usage event; computed once, at settle). */
  costByKind(usage: Usage): CostByKind | undefined {
    return this.deployment ? this.host.gw.prices.costByKindOf(usage, this.deployment, this.servedModel) : undefined;
  }

  /** Count the usage of a stream whose upstream reported none (prompt and the text generated so far). */
  async countUsage(): Promise<Usage> {
    const model = this.servedModel;
    const [prompt, completion] = await Promise.all([promptOf(this.op, model, this.body), countTextTokens(model, this.completionText?.text() ?? '')]);
    return { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
  }

  /** The client went away: stop the upstream call. */
  abort(): void {
    this.call?.abort(new ClientAborted());
  }

  /** Ask the router for the next attempt (the first, or a retry/fallback after a failure). */
  private next(): void {
    this.plan!.next(this.host, (attempt) => this.begin(attempt));
  }

  /** Note how the current attempt ended (once per attempt). */
  private logAttempt(errorCode: string | null): void {
    const a = this.attempt;
    if (!a || this.logged === a) return;
    this.logged = a;
    const ms = this.upstreamStartedAt ? performance.now() - this.upstreamStartedAt : 0;
    this.log.push({ deployment: a.deployment.id, model: a.model, status: this.upstreamStatus, errorCode, durationMs: Math.round(ms * 1000) / 1000 });
  }

  private begin(attempt: Attempt): void {
    this.attempt = attempt;
    this.attempts = this.plan!.attempts;
    this.upstreamStartedAt = 0;
    this.upstreamStatus = 0;
    this.upstreamHeaders = undefined;
    this.translator = undefined;
    try {
      const d = attempt.deployment;
      this.deployment = d;
      this.adapter = adapterFor(d.provider);
      this.ctx = { requestId: this.host.ex.requestId, operation: this.op, stream: this.stream, model: attempt.model };
      const req = this.adapter.buildRequest(this.ctx, this.body, this.raw, d);
      if (isPromise(req)) req.then(this.host.guard((r: UpstreamRequest) => this.send(r)), this.host.guard((err: unknown) => this.attemptFailed(err)));
      else this.send(req);
    } catch (err) {
      this.attemptFailed(err);
    }
  }

  private send(req: UpstreamRequest): void {
    if (this.host.ex.finished) {
      this.attempt?.fail({ ok: false, kind: 'client' });
      return this.host.finish();
    }
    const d = this.deployment!;
    this.call = new UpstreamCall(this, MAX_BUFFERED_BYTES, () => new UpstreamResponseTooLarge(d.id, MAX_BUFFERED_BYTES));
    this.upstreamStartedAt = performance.now();
    this.call.start(this.host.gw.pools.get(req.origin), req, d.timeoutMs);
  }

  /** An attempt failed before anything reached the client: report it and let the router decide what next. */
  private attemptFailed(err: unknown): void {
    const h = this.host;
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) h.gw.boundary.internal(err, h.ex.requestId, 'attempt');
    this.plan!.lastError = e;
    this.logAttempt(e.code);
    if (this.deployment) h.gw.metrics?.upstreamError(this.deployment.id, e.code);
    this.attempt?.fail(failureOutcome(e, h.ex.streaming));
    if (h.ex.streaming || h.ex.finished) return h.failed(e);
    this.next();
  }

  // ── UpstreamSink ──────────────────────────────────────────────────────────────────────────────────

  onStart(status: number, headers: Headers): 'buffer' | 'stream' {
    const ex = this.host.ex;
    this.upstreamStatus = status;
    this.upstreamHeaders = headers;
    if (status >= 200 && status < 300 && this.ctx!.stream && !ex.finished) {
      const now = performance.now();
      ex.upstreamMs += now - this.upstreamStartedAt;
      this.attempt!.succeed({ ok: true, ttfbMs: now - this.upstreamStartedAt });
      const d = this.deployment!;
      const translator = this.adapter!.createStreamTranslator(this.ctx!, d);
      this.translator = d.hideUpstreamErrorBodies ? new HiddenStreamErrors(translator, d.id) : translator;
      this.completionText = new CompletionText();
      this.host.streamStarted();
      return 'stream';
    }
    return 'buffer';
  }

  onChunk(chunk: Buffer): boolean {
    const out = this.translator!.push(chunk);
    if (out.length > 0) this.completionText!.observe(typeof out === 'string' ? Buffer.from(out) : out);
    if (this.host.ex.finished) return true;
    if (this.host.streamData(out)) return true;
    this.host.ex.whenWritable(() => this.call!.resume());
    return false;
  }

  onEnd(body: Buffer | undefined): void {
    const h = this.host;
    if (this.translator) {
      const tail = this.translator.end();
      this.usage = this.translator.usage;
      this.logAttempt(null);
      return h.streamEnded(tail);
    }
    const elapsed = performance.now() - this.upstreamStartedAt;
    h.ex.upstreamMs += elapsed;
    const status = this.upstreamStatus;
    const b = body ?? Buffer.alloc(0);
    const d = this.deployment!;
    if (status < 200 || status >= 300) return this.attemptFailed(this.adapter!.translateError(status, b, this.upstreamHeaders ?? {}, d));
    let translated: TranslatedResponse;
    let out: Buffer | string;
    try {
      if (!looksLikeJsonObject(b)) throw new UpstreamInvalidResponse(d.id, `expected a JSON object, got ${b.length} bytes of ${String(this.upstreamHeaders?.['content-type'] ?? 'unknown content')}`);
      translated = this.adapter!.translateResponse(this.ctx!, b, d);
      out = h.shapeJson(translated.body);
    } catch (err) {
      return this.attemptFailed(err instanceof GatewayError ? err : new UpstreamInvalidResponse(d.id, (err as Error).message));
    }
    this.attempt!.succeed({ ok: true, ttfbMs: elapsed, ...(translated.usage ? { tokens: translated.usage.totalTokens } : {}) });
    this.logAttempt(null);
    this.usage = translated.usage;
    h.answered(out, translated);
  }

  onError(err: Error): void {
    const h = this.host;
    if (err instanceof ClientAborted) {
      this.logAttempt('client_closed_request');
      this.attempt?.fail({ ok: false, kind: 'client' });
      return h.finish();
    }
    if (!this.translator) h.ex.upstreamMs += performance.now() - this.upstreamStartedAt;
    const gwErr = upstreamError(err, this.deployment!);
    if (this.translator) {
      // The stream already reached the client: it cannot be retried; end it with an in-band error.
      this.logAttempt(gwErr.code);
      this.attempt?.fail(failureOutcome(gwErr, true));
      return h.failed(gwErr);
    }
    this.attemptFailed(gwErr);
  }

  onCrash(err: unknown): void {
    this.host.crash(err);
  }
}
