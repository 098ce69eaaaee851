/**
 * The usage event: one per request that reached a provider (or was answered from cache), emitted by the
 * gateway after the response is settled and handed to the UsageRecorder without awaiting anything.
 *
 * It is the single source for spend aggregates (Postgres), traces and the request log (ClickHouse), the
 * payload archive (S3) and OTLP export. Field names are the wire names of the NDJSON spool, the embedded files
 * and the S3 archive, so they stay stable; add fields, never rename them.
 */
import type { CostByKind } from '../pricing/cost.js';

export type { CostByKind };

export interface UsageEvent {
  /** Gateway request id (`x-request-id`); the idempotency key of every sink. */
  requestId: string;
  /** Start of the request, epoch milliseconds. */
  time: number;
  /** Virtual key id; null for the master key. */
  keyId: string | null;
  teamId: string | null;
  userId: string | null;
  /** Public model name the client asked for. */
  model: string;
  /** Deployment id that served the request (the last attempt), null if none was reached. */
  deployment: string | null;
  /** Provider adapter name of that deployment (`openai`, `anthropic`, `bedrock`, …). */
  provider: string | null;
  /** Model name the upstream reported (or was sent), when known. */
  upstreamModel?: string | null;
  /** Region of the gateway that served the request (e.g. `eu-west-1`). */
  region: string;
  /** Operation (`chat`, `completions`, `embeddings`). */
  operation: string;
  /** HTTP status returned to the client. */
  status: number;
  /** Catalogue error code when the request failed (`upstream_timeout`, …), else null. */
  errorCode: string | null;
  /** Latency breakdown in milliseconds. */
  latency: {
    /** Request received → last byte sent. */
    totalMs: number;
    /** Time spent in the gateway itself (total − upstream). */
    overheadMs: number;
    /** Time spent waiting on upstream(s), all attempts. */
    upstreamMs: number;
    /** Request received → first byte (first token for streams) sent; null when nothing was sent. */
    ttfbMs: number | null;
  };
  tokens: UsageTokens;
  /** Media units of the audio and image endpoints (absent for the token endpoints). */
  units?: {
    /** Seconds of audio transcribed or translated. */
    audioSeconds?: number;
    /** Characters of text turned into speech. */
    characters?: number;
    /** Images generated or edited. */
    images?: number;
  };
  /** Cost of the request in USD, from the model's price table (0 for cache hits). */
  costUsd: number;
  /**
   * `costUsd` per token kind (USD), from the same price and the same tokens; the kinds add up to `costUsd`.
   * Absent in events written before the breakdown existed, and when no price was known.
   */
  costByKind?: CostByKind;
  /** Answered from the gateway's response cache. */
  cacheHit: boolean;
  /** Upstream attempts (1 = no retry or fallback). */
  attempts: number;
  /** Each upstream attempt in order (retries, other deployments, fallback models); absent on older events. */
  attemptLog?: UsageAttempt[];
  stream: boolean;
  /** W3C trace id (32 hex) when the client sent `traceparent`; otherwise derived from requestId. */
  traceId?: string;
  /** Request and response bodies, only when the principal opted in to payload archiving (S3 sink only). */
  payload?: UsagePayload;
}

/**
 * Token counts in OpenAI terms: `prompt` and `completion` are totals; the other counts say how many of those
 * were of a kind priced apart. The optional fields are absent in events written before they existed (read
 * them through `tokenBreakdown`).
 */
export interface UsageTokens {
  /** Every prompt (input) token: uncached, read from and written to the provider's cache. */
  prompt: number;
  /** Every completion (output) token, reasoning included. */
  completion: number;
  /** Prompt tokens read from the provider's prompt cache (⊂ `prompt`). */
  cached: number;
  /** Prompt tokens written to the provider's prompt cache (⊂ `prompt`; Anthropic, Bedrock, Vertex-Anthropic). */
  cacheWrite?: number;
  /** Of `cacheWrite`, those written with a 1-hour lifetime (⊂ `cacheWrite`). */
  cacheWrite1h?: number;
  /** Completion tokens spent on reasoning/thinking (⊂ `completion`). */
  reasoning?: number;
}

/** Every token kind of an event, absent fields as 0, plus the two remainders (`input`, `output`) priced at the base prices. */
export interface TokenBreakdown {
  prompt: number;
  completion: number;
  /** Prompt tokens neither read from nor written to a cache. */
  input: number;
  cached: number;
  cacheWrite: number;
  cacheWrite1h: number;
  /** Completion tokens that are not reasoning. */
  output: number;
  reasoning: number;
}

export function tokenBreakdown(e: Pick<UsageEvent, 'tokens'>): TokenBreakdown {
  const t = e.tokens;
  const cached = t.cached ?? 0;
  const cacheWrite = t.cacheWrite ?? 0;
  const reasoning = t.reasoning ?? 0;
  return {
    prompt: t.prompt,
    completion: t.completion,
    input: Math.max(0, t.prompt - cached - cacheWrite),
    cached,
    cacheWrite,
    cacheWrite1h: t.cacheWrite1h ?? 0,
    output: Math.max(0, t.completion - reasoning),
    reasoning,
  };
}

const NO_COST: Readonly<CostByKind> = Object.freeze({ input: 0, cachedInput: 0, cacheWrite: 0, output: 0, reasoning: 0 });

/** The event's cost per kind; zeros when it carries none (older events, unpriced models, cache hits). */
export function costBreakdown(e: Pick<UsageEvent, 'costByKind'>): Readonly<CostByKind> {
  return e.costByKind ?? NO_COST;
}

/** One upstream attempt of a request, as the console's request detail shows it. */
export interface UsageAttempt {
  /** Deployment id tried. */
  deployment: string;
  /** Model of the attempt (a fallback's name after a fallback). */
  model: string;
  /** Upstream HTTP status; 0 when no response came (connection refused, timeout). */
  status: number;
  /** Catalogue error code of a failed attempt, else null. */
  errorCode: string | null;
  /** Milliseconds from sending the upstream request to its end (0 when it was never sent). */
  durationMs: number;
}

export interface UsagePayload {
  request: unknown;
  response: unknown;
}

/** Day bucket (UTC, `YYYY-MM-DD`) of an event, as used by spend aggregates and S3 partitions. */
export function eventDay(e: UsageEvent): string {
  return new Date(e.time).toISOString().slice(0, 10);
}
