/**
 * The end of every model request: one usage event to the usage pipeline (spend, traces, archive) and one
 * access-log line, from a plain description of how the request went. Neither is awaited: the recorder
 * queues the event and the logger buffers the line.
 */
import type { Principal } from '../auth/principal.js';
import type { InfoWriter } from '../logging/access-log.js';
import { jsonValue } from '../logging/json-text.js';
import type { Deployment, Operation, Usage } from '../providers/adapter.js';
import type { CostByKind, UsageAttempt, UsageEvent, UsagePayload, UsageTokens } from './event.js';

/**
 * What the request path knows about a request at its end: the one description of a finished request.
 * pipeline/settle.ts's `FinishedRequest` is this plus the time of the first byte; the client exchange adds
 * what `RequestEnd` holds.
 */
export interface RequestFacts {
  op: Operation;
  /** The public model the client asked for ('' when the body never named one). */
  model: string;
  principal: Principal | undefined;
  /** The deployment of the last attempt. */
  deployment: Deployment | undefined;
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
  /** Each upstream attempt, in order. */
  attemptLog?: UsageAttempt[] | undefined;
  /** Request and response bodies, only for principals that opted in to payload archiving. */
  payload?: UsagePayload | undefined;
}

/** What the client exchange knows at the end: the request id, the status sent and the timings. */
export interface RequestEnd {
  requestId: string;
  /** HTTP status sent (499 when the client went away first). */
  status: number;
  /** Milliseconds: whole request, gateway overhead, upstream time, and to the first byte (null: none sent). */
  totalMs: number;
  overheadMs: number;
  upstreamMs: number;
  ttfbMs: number | null;
}

/** How one request went, in one object (tests and callers without a client exchange). */
export interface RequestOutcome extends RequestFacts, RequestEnd {}

export interface UsageEventTargets {
  usage: { record(e: UsageEvent): void } | undefined;
  /** The access log (logging/access-log.ts's writer: `infoFields` when registered, else any logger's `info`). */
  logger: InfoWriter;
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

/** Media units of an answer, when it has any (audio and image endpoints). */
function unitsOf(u: Usage | undefined): UsageEvent['units'] {
  if (!u || (u.audioSeconds === undefined && u.characters === undefined && u.images === undefined)) return undefined;
  const units: NonNullable<UsageEvent['units']> = {};
  if (u.audioSeconds !== undefined) units.audioSeconds = u.audioSeconds;
  if (u.characters !== undefined) units.characters = u.characters;
  if (u.images !== undefined) units.images = u.images;
  return units;
}

/**
 * The usage event and the access-log line of a finished request. `end` defaults to `o` itself (a whole
 * RequestOutcome); settle.ts passes the request's facts and the exchange's end apart, so that nothing is copied.
 *
 * The event always has the same properties in the same order (absent optional fields are `undefined`, which
 * JSON leaves out: the spool, archive and file lines are the bytes they were), so every event shares one shape.
 */
export function recordUsage(to: UsageEventTargets, o: RequestOutcome): void;
export function recordUsage(to: UsageEventTargets, o: RequestFacts, end: RequestEnd): void;
export function recordUsage(to: UsageEventTargets, o: RequestFacts, end: RequestEnd = o as RequestOutcome): void {
  const u = o.usage;
  // Only requests that reached (or tried to reach) a provider are billable usage.
  if (to.usage && (o.attempts > 0 || o.cacheHit)) {
    const p = o.principal;
    const d = o.deployment;
    to.usage.record({
      requestId: end.requestId,
      time: Date.now() - Math.round(end.totalMs),
      keyId: p?.keyId ?? null,
      teamId: p?.team?.id ?? null,
      userId: p?.user?.id ?? null,
      model: o.model,
      deployment: d?.id ?? null,
      provider: d?.provider ?? null,
      upstreamModel: d?.upstreamModel ?? null,
      region: to.region,
      operation: o.op,
      status: end.status,
      errorCode: o.errorCode ?? null,
      latency: { totalMs: round3(end.totalMs), overheadMs: round3(end.overheadMs), upstreamMs: round3(end.upstreamMs), ttfbMs: end.ttfbMs === null ? null : round3(end.ttfbMs) },
      tokens: eventTokens(u),
      units: unitsOf(u),
      costUsd: o.costUsd,
      costByKind: o.costByKind,
      cacheHit: o.cacheHit,
      attempts: o.attempts,
      stream: o.stream,
      attemptLog: o.attemptLog?.length ? o.attemptLog : undefined,
      payload: o.payload,
    });
  }
  if (!to.accessLog) return;
  if (to.logger.infoFields) to.logger.infoFields(accessLogFields(o, end));
  else to.logger.info(accessLogObject(o, end));
}

/** The access-log line's fields (undefined ones are left out of the line). */
export function accessLogObject(o: RequestFacts, end: RequestEnd): object {
  const u = o.usage;
  return {
    requestId: end.requestId,
    op: o.op,
    model: o.model || undefined,
    deployment: o.deployment?.id,
    keyId: o.principal?.keyId ?? undefined,
    status: end.status,
    error: o.errorCode,
    stream: o.stream,
    attempts: o.attempts,
    latencyMs: round3(end.totalMs),
    overheadMs: round3(end.overheadMs),
    promptTokens: u?.promptTokens,
    completionTokens: u?.completionTokens,
    cachedTokens: u?.cachedPromptTokens || undefined,
    cacheWriteTokens: u?.cacheWriteTokens || undefined,
    reasoningTokens: u?.reasoningTokens || undefined,
    costUsd: o.costUsd || undefined,
    cacheHit: o.cacheHit || undefined,
    usageCounted: o.usageCounted || undefined,
  };
}

/** `,"key":json` of a field, or nothing when the line leaves it out. */
function member(prefix: string, v: unknown): string {
  const json = jsonValue(v);
  return json === undefined ? '' : prefix + json;
}

/**
 * `accessLogObject(o, end)` as the JSON text of its members (`,"requestId":…`), written straight from the
 * request's state: the text the access log's `infoLine` makes of that object (usage-event.test.ts compares them).
 */
export function accessLogFields(o: RequestFacts, end: RequestEnd): string {
  const u = o.usage;
  return (
    member(',"requestId":', end.requestId) +
    member(',"op":', o.op) +
    member(',"model":', o.model || undefined) +
    member(',"deployment":', o.deployment?.id) +
    member(',"keyId":', o.principal?.keyId ?? undefined) +
    member(',"status":', end.status) +
    member(',"error":', o.errorCode) +
    member(',"stream":', o.stream) +
    member(',"attempts":', o.attempts) +
    member(',"latencyMs":', round3(end.totalMs)) +
    member(',"overheadMs":', round3(end.overheadMs)) +
    member(',"promptTokens":', u?.promptTokens) +
    member(',"completionTokens":', u?.completionTokens) +
    member(',"cachedTokens":', u?.cachedPromptTokens || undefined) +
    member(',"cacheWriteTokens":', u?.cacheWriteTokens || undefined) +
    member(',"reasoningTokens":', u?.reasoningTokens || undefined) +
    member(',"costUsd":', o.costUsd || undefined) +
    member(',"cacheHit":', o.cacheHit || undefined) +
    member(',"usageCounted":', o.usageCounted || undefined)
  );
}
