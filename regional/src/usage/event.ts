/**
 * The usage event: one per request that reached a provider (or was answered from cache), emitted by the
 * gateway after the response is settled and handed to the UsageRecorder without awaiting anything.
 *
 * It is the single source for spend aggregates (Postgres), traces and the request log (ClickHouse), the
 * payload archive (S3) and OTLP export. Field names are the wire names of the NDJSON spool, the embedded files
 * and the S3 archive, so they stay stable; add fields, never rename them.
 */

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
  tokens: {
    prompt: number;
    completion: number;
    /** Prompt tokens served from the provider's prompt cache (included in `prompt`). */
    cached: number;
  };
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
  /** Answered from the gateway's response cache. */
  cacheHit: boolean;
  /** Upstream attempts (1 = no retry or fallback). */
  attempts: number;
  stream: boolean;
  /** W3C trace id (32 hex) when the client sent `traceparent`; otherwise derived from requestId. */
  traceId?: string;
  /** Request and response bodies, only when the principal opted in to payload archiving (S3 sink only). */
  payload?: UsagePayload;
}

export interface UsagePayload {
  request: unknown;
  response: unknown;
}

/** Day bucket (UTC, `YYYY-MM-DD`) of an event, as used by spend aggregates and S3 partitions. */
export function eventDay(e: UsageEvent): string {
  return new Date(e.time).toISOString().slice(0, 10);
}
