/**
 * One media request (audio transcriptions and translations, image edits: multipart uploads streamed through;
 * speech: JSON in, audio streamed back), on the same steps as a chat request: authenticate → the key's model
 * list → admit (limits, and a budget reservation of the worst case, see media-usage.ts) → route → upstream →
 * answer → settle and record. Every continuation runs inside the request's error boundary.
 *
 * Uploads: the parts before `model` are held (at most `lookaheadBytes`), the rest is never held: once the
 * deployment is chosen the held bytes and then the client's chunks go to undici as they arrive, with the
 * client's socket paused while the upstream is slower (upload-body.ts). A body cannot be sent twice, so an
 * upload gets one attempt (no retry or fallback); speech, whose body is small JSON, follows the router's plan.
 * The steps it shares with a chat request (authenticate, the model check, admission's ticket, the answer's
 * headers, settle and record, the error boundary) are pipeline/spine.ts's.
 */
import { admissionNeeds, servableModels } from '../../admission/admit.js';
import type { AdmissionTicket } from '../../admission/index.js';
import type { Principal } from '../../auth/principal.js';
import { assertServedHere } from '../../auth/residency.js';
import { isOpenAICompatible } from '../../config/providers.js';
import { GatewayError, InvalidRequest, UpstreamResponseTooLarge, toGatewayError } from '../../errors/catalogue.js';
import type { ClientExchange, HeaderList } from '../../pipeline/client-exchange.js';
import type { Gateway } from '../../pipeline/context.js';
import { AttemptPlan, isPromise, SpineRequest, upstreamError } from '../../pipeline/spine.js';
import type { Deployment, ProviderAdapter, RequestContext, UpstreamRequest, Usage } from '../../providers/adapter.js';
import { adapterFor } from '../../providers/registry.js';
import { outcomeFromError, type Attempt } from '../../routing/index.js';
import { ClientAborted, MAX_BUFFERED_BYTES, UpstreamCall, type UpstreamSink } from '../../upstream/call.js';
import { audioUsage } from './audio-bill.js';
import { imageEditUsage, worstCaseUsage, type MediaOp } from './media-usage.js';
import { UploadIntake } from './upload-intake.js';

type Headers = Record<string, string | string[] | undefined>;

/** What a media request needs from the transport (http/exchange.ts implements it). */
export interface MediaExchange extends ClientExchange {
  streamBody(limit: number, declared: number, timeoutMs: number, chunk: (part: Buffer, isLast: boolean) => void, reject: (err: GatewayError) => void, overflow: () => void): void;
  pauseBody(): void;
  resumeBody(): void;
  sendBody(status: number, contentType: string, body: string | Buffer, headers?: HeaderList): void;
  startBinaryStream(contentType: string, headers?: HeaderList): void;
}

/** Limits of uploads (from settings; see shared/contract/env.ts). */
export interface UploadLimits {
  maxBytes: number;
  lookaheadBytes: number;
  timeoutMs: number;
}

/** Deployments that can serve media endpoints: the OpenAI-compatible family and Azure OpenAI. */
export function servesMedia(d: Deployment): boolean {
  return isOpenAICompatible(d.provider) || d.provider === 'azure';
}

export class MediaRequest extends SpineRequest implements UpstreamSink {
  declare readonly ex: MediaExchange;
  private plan: AttemptPlan | undefined;
  private attempt: Attempt | undefined;
  private deployment: Deployment | undefined;
  private adapter: ProviderAdapter | undefined;
  private call: UpstreamCall | undefined;
  private attempts = 0;
  private upstreamStatus = 0;
  private upstreamHeaders: Headers = {};
  private upstreamStartedAt = 0;
  private usage: Usage | undefined;
  private streamingOut = false;

  /** The client's upload (multipart endpoints). */
  private intake: UploadIntake | undefined;
  private decided = false;

  // Speech
  private json: { body: Record<string, unknown>; raw: Buffer } | undefined;

  constructor(
    gw: Gateway,
    ex: MediaExchange,
    private readonly op: MediaOp,
  ) {
    super(gw, ex);
  }

  /** The upload stops being read and the upstream call ends. */
  protected abortUpstream(): void {
    this.intake?.destroy();
    this.call?.abort(new ClientAborted());
  }

  // ── uploads: read the leading parts, hold them until the deployment is known ──────────────────────────

  /** Start a multipart upload: `contentType` as the client sent it, `declared` its Content-Length (0: none). */
  startUpload(token: string | undefined, contentType: string, declared: number, limits: UploadLimits): void {
    this.guard(() => {
      this.intake = new UploadIntake(
        this.ex,
        contentType,
        declared,
        limits,
        {
          model: (name) => {
            this.model = name;
            this.decide();
          },
          refuse: (err) => this.failed(err),
          answer: (err) => this.answer(err),
        },
        (fn) => this.guard(fn),
      );
      this.authenticate(token, (principal) => this.authenticated(principal));
    })();
  }

  private authenticated(principal: Principal): void {
    this.principal = principal;
    this.decide();
  }

  // ── speech: JSON read whole (small) ─────────────────────────────────────────────────────────────────

