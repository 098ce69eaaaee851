/**
 * The end of every model request: one usage event to the usage pipeline (spend, traces, archive) and one
 * access-log line, from a plain description of how the request went. Neither is awaited: the recorder
 * queues the event and the logger buffers the line.
 */
import type { Principal } from '../auth/principal.js';
import type { Deployment, Operation, Usage } from '../providers/adapter.js';
import type { CostByKind, UsageAttempt, UsageEvent, UsagePayload, UsageTokens } from './event.js';

/** How one request went, as the request path hands it over at its end. */
export interface RequestOutcome {
  requestId: string;
  op: Operation;
  /** The public model the client asked for ('' when the body never named one). */
  model: string;
  principal: Principal | undefined;
  /** The deployment of the last attempt. */
  deployment: Deployment | undefined;
  /** HTTP status sent (499 when the client went away first). */
  status: number;
  errorCode: string | undefined;
  stream: boolean;
  attempts: number;
  cacheHit: boolean;
  /** The gateway counted the tokens itself (the upstream reported none). */
  usageCounted: boolean;
  usage: Usage | undefined;
  costUsd: number;
  /** `costUsd` per token kind, from the same price (undefined: no price known, or a cache hit). */
  costByKind?: CostByKind | undefined;
  /** Milliseconds: whole request, gateway overhead, upstream time, and to the first byte (null: none sent). */
  totalMs: number;
  overheadMs: number;
  upstreamMs: number;
  ttfbMs: number | null;
  /** Each upstream attempt, in order. */
  attemptLog?: UsageAttempt[] | undefined;
  /** Request and response bodies, only for principals that opted in to payload archiving. */
  payload?: UsagePayload | undefined;
}

export interface UsageEventTargets {
  usage: { record(e: UsageEvent): void } | undefined;
  logger: { info(obj: object): void };
  region: string;
  accessLog: boolean;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Every token kind the adapter reported, always present (0 when none), so every sink writes the same columns.
 * The sub-counts are clamped into their totals as the price book clamps them: the tokens and the cost agree.
 */
export function eventTokens(u: Usage | undefined): Required<UsageTokens> {
  const prompt = Math.max(0, u?.promptTokens ?? 0);
  const completion = Math.max(0, u?.completionTokens ?? 0);
  const cached = within(u?.cachedPromptTokens, prompt);
  const cacheWrite = within(u?.cacheWriteTokens, prompt - cached);
  return { prompt, completion, cached, cacheWrite, cacheWrite1h: within(u?.cacheWrite1hTokens, cacheWrite), reasoning: within(u?.reasoningTokens, completion) };
}

const within = (v: number | undefined, max: number): number => Math.min(Math.max(0, v ?? 0), Math.max(0, max));

export function recordUsage(to: UsageEventTargets, o: RequestOutcome): void {
  const u = o.usage;
  // Only requests that reached (or tried to reach) a provider are billable usage.
  if (to.usage && (o.attempts > 0 || o.cacheHit)) {
    const p = o.principal;
    to.usage.record({
      requestId: o.requestId,
      time: Date.now() - Math.round(o.totalMs),
      keyId: p?.keyId ?? null,
      teamId: p?.team?.id ?? null,
      userId: p?.user?.id ?? null,
      model: o.model,
      deployment: o.deployment?.id ?? null,
      provider: o.deployment?.provider ?? null,
      upstreamModel: o.deployment?.upstreamModel ?? null,
      region: to.region,
      operation: o.op,
      status: o.status,
      errorCode: o.errorCode ?? null,
      latency: { totalMs: round3(o.totalMs), overheadMs: round3(o.overheadMs), upstreamMs: round3(o.upstreamMs), ttfbMs: o.ttfbMs === null ? null : round3(o.ttfbMs) },
      tokens: eventTokens(u),
      ...(u && (u.audioSeconds !== undefined || u.characters !== undefined || u.images !== undefined)
        ? { units: { ...(u.audioSeconds !== undefined ? { audioSeconds: u.audioSeconds } : {}), ...(u.characters !== undefined ? { characters: u.characters } : {}), ...(u.images !== undefined ? { images: u.images } : {}) } }
        : {}),
      costUsd: o.costUsd,
      ...(o.costByKind ? { costByKind: o.costByKind } : {}),
      cacheHit: o.cacheHit,
      attempts: o.attempts,
      stream: o.stream,
      ...(o.attemptLog?.length ? { attemptLog: o.attemptLog } : {}),
      ...(o.payload ? { payload: o.payload } : {}),
    });
  }
  if (!to.accessLog) return;
  to.logger.info({
    requestId: o.requestId,
    op: o.op,
    model: o.model || undefined,
    deployment: o.deployment?.id,
    keyId: o.principal?.keyId ?? undefined,
    status: o.status,
    error: o.errorCode,
    stream: o.stream,
    attempts: o.attempts,
    latencyMs: round3(o.totalMs),
    overheadMs: round3(o.overheadMs),
    promptTokens: u?.promptTokens,
    completionTokens: u?.completionTokens,
    cachedTokens: u?.cachedPromptTokens || undefined,
    cacheWriteTokens: u?.cacheWriteTokens || undefined,
    reasoningTokens: u?.reasoningTokens || undefined,
    costUsd: o.costUsd || undefined,
    cacheHit: o.cacheHit || undefined,
    usageCounted: o.usageCounted || undefined,
  });
}
