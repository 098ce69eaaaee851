/**
 * The end of every model request: one usage event to the usage pipeline (spend, traces, archive) and one
 * access-log line. Neither is awaited: the recorder queues the event and the logger buffers the line.
 */
import type { UsageEvent } from '../usage/event.js';
import type { ProxyRequest } from './proxy.js';

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export function recordUsage(r: ProxyRequest, costUsd: number): void {
  const gw = r.gw;
  const ex = r.ex;
  const now = performance.now();
  const totalMs = now - ex.startedAt;
  const overheadMs = ex.overheadMs(now);
  const u = r.usage;
  // Only requests that reached (or tried to reach) a provider are billable usage.
  if (gw.usage && (r.attempts > 0 || r.cacheHit)) {
    const p = r.principal;
    const event: UsageEvent = {
      requestId: ex.requestId,
      time: Date.now() - Math.round(totalMs),
      keyId: p?.keyId ?? null,
      teamId: p?.team?.id ?? null,
      userId: p?.user?.id ?? null,
      model: r.model,
      deployment: r.deployment?.id ?? null,
      provider: r.deployment?.provider ?? null,
      upstreamModel: r.deployment?.upstreamModel ?? null,
      region: gw.settings.region,
      operation: r.op,
      status: ex.status,
      errorCode: r.errorCode ?? null,
      latency: { totalMs: round3(totalMs), overheadMs: round3(overheadMs), upstreamMs: round3(ex.upstreamMs), ttfbMs: r.firstByteAt ? round3(r.firstByteAt - ex.startedAt) : null },
      tokens: { prompt: u?.promptTokens ?? 0, completion: u?.completionTokens ?? 0, cached: u?.cachedPromptTokens ?? 0 },
      costUsd,
      cacheHit: r.cacheHit,
      attempts: r.attempts,
      stream: r.stream,
    };
    gw.usage.record(event);
  }
  if (!gw.settings.accessLog) return;
  gw.logger.info({
    requestId: ex.requestId,
    op: r.op,
    model: r.model || undefined,
    deployment: r.deployment?.id,
    keyId: r.principal?.keyId ?? undefined,
    status: ex.status,
    error: r.errorCode,
    stream: r.stream,
    attempts: r.attempts,
    latencyMs: round3(totalMs),
    overheadMs: round3(overheadMs),
    promptTokens: u?.promptTokens,
    completionTokens: u?.completionTokens,
    costUsd: costUsd || undefined,
    cacheHit: r.cacheHit || undefined,
    usageCounted: r.usageCounted || undefined,
  });
}
