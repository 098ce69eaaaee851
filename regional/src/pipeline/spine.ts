/**
 * The steps every model request takes, whatever its body: authenticate → the model and the key's access to it →
 * admit (the caller estimates) → attempts (the caller's own) → answer headers → settle and record, with every
 * continuation inside the request's error boundary (error-boundary.ts).
 *
 * Two requests stand on it: ModelRequest (request.ts: JSON bodies, translated, cached, attempts.ts) and
 * MediaRequest (ingress/audio/media-request.ts: uploads streamed through and binary answers, one attempt for an
 * upload). What differs between them (parsing, the admission estimate, the attempts, the answer) stays theirs.
 */
import type { AdmissionTicket } from '../admission/index.js';
import type { Principal } from '../auth/principal.js';
import { assertModelAllowed } from '../auth/virtual-keys.js';
import { CACHE_HEADER } from '../cache/index.js';
import type { ModelEntry } from '../config/load.js';
import { GatewayError, InternalError, ModelNotFound, UpstreamTimeout, UpstreamUnavailable, toGatewayError } from '../errors/catalogue.js';
import { formatUsd } from '../pricing/index.js';
import type { Deployment } from '../providers/adapter.js';
import type { Attempt, Plan } from '../routing/index.js';
import type { ModelCatalog } from '../routing/catalog.js';
import { errorForPlanFailure } from '../routing/plan-errors.js';
import type { ClientExchange, HeaderList } from './client-exchange.js';
import type { Gateway } from './context.js';
import { ErrorBoundary, GuardedRequest } from './error-boundary.js';
import { settleAndRecord, type FinishedRequest } from './settle.js';

/** What a ticket settles with when the request never reached an upstream. */
export const NO_USAGE = Object.freeze({ promptTokens: 0, completionTokens: 0, costUsd: 0 });

export function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | undefined)?.then === 'function';
}

/** What a walk through the plan needs from its request. */
export interface PlanHost {
  readonly ex: ClientExchange;
  guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void;
  failed(err: unknown): void;
  finish(): void;
}

/** One request's walk through the router's plan for `model` (within the catalogue's deadline; `allow` limits the fallbacks). */
export class AttemptPlan {
  /** The error of the last failed attempt (what the client gets when the plan ends for no other reason). */
  lastError: GatewayError | undefined;
  private readonly plan: Plan;
  private readonly iterator: AsyncIterator<Attempt>;

  constructor(
    catalog: ModelCatalog,
    private readonly model: string,
    allow: ((model: string) => boolean) | undefined,
  ) {
    const deadline = catalog.deadlineMs;
    this.plan = catalog.router.plan(model, { ...(deadline ? { deadline: Date.now() + deadline } : {}), ...(allow ? { allow } : {}) });
    this.iterator = this.plan[Symbol.asyncIterator]();
  }

  /** Attempts so far (retries and fallbacks included). */
  get attempts(): number {
    return this.plan.attempts;
  }

  /**
   * Ask for the next attempt (the first, or a retry or fallback after a failure), inside the host's boundary:
   * the client left → finish; the plan ended → its error; else `begin` the attempt.
   */
  next(host: PlanHost, begin: (attempt: Attempt) => void): void {
    this.iterator.next().then(
      host.guard((r: IteratorResult<Attempt>) => {
        host.ex.backoffMs = this.plan.backoffMs;
        if (host.ex.finished) return host.finish();
        if (r.done) return host.failed(errorForPlanFailure(this.plan.failure, this.model, this.lastError));
        begin(r.value);
      }),
      host.guard((err: unknown) => host.failed(err)),
    );
  }
}

/** A transport error of an upstream call as a catalogue error (timeouts apart from refused connections). */
export function upstreamError(err: Error, d: Deployment): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
    ? new UpstreamTimeout(d.id, d.timeoutMs)
    : new UpstreamUnavailable(d.id, err.message || code || 'connection failed');
}

/** What the answer's `x-skyway-*` headers report. */
export interface AnswerFacts {
  deployment: Deployment;
  attempts: number;
  /** The model that answered (a fallback's name after a fallback). */
  servedModel: string;
  cacheState?: string | undefined;
  costUsd: number | undefined;
}

