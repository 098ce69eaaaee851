/**
 * The archive sink: usage events (with payloads, redacted, for principals that opted in) as gzipped NDJSON
 * objects, partitioned for Athena:
 *
 *   <prefix>dt=YYYY-MM-DD/hour=HH/region=<region>/<batch token>.ndjson.gz
 *
 * A batch is split by partition (UTC hour of the event, region); each part's key is derived from the request
 * ids it holds, so a replayed batch overwrites its own objects with the same bytes instead of adding copies.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/**
 * Compression runs on libuv's thread pool: a second's batch must not stall the request path. Level 1: that
 * pool shares the task's cores with the event loop; level 1 costs about a third of the default level's CPU
 * for NDJSON about 15 % larger (measured: 3.2 vs 8.6 ms and 9.8 vs 8.6 KB per 1,000 chat rows).
 */
const gzipAsync = (text: string) => promisify(gzip)(text, { level: 1 });
import type { UsageEvent } from '../event.js';
import type { ObjectStore } from '../object-store.js';
import { DEFAULT_REDACTION, redactor, type RedactionRules } from '../redact.js';
import { batchToken } from '../rows.js';
import type { UsageSink } from '../sink.js';

export interface ArchiveSinkOptions {
  /** Key prefix, e.g. `usage/`. @default 'usage/' */
  prefix?: string | undefined;
  redaction?: RedactionRules | undefined;
}

const HOUR = 3_600_000;
/** The last partition made: events of a batch share one hour and region, so nearly all reuse it. */
let last = { start: NaN, region: '', path: '' };

/** Partition path of an event: `dt=…/hour=…/region=…/`. */
export function archivePartition(e: UsageEvent): string {
  const t = e.time;
  // Whole milliseconds only (what the gateway writes): Date truncates a fraction toward zero, not down.
  const whole = Number.isInteger(t);
  if (whole && t >= last.start && t < last.start + HOUR && e.region === last.region) return last.path;
  const iso = new Date(t).toISOString();
  const path = `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/region=${encodeURIComponent(e.region)}/`;
  if (whole) last = { start: t - (((t % HOUR) + HOUR) % HOUR), region: e.region, path };
  return path;
}

export class ArchiveSink implements UsageSink {
  readonly name = 'archive';
  readonly wantsPayload = true;
  private readonly prefix: string;
  private readonly redact: (v: unknown) => unknown;

  constructor(
    private readonly store: ObjectStore,
    opts: ArchiveSinkOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'usage/';
    this.redact = redactor(opts.redaction ?? DEFAULT_REDACTION);
  }

  async write(batch: readonly UsageEvent[], signal: AbortSignal): Promise<void> {
    const parts = new Map<string, UsageEvent[]>();
    for (const e of batch) {
      const p = archivePartition(e);
      let list = parts.get(p);
      if (!list) parts.set(p, (list = []));
      list.push(e);
    }
    for (const [partition, events] of parts) {
      let text = '';
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        text += JSON.stringify(e.payload ? { ...e, payload: this.redact(e.payload) } : e) + '\n';
        // Encoding runs on the event loop: yield between slices so a big batch never stalls requests (p99).
        if (i % 200 === 199) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const key = `${this.prefix}${partition}${batchToken(events)}.ndjson.gz`;
      await this.store.put(key, await gzipAsync(text), 'application/x-ndjson', signal);
    }
  }

  async close(): Promise<void> {
    await this.store.close?.();
  }
}
