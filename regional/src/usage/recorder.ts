/**
 * UsageRecorder: the one object the request path talks to. `record()` is synchronous, O(1) and never throws;
 * each event fans out to every sink's channel (batcher → sink, or → disk spool → replay). Nothing on the
 * request path awaits the pipeline.
 *
 * Guarantees: every recorded event reaches every sink at least once, and exactly once in effect because sinks
 * are idempotent by request id — through sink outages (spool + replay with backoff) and orderly shutdown
 * (`close()` delivers or spools everything). A crash (SIGKILL, OOM, task replaced) loses what was only in
 * memory: the open batch (one flush interval) and batches in delivery, which a delivery hanging longer than
 * `spillAfterMs` writes ahead to the spool. Only a durable spool (`spoolFor`, durable-spool.ts) outlives the
 * task; a local one outlives the process. README.md states the measured bounds.
 *
 * @example
 * const usage = new UsageRecorder({ sinks, dataDir: '/var/lib/skyway' });
 * usage.record(event);                                   // in the request path, after the response settled
 * process.once('SIGTERM', () => void usage.close().then(() => process.exit(0)));
 */
import type { UsageEvent } from './event.js';
import type { UsageSink } from './sink.js';
import type { BatchSpool } from './spool.js';
import { SinkChannel, type ChannelObserver, type ChannelOptions, type ChannelStats } from './channel.js';

export interface UsageRecorderOptions extends Partial<ChannelOptions> {
  sinks: readonly UsageSink[];
  /** Root of local state; spools live in `<dataDir>/spool/<sink>/`. */
  dataDir: string;
  /** Cut open batches this often (ms). @default 1000 */
  flushIntervalMs?: number;
  /** Called synchronously with every recorded event (request metrics, EMF aggregation). Must be cheap. */
  onEvent?: ((e: UsageEvent) => void) | undefined;
  observer?: ChannelObserver | undefined;
  /**
   * The spool of a sink when not the local one: the durable S3 spool (durable-spool.ts). Return undefined to
   * keep a sink on local disk.
   */
  spoolFor?: ((sink: UsageSink, log: (msg: string, err?: unknown) => void) => BatchSpool | undefined) | undefined;
  /** How often shared spools are listed for batches other processes left (ms). @default 15000 */
  spoolScanMs?: number | undefined;
  /** Where delivery problems are reported (pino-compatible). */
  logger?: { warn(obj: object, msg: string): void } | undefined;
}

export const USAGE_DEFAULTS: ChannelOptions & { flushIntervalMs: number } = {
  batchSize: 1000,
  flushIntervalMs: 1000,
  maxQueueRows: 50_000,
  maxSpillRows: 500_000,
  minBackoffMs: 500,
  maxBackoffMs: 30_000,
  writeTimeoutMs: 15_000,
  spillAfterMs: 1000,
};

export class UsageRecorder {
  readonly channels: readonly SinkChannel[];
  private readonly timer: NodeJS.Timeout;
  private readonly scanTimer: NodeJS.Timeout;
  private readonly onEvent: ((e: UsageEvent) => void) | undefined;
  private closed: Promise<void> | undefined;
  /** Events refused because the recorder was closed or a hook threw. */
  rejected = 0;

  constructor(opts: UsageRecorderOptions) {
    const o = { ...USAGE_DEFAULTS, ...definedOnly(opts) };
    const names = new Set<string>();
    for (const s of opts.sinks) {
      if (names.has(s.name)) throw new Error(`usage sinks need distinct names; "${s.name}" appears twice`);
      names.add(s.name);
    }
    const log = (msg: string, err?: unknown) => opts.logger?.warn(err === undefined ? {} : { err }, msg);
    this.channels = opts.sinks.map((s) => new SinkChannel(s, opts.dataDir, o, opts.observer, log, opts.spoolFor?.(s, log)));
    this.onEvent = opts.onEvent;
    this.timer = setInterval(() => {
      for (const c of this.channels) c.cut();
    }, o.flushIntervalMs);
    this.timer.unref();
    this.scanTimer = setInterval(() => {
      for (const c of this.channels) void c.rescan().catch((err: unknown) => log(`usage sink ${c.sink.name}: spool rescan failed`, err));
    }, opts.spoolScanMs ?? 15_000);
    this.scanTimer.unref();
    // Replay whatever an earlier process left in the spools.
    for (const c of this.channels) c.kick();
  }

  /** Hand one event to every sink. Synchronous, O(1), never throws. */
  record(e: UsageEvent): void {
    if (this.closed) {
      this.rejected++;
      return;
    }
    try {
      this.onEvent?.(e);
    } catch {
      // Metrics must never cost a usage record.
    }
    const cs = this.channels;
    for (let i = 0; i < cs.length; i++) cs[i]!.push(e);
  }

  /** Resolve once every recorded event is delivered or spooled to disk. */
  async flush(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.flush()));
  }

  /**
   * Orderly shutdown (SIGTERM): stop accepting events, deliver what is in memory for up to `timeoutMs`, spool
   * the rest, then close the sinks. Keep `timeoutMs` inside the ECS stopTimeout. Idempotent.
   */
  close(timeoutMs = 10_000): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      clearInterval(this.scanTimer);
      const deadline = Date.now() + timeoutMs;
      await Promise.all(this.channels.map((c) => c.close(deadline)));
      await Promise.all(this.channels.map((c) => c.sink.close?.().catch(() => undefined)));
    })();
    return this.closed;
  }

  stats(): ChannelStats[] {
    return this.channels.map((c) => c.stats());
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