  runJson(token: string | undefined, raw: Buffer, body: Record<string, unknown>): void {
    this.guard(() => {
      this.json = { body, raw };
      this.model = body.model as string;
      this.authenticate(token, (principal) => this.authenticated(principal));
    })();
  }

  // ── decide: model list, admission, route ───────────────────────────────────────────────────────────

  /** Once the key and the model are both known: check the model, admit, and start the plan. */
  private decide(): void {
    if (this.decided || !this.principal || !this.model || this.intake?.stopped) return;
    if (this.ex.finished) return this.finish();
    this.decided = true;
    const principal = this.principal;
    assertServedHere(principal, this.gw.settings.region);
    const entry = this.modelEntry(principal, this.model);
    if (!entry.deployments.some(servesMedia)) {
      throw new InvalidRequest(`The model '${this.model}' does not serve ${this.op}: only OpenAI-compatible and Azure deployments do.`, 'model', 'unsupported_operation');
    }
    const models = servableModels(principal, this.model, this.json ? this.gw.catalog.reachable(this.model) : [this.model], this.gw.estimatePrice);
    // No more body until the upstream takes it: the held bytes stay bounded while admission runs (paused only
    // once the synchronous checks passed, so a refusal never pauses).
    if (this.intake && !this.intake.bodyEnded) this.ex.pauseBody();
    this.afterAdmission(this.admit(principal, models), () => this.start(models));
  }

  /** Reserve the worst case: per second of audio bounded by the upload's size, per character, per image. */
  private admit(principal: Principal, models: readonly string[]): AdmissionTicket | Promise<AdmissionTicket> | undefined {
    const needs = admissionNeeds(principal, this.model);
    if (!needs.any) return undefined;
    let estimatedCostUsd = 0;
    if (needs.cost) {
      const worst = worstCaseUsage(this.op, {
        uploadBytes: this.intake?.declared ?? this.uploadCap,
        characters: this.characters(),
        fields: this.intake?.fields?.fields ?? {},
      });
      for (const m of models) {
        for (const d of this.gw.catalog.get(m)?.deployments ?? []) estimatedCostUsd = Math.max(estimatedCostUsd, this.gw.prices.costOf(worst, d, m) ?? 0);
      }
    }
    return this.gw.admission.admit({ requestId: this.ex.requestId, principal, model: this.model, estimatedPromptTokens: 0, maxCompletionTokens: 0, estimatedCostUsd });
  }

  /** Set by the route: the upload cap, the bound of an upload that declared no length. */
  uploadCap = 0;

  private characters(): number | undefined {
    const input = this.json?.body.input;
    return typeof input === 'string' ? input.length : undefined;
  }

  private start(models: readonly string[]): void {
    const catalog = this.gw.catalog;
    const allow = (m: string) => models.includes(m) && (catalog.get(m)?.deployments.some(servesMedia) ?? false);
    this.plan = new AttemptPlan(catalog, this.model, allow);
    this.next();
  }

  private next(): void {
    this.plan!.next(this, (attempt) => this.begin(attempt));
  }

  private begin(attempt: Attempt): void {
    this.attempt = attempt;
    this.attempts = this.plan!.attempts;
    this.upstreamStatus = 0;
    this.upstreamHeaders = {};
    try {
      const d = attempt.deployment;
      this.deployment = d;
      if (!servesMedia(d)) throw new InvalidRequest(`The deployment ${d.id} does not serve ${this.op}.`, 'model', 'unsupported_operation');
      this.adapter = adapterFor(d.provider);
      const ctx: RequestContext = { requestId: this.ex.requestId, operation: this.op, stream: this.op === 'speech', model: attempt.model };
      const req = this.json ? this.adapter.buildRequest(ctx, { ...this.json.body }, this.json.raw, d) : this.uploadRequest(ctx, d);
      if (isPromise(req)) req.then(this.guard((r: UpstreamRequest) => this.send(r)), this.guard((err: unknown) => this.attemptFailed(err)));
      else this.send(req);
    } catch (err) {
      this.attemptFailed(err);
    }
  }

  /** The upstream request of an upload: the held head (model renamed if need be), then the live body. */
  private uploadRequest(ctx: RequestContext, d: Deployment): UpstreamRequest | Promise<UpstreamRequest> {
    if (!this.adapter!.buildMediaRequest) throw new InvalidRequest(`The deployment ${d.id} does not serve ${this.op}.`, 'model', 'unsupported_operation');
    return this.adapter!.buildMediaRequest(ctx, d, this.intake!.takeBody(this.model, d.upstreamModel));
  }

  private send(req: UpstreamRequest): void {
    if (this.ex.finished) {
      this.attempt?.fail({ ok: false, kind: 'client' });
      return this.finish();
    }
    const d = this.deployment!;
    this.call = new UpstreamCall(this, MAX_BUFFERED_BYTES, () => new UpstreamResponseTooLarge(d.id, MAX_BUFFERED_BYTES));
    this.upstreamStartedAt = performance.now();
    this.call.start(this.gw.pools.get(req.origin), req, d.timeoutMs);
  }