export abstract class SpineRequest extends GuardedRequest {
  protected principal: Principal | undefined;
  /** The model the client asked for. */
  protected model = '';
  protected ticket: AdmissionTicket | undefined;
  protected errorCode: string | undefined;
  /** performance.now() when the first byte of the response went to the client. */
  protected firstByteAt = 0;
  private ended = false;

  constructor(
    readonly gw: Gateway,
    readonly ex: ClientExchange,
  ) {
    super();
    gw.inflight.begin();
    ex.onAbort(() => {
      try {
        this.abortUpstream();
        this.finish();
      } catch (err) {
        gw.boundary.internal(err, ex.requestId, 'abort');
      }
    });
  }

  /** Stop any upstream work (the client left, or the request is ending on an error). */
  protected abstract abortUpstream(): void;
  /** The request ended (once): settle the ticket and record the outcome, see `record`. */
  protected abstract settle(): void;

  protected get boundary(): ErrorBoundary {
    return this.gw.boundary;
  }

  protected get requestId(): string {
    return this.ex.requestId;
  }

  protected lastResort(): void {
    this.abortUpstream();
    this.ex.sendError(new InternalError(), true);
    this.finish();
  }

  // ── authenticate → model → admit ───────────────────────────────────────────────────────────────────

  /** Authenticate the token, then `then` with the principal (a refusal is answered by `failed`). */
  protected authenticate(token: string | undefined, then: (principal: Principal) => void): void {
    const p = this.gw.auth.authenticate(token);
    if (isPromise(p)) p.then(this.guard(then), this.guard((err: unknown) => this.failed(err)));
    else then(p);
  }

  /** The catalogue's entry for `model`: unknown is 404 for every key, 403 only for a model the key may not use. */
  protected modelEntry(principal: Principal, model: string): ModelEntry {
    const entry = this.gw.catalog.get(model);
    if (!entry) throw new ModelNotFound(model);
    assertModelAllowed(principal, model);
    return entry;
  }

  /** Keep the admission's ticket and go on, unless the client left meanwhile (then release it at once). */
  protected afterAdmission(ticket: AdmissionTicket | Promise<AdmissionTicket> | undefined, then: () => void): void {
    const admitted = (t: AdmissionTicket | undefined) => {
      this.ticket = t;
      if (this.ex.finished) {
        // The client left while admission was pending: release the reservation now, not at its lease's end.
        void t?.settle(NO_USAGE);
        return this.finish();
      }
      then();
    };
    if (isPromise(ticket)) ticket.then(this.guard(admitted), this.guard((err: unknown) => this.failed(err)));
    else admitted(ticket);
  }

  // ── answer ─────────────────────────────────────────────────────────────────────────────────────────

  /** The headers of a successful answer. */
  protected answerHeaders(a: AnswerFacts): HeaderList {
    const h: HeaderList = [
      ['x-skyway-deployment', a.deployment.id],
      ['x-skyway-attempts', String(a.attempts)],
    ];
    if (a.servedModel !== this.model) h.push(['x-skyway-fallback-model', a.servedModel]);
    if (a.cacheState) h.push([CACHE_HEADER, a.cacheState]);
    if (a.costUsd !== undefined) h.push(['x-skyway-cost-usd', formatUsd(a.costUsd)]);
    if (this.ticket) for (const name in this.ticket.headers) h.push([name, this.ticket.headers[name]!]);
    return h;
  }

  /** `err` as a catalogue error; anything else is unexpected and logged and counted by the boundary. */
  protected errorOf(err: unknown): GatewayError {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError)) this.gw.boundary.internal(err, this.ex.requestId);
    return e;
  }

  /** The headers of an error answer: the error's own and, after routing, which deployment answered last and after how many attempts. */
  protected errorHeaders(e: GatewayError, deployment: Deployment | undefined, attempts: number): HeaderList {
    const headers: HeaderList = e.headers ? Object.entries(e.headers) : [];
    if (deployment && attempts > 0) headers.push(['x-skyway-deployment', deployment.id], ['x-skyway-attempts', String(attempts)]);
    return headers;
  }

  // ── settle and record ──────────────────────────────────────────────────────────────────────────────

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.gw.inflight.end();
    this.settle();
  }

  /** Settle the ticket with the usage and cost and record the outcome (never throws). */
  protected record(r: FinishedRequest): void {
    settleAndRecord(this.gw, this.ex, this.ticket, r);
  }
}
