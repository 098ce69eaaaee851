/**
 * The request path for the model endpoints: authenticate → validate → route → call the provider → return
 * JSON or stream SSE → log. One ProxyRequest object per request carries the state (no closure chains).
 */
import type { AdmissionTicket } from '../admission/index.js';
import type { Principal } from '../auth/principal.js';
import { assertModelAllowed } from '../auth/virtual-keys.js';
import {
  GatewayError,
  ModelNotFound,
  UpstreamTimeout,
  UpstreamUnavailable,
  toGatewayError,
} from '../errors/catalogue.js';
import type { Exchange, HeaderList } from '../http/exchange.js';
import type { Deployment, Operation, ProviderAdapter, RequestContext, StreamTranslator, Usage } from '../providers/adapter.js';
import { adapterFor } from '../providers/registry.js';
import { ClientAborted, UpstreamCall, type UpstreamSink } from '../upstream/call.js';
import { admitRequest } from './admit.js';
import type { Gateway } from './context.js';
import { parseRequestBody, type ParsedRequest } from './validate.js';

type Headers = Record<string, string | string[] | undefined>;

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | undefined)?.then === 'function';
}

class ProxyRequest implements UpstreamSink {
  private principal: Principal | undefined;
  private model = '';
  private deployment: Deployment | undefined;
  private adapter: ProviderAdapter | undefined;
  private ctx: RequestContext | undefined;
  private call: UpstreamCall | undefined;
  private translator: StreamTranslator | undefined;
  private upstreamStatus = 0;
  private upstreamStartedAt = 0;
  private usage: Usage | undefined;
  private errorCode: string | undefined;
  private upstreamHeaders: Headers | undefined;
  private ticket: AdmissionTicket | undefined;
  private ended = false;