  private attemptFailed(err: unknown): void {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) this.gw.boundary.internal(err, this.ex.requestId, 'attempt');
    this.plan!.lastError = e;
    if (this.deployment) this.gw.metrics?.upstreamError(this.deployment.id, e.code);
    const o = outcomeFromError(e, this.streamingOut);
    this.attempt?.fail(o.ok ? { ok: false, kind: 'server' } : o);
    // An upload's body is gone once sent: it has one attempt.
    if (this.streamingOut || this.ex.finished || !this.json) return this.failed(e);
    this.next();
  }

  // ── UpstreamSink ──────────────────────────────────────────────────────────────────────────────────

  onStart(status: number, headers: Headers): 'buffer' | 'stream' {
    this.upstreamStatus = status;
    this.upstreamHeaders = headers;
    if (status >= 200 && status < 300 && this.op === 'speech' && !this.ex.finished) {
      const now = performance.now();
      this.ex.upstreamMs += now - this.upstreamStartedAt;
      this.attempt!.succeed({ ok: true, ttfbMs: now - this.upstreamStartedAt });
      this.streamingOut = true;
      this.usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, characters: this.characters() ?? 0 };
      this.ex.startBinaryStream(this.contentTypeOf('audio/mpeg'), this.responseHeaders(this.cost()));
      this.firstByteAt = performance.now();
      return 'stream';
    }
    return 'buffer';
  }

  onChunk(chunk: Buffer): boolean {
    if (this.ex.finished) return true;
    if (this.ex.write(chunk)) return true;
    this.ex.whenWritable(() => this.call!.resume());
    return false;
  }

  onEnd(body: Buffer | undefined): void {
    if (this.streamingOut) {
      this.ex.endStream();
      return this.finish();
    }
    const elapsed = performance.now() - this.upstreamStartedAt;
    this.ex.upstreamMs += elapsed;
    const d = this.deployment!;
    const b = body ?? Buffer.alloc(0);
    const status = this.upstreamStatus;
    if (status < 200 || status >= 300) return this.attemptFailed(this.adapter!.translateError(status, b, this.upstreamHeaders, d));
    const contentType = this.contentTypeOf('application/json');
    const fields = this.intake?.fields?.fields ?? {};
    this.usage = this.op === 'image_edits' ? imageEditUsage(b, fields) : audioUsage(this.gw.logger, this.ex.requestId, b, contentType, this.intake);
    this.attempt!.succeed({ ok: true, ttfbMs: elapsed, ...(this.usage.totalTokens ? { tokens: this.usage.totalTokens } : {}) });
    this.firstByteAt = performance.now();
    this.ex.resumeBody();
    this.ex.sendBody(200, contentType, b, this.responseHeaders(this.cost()));
    this.finish();
  }

  onError(err: Error): void {
    if (err instanceof ClientAborted) {
      this.attempt?.fail({ ok: false, kind: 'client' });
      return this.finish();
    }
    if (!this.streamingOut) this.ex.upstreamMs += performance.now() - this.upstreamStartedAt;
    this.attemptFailed(upstreamError(err, this.deployment!));
  }

  onCrash(err: unknown): void {
    this.crash(err);
  }

  private contentTypeOf(fallback: string): string {
    const ct = this.upstreamHeaders['content-type'];
    return (Array.isArray(ct) ? ct[0] : ct) || fallback;
  }

  private cost(): number | undefined {
    if (!this.usage || !this.deployment) return undefined;
    return this.gw.prices.costOf(this.usage, this.deployment, this.attempt?.model ?? this.model);
  }

  private responseHeaders(costUsd: number | undefined): HeaderList {
    return this.answerHeaders({ deployment: this.deployment!, attempts: this.attempts, servedModel: this.attempt?.model ?? this.model, costUsd });
  }

  // ── answer errors, settle and record ───────────────────────────────────────────────────────────────

  /**
   * Answer with an error: at once when the body is complete (or was JSON), else once the client has sent the
   * rest, which is dropped (many clients report a reset, not the answer, when it comes while they still send).
   */
  failed(err: unknown): void {
    const e = this.errorOf(err);
    if (this.ex.finished) return this.finish();
    if (!this.intake || this.intake.bodyEnded || this.streamingOut) return this.answer(e);
    this.abortUpstream();
    this.intake.defer(e);
  }

  /** Answer the error now (the body ended, or it was JSON). */
  answer(e: GatewayError): void {
    this.errorCode = e.code;
    this.ex.resumeBody();
    this.abortUpstream();
    if (this.ex.streaming) {
      // Audio bytes are gone: the only signal left is a cut stream.
      this.ex.endStream();
    } else {
      this.ex.sendJson(e.status, e.toJSON(), this.errorHeaders(e, this.deployment, this.attempts));
    }
    this.finish();
  }

  protected settle(): void {
    const u = this.usage;
    this.record({
      op: this.op,
      model: this.model,
      principal: this.principal,
      deployment: this.deployment,
      errorCode: this.errorCode,
      stream: this.op === 'speech',
      attempts: this.attempts,
      cacheHit: false,
      usageCounted: false,
      usage: u,
      costUsd: this.cost() ?? 0,
      firstByteAt: this.firstByteAt,
    });
  }
}
