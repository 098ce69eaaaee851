/**
 * The last step of a request, after the client has its answer: settle the admission ticket with the actual
 * usage and cost, and hand the outcome to the usage pipeline and the access log. Never throws: a failure
 * here is logged and counted by the error boundary (the response is already gone).
 *
 * Per request this builds one outcome object (no spread copies: this runs once per request on the loop that
 * answers), and the access-log line goes through the logger's fast line writer (logging/access-log.ts).
 */
import type { AdmissionTicket } from '../admission/index.js';
import { accessLogOf } from '../logging/access-log.js';
import type { Principal } from '../auth/principal.js';
import type { Deployment, Operation, Usage } from '../providers/adapter.js';
import type { CostByKind, UsageAttempt, UsagePayload } from '../usage/event.js';
import { recordUsage, type UsageEventTargets } from '../usage/usage-event.js';
import type { ClientExchange } from './client-exchange.js';
import type { Gateway } from './context.js';

/** What the request knows at its end; timings and status come from the exchange. */
export interface FinishedRequest {
  op: Operation;
  model: string;
  principal: Principal | undefined;
  deployment: Deployment | undefined;
  errorCode: string | undefined;
  stream: boolean;
  attempts: number;
  cacheHit: boolean;
  usageCounted: boolean;
  usage: Usage | undefined;
  costUsd: number;
  /** `costUsd` per token kind (undefined: no price known, or a cache hit). */
  costByKind?: CostByKind | undefined;
  /** performance.now() of the first byte sent (0: none). */
  firstByteAt: number;
  /** Each upstream attempt, in order. */
  attemptLog?: UsageAttempt[] | undefined;
  /** Request and response bodies (opted-in principals only). */
  payload?: UsagePayload | undefined;
}

/** The targets of one gateway, built once (not per request). */
const targetsOf = new WeakMap<Gateway, UsageEventTargets>();

function targets(gw: Gateway): UsageEventTargets {
  let t = targetsOf.get(gw);
  if (!t) targetsOf.set(gw, (t = { usage: gw.usage, logger: accessLogOf(gw.logger), region: gw.settings.region, accessLog: gw.settings.accessLog }));
  return t;
}

export function settleAndRecord(gw: Gateway, ex: ClientExchange, ticket: AdmissionTicket | undefined, r: FinishedRequest): void {
  try {
    const u = r.usage;
    if (ticket) void ticket.settle({ promptTokens: u?.promptTokens ?? 0, completionTokens: u?.completionTokens ?? 0, costUsd: r.costUsd });
    const now = performance.now();
    recordUsage(targets(gw), {
      requestId: ex.requestId,
      op: r.op,
      model: r.model,
      principal: r.principal,
      deployment: r.deployment,
      status: ex.status,
      errorCode: r.errorCode,
      stream: r.stream,
      attempts: r.attempts,
      cacheHit: r.cacheHit,
      usageCounted: r.usageCounted,
      usage: u,
      costUsd: r.costUsd,
      costByKind: r.costByKind,
      attemptLog: r.attemptLog,
      payload: r.payload,
      totalMs: now - ex.startedAt,
      overheadMs: ex.overheadMs(now),
      upstreamMs: ex.upstreamMs,
      ttfbMs: r.firstByteAt ? r.firstByteAt - ex.startedAt : null,
    });
  } catch (err) {
    gw.boundary.internal(err, ex.requestId, 'settle');
  }
}