  constructor(
    private readonly gw: Gateway,
    private readonly ex: Exchange,
    private readonly op: Operation,
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
      const parsed = parseRequestBody(raw, this.op);
      this.model = parsed.model;
      assertModelAllowed(principal, parsed.model);
      if (!this.gw.catalog.get(parsed.model)) throw new ModelNotFound(parsed.model);
      const ticket = admitRequest({
        admission: this.gw.admission,
        principal,
        requestId: this.ex.requestId,
        op: this.op,
        model: parsed.model,
        body: parsed.body,
        prices: this.gw.prices,
        defaultMaxTokens: this.gw.settings.defaultMaxTokens,
      });
      if (isPromise(ticket)) ticket.then((t) => this.afterAdmission(t, parsed, raw), (err) => this.fail(err));
      else this.afterAdmission(ticket, parsed, raw);
    } catch (err) {
      this.fail(err);
    }
  }

  private afterAdmission(ticket: AdmissionTicket | undefined, parsed: ParsedRequest, raw: Buffer): void {
    this.ticket = ticket;
    if (this.ex.finished) return this.finish();
    try {
      const deployment = this.gw.catalog.pick(parsed.model);
      if (!deployment) throw new ModelNotFound(parsed.model);
      this.deployment = deployment;
      this.adapter = adapterFor(deployment.provider);
      this.ctx = { requestId: this.ex.requestId, operation: this.op, stream: parsed.stream, model: parsed.model };
      const req = this.adapter.buildRequest(this.ctx, parsed.body, raw, deployment);
      if (isPromise(req)) req.then((r) => this.send(r), (err) => this.fail(err));
      else this.send(req);
    } catch (err) {
      this.fail(err);
    }
  }

  private send(req: Awaited<ReturnType<ProviderAdapter['buildRequest']>>): void {
    if (this.ex.finished) return this.finish();
    const d = this.deployment!;
    this.call = new UpstreamCall(this);
    this.upstreamStartedAt = performance.now();
    this.call.start(this.gw.pools.get(req.origin), req, d.timeoutMs);
  }

  private responseHeaders(): HeaderList {
    const h: HeaderList = [
      ['x-skyway-deployment', this.deployment!.id],
      ['x-skyway-attempts', '1'],
    ];
    if (this.ticket) for (const name in this.ticket.headers) h.push([name, this.ticket.headers[name]!]);
    return h;
  }

  // ── UpstreamSink ──────────────────────────────────────────────────────────────────────────────────

  onStart(status: number, headers: Headers): 'buffer' | 'stream' {
    this.upstreamStatus = status;
    if (status >= 300) this.upstreamHeaders = headers;
    if (status >= 200 && status < 300 && this.ctx!.stream && !this.ex.finished) {
      this.ex.upstreamMs += performance.now() - this.upstreamStartedAt;
      this.translator = this.adapter!.createStreamTranslator(this.ctx!, this.deployment!);
      this.ex.startStream(this.responseHeaders());
      this.gw.heartbeats.add(this.ex);
      return 'stream';
    }
    return 'buffer';
  }

  onChunk(chunk: Buffer): boolean {
    const out = this.translator!.push(chunk);
    if (out.length === 0 || this.ex.finished) return true;
    if (this.ex.write(out)) return true;
    this.ex.whenWritable(() => this.call!.resume());
    return false;
  }

  onEnd(body: Buffer | undefined): void {
    if (this.translator) {
      this.usage = this.translator.usage;
      this.gw.heartbeats.delete(this.ex);
      this.ex.endStream(this.translator.end());
      return this.finish();
    }
    this.ex.upstreamMs += performance.now() - this.upstreamStartedAt;
    const status = this.upstreamStatus;
    const b = body ?? Buffer.alloc(0);
    try {
      if (status >= 200 && status < 300) {
        const t = this.adapter!.translateResponse(this.ctx!, b, this.deployment!);
        this.usage = t.usage;
        this.ex.sendJson(200, t.body, this.responseHeaders());
      } else {
        const err = this.adapter!.translateError(status, b, this.upstreamHeaders ?? {}, this.deployment!);
        this.errorCode = err.code;
        this.ex.sendError(err);
      }
    } catch (err) {
      return this.fail(err);
    }
    this.finish();
  }

  onError(err: Error): void {
    if (err instanceof ClientAborted) return this.finish();
    const d = this.deployment!;
    const code = (err as { code?: string }).code;
    const gwErr =
      code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
        ? new UpstreamTimeout(d.id, d.timeoutMs)
        : new UpstreamUnavailable(d.id, err.message || code || 'connection failed');
    this.fail(gwErr);
  }

  // ── ending ────────────────────────────────────────────────────────────────────────────────────────

  private fail(err: unknown): void {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) this.gw.logger.error({ err, requestId: this.ex.requestId }, 'unhandled error in request path');
    this.errorCode = e.code;
    if (this.ex.streaming) {
      // Headers are gone: tell the client in-band, as OpenAI does, then end the stream.
      this.gw.heartbeats.delete(this.ex);
      this.ex.endStream(`data: ${e.toJSON()}\n\n`);
    } else {
      this.ex.sendError(e);
    }
    this.finish();
  }

  private costUsd(): number {
    const u = this.usage;
    if (!u) return 0;
    const p = this.gw.prices(this.model);
    return p ? u.promptTokens * p.input + u.completionTokens * p.output : 0;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.gw.inflight.end();
    const u0 = this.usage;
    if (this.ticket) void this.ticket.settle({ promptTokens: u0?.promptTokens ?? 0, completionTokens: u0?.completionTokens ?? 0, costUsd: this.costUsd() });
    if (!this.gw.settings.accessLog) return;
    const ex = this.ex;
    const now = performance.now();
    const u = this.usage;
    this.gw.logger.info({
      requestId: ex.requestId,
      op: this.op,
      model: this.model || undefined,
      deployment: this.deployment?.id,
      keyId: this.principal?.keyId ?? undefined,
      status: ex.status,
      upstreamStatus: this.upstreamStatus || undefined,
      error: this.errorCode,
      stream: ex.streaming,
      latencyMs: Math.round((now - ex.startedAt) * 1000) / 1000,
      overheadMs: Math.round(ex.overheadMs(now) * 1000) / 1000,
      promptTokens: u?.promptTokens,
      completionTokens: u?.completionTokens,
    });
  }
}

/** Creates the request object early so that an abort during body reading is accounted for. */
export function beginProxy(gw: Gateway, ex: Exchange, op: Operation): { run(token: string | undefined, body: Buffer): void; reject(err: GatewayError): void } {
  return new ProxyRequest(gw, ex, op);
}
