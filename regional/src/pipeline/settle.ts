/**
 * The last step of a request, after the client has its answer: settle the admission ticket with the actual
 * usage and cost, and hand the outcome to the usage pipeline and the access log. Never throws: a failure
 * here is logged and counted by the error boundary (the response is already gone).
 *
 * Per request this passes the request's facts on as they are (no copy: this runs once per request on the loop
 * that answers), and the access-log line goes through the logger's fast line writer (logging/access-log.ts).
 */
import type { AdmissionTicket } from '../admission/index.js';
import { accessLogOf } from '../logging/access-log.js';
import { recordUsage, type RequestFacts, type UsageEventTargets } from '../usage/usage-event.js';
import type { ClientExchange } from './client-exchange.js';
import type { Gateway } from './context.js';

/**
 * What the request knows at its end (usage/usage-event.ts's `RequestFacts`, the one description of a finished
 * request), plus when its first byte went out; id, status and timings come from the exchange.
 */
export interface FinishedRequest extends RequestFacts {
  /** performance.now() of the first byte sent (0: none). */
  firstByteAt: number;
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
    // The request's facts go as they are; only the exchange's end is a new (small) object.
    recordUsage(targets(gw), r, {
      requestId: ex.requestId,
      status: ex.status,
      totalMs: now - ex.startedAt,
      overheadMs: ex.overheadMs(now),
      upstreamMs: ex.upstreamMs,
      ttfbMs: r.firstByteAt ? r.firstByteAt - ex.startedAt : null,
    });
  } catch (err) {
    gw.boundary.internal(err, ex.requestId, 'settle');
  }
}
