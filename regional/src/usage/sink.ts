/**
 * A destination of usage events. The recorder hands each sink batches through its own channel (batcher +
 * spool), so a sink only has to deliver one batch at a time and may fail freely: a failed batch is spooled to
 * disk and delivered again later. Delivery is at least once; sinks make it exactly once by being idempotent
 * by request id (primary key, ReplacingMergeTree / dedup token, deterministic object keys).
 */
import type { UsageEvent } from './event.js';

export interface UsageSink {
  /** Stable short name: the spool directory (`<data dir>/spool/<name>/`) and the metrics label. */
  readonly name: string;
  /** Whether the sink reads `event.payload`; others never see payloads spooled on their behalf. */
  readonly wantsPayload?: boolean;
  /** Prepare the destination (DDL, bucket checks). Called before the first write and again after a failure. */
  init?(): Promise<void>;
  /** Deliver one batch. May be called again with the same batch (replay): must be idempotent by requestId. */
  write(batch: readonly UsageEvent[], signal: AbortSignal): Promise<void>;
  /** Release connections. Called once by UsageRecorder.close() after everything was delivered or spooled. */
  close?(): Promise<void>;
}
