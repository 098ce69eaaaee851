/**
 * The last step of a request, after the client has its answer: settle the admission ticket with the actual
 * usage and cost, and hand the outcome to the usage pipeline and the access log. Never throws: a failure
 * here is logged and counted by the error boundary (the response is already gone).
 */
import type { AdmissionTicket } from '../admission/index.js';
import { recordUsage, type RequestOutcome } from '../usage/usage-event.js';
import type { ClientExchange } from './client-exchange.js';
import type { Gateway } from './context.js';

/** What the request knows at its end; timings and status come from the exchange. */
export type FinishedRequest = Omit<RequestOutcome, 'requestId' | 'status' | 'totalMs' | 'overheadMs' | 'upstreamMs' | 'ttfbMs'> & {
  /** performance.now() of the first byte sent (0: none). */
  firstByteAt: number;
};

export function settleAndRecord(gw: Gateway, ex: ClientExchange, ticket: AdmissionTicket | undefined, r: FinishedRequest): void {
  try {
    const u = r.usage;
    if (ticket) void ticket.settle({ promptTokens: u?.promptTokens ?? 0, completionTokens: u?.completionTokens ?? 0, costUsd: r.costUsd });
    const now = performance.now();
    const { firstByteAt, ...outcome } = r;
    recordUsage(
      { usage: gw.usage, logger: gw.logger, region: gw.settings.region, accessLog: gw.settings.accessLog },
      {
        ...outcome,
        requestId: ex.requestId,
        status: ex.status,
        totalMs: now - ex.startedAt,
        overheadMs: ex.overheadMs(now),
        upstreamMs: ex.upstreamMs,
        ttfbMs: firstByteAt ? firstByteAt - ex.startedAt : null,
      },
    );
  } catch (err) {
    gw.boundary.internal(err, ex.requestId, 'settle');
  }
}
