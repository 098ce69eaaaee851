/**
 * The path from the recorder to one sink: an open batch in memory, a bounded list of cut batches waiting for
 * delivery, and the sink's disk spool. One delivery runs at a time per sink.
 *
 * - A batch is cut at `batchSize` rows or by the recorder's tick (about every second).
 * - While the sink is healthy, cut batches wait in memory (at most `maxQueueRows`; beyond that the newest
 *   spill to the spool). While it is failing, every cut batch goes straight to the spool, so memory stays flat
 *   however long the outage lasts.
 * - After a failure the channel waits (exponential backoff with jitter), then replays the spool oldest first;
 *   the first success marks the sink healthy again.
 * - Rows are dropped only when the spool itself cannot be written (disk full) or too much is already being
 *   written to it; drops are counted and should stay at zero.
 */
import { join } from 'node:path';
import type { UsageEvent } from './event.js';
import type { UsageSink } from './sink.js';
import { Spool, type BatchSpool, type SpoolEntry } from './spool.js';

export interface ChannelOptions {
  batchSize: number;
  maxQueueRows: number;
  /** Rows allowed to be in the middle of a spool write at once; beyond that, rows are dropped. */
  maxSpillRows: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  writeTimeoutMs: number;
  /**
   * A live delivery still running after this long (ms) is treated as a sink in trouble: the batch is written
   * ahead to the spool (the copy is removed if the delivery then succeeds) and newly cut batches go to the
   * spool until the delivery settles. Bounds how long accepted events stay only in memory when a sink hangs
   * instead of failing fast. 0 disables.
   */
  spillAfterMs: number;
}

/** Counters the channel reports as they happen (metrics hang off these). */
export interface ChannelObserver {
  delivered?(sink: string, rows: number): void;
  spooled?(sink: string, rows: number): void;
  dropped?(sink: string, rows: number, reason: 'spool_error' | 'spool_full' | 'closed'): void;
  failed?(sink: string, err: unknown): void;
  recovered?(sink: string): void;
}

export interface ChannelStats {
  sink: string;
  healthy: boolean;
  /** Rows in memory (open batch + cut batches waiting). */
  queuedRows: number;
  spoolRows: number;
  spoolBytes: number;
  spoolFiles: number;
  delivered: number;
  dropped: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SinkChannel {
  readonly spool: BatchSpool;
  private queue: UsageEvent[] = [];
  private pending: UsageEvent[][] = [];
  private pendingRows = 0;
  private spillingRows = 0;
  private readonly spillWrites = new Set<Promise<void>>();
  private pumping: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private initialized = false;
  private closing = false;
  private inflight: AbortController | undefined;
  /** The live delivery has run longer than spillAfterMs: cut batches go to the spool meanwhile. */
  private slow = false;
  /** The spool copy of the batch in delivery, when it was written ahead. */
  private aheadCopy: Promise<SpoolEntry | undefined> | undefined;
  delivered = 0;
  dropped = 0;

  constructor(
    readonly sink: UsageSink,
    dataDir: string,
    private readonly opts: ChannelOptions,
    private readonly observer: ChannelObserver = {},
    private readonly log: (msg: string, err?: unknown) => void = () => undefined,
    /** A spool other than the local one (the durable S3 spool, durable-spool.ts). */
    spool?: BatchSpool,
  ) {
    this.spool = spool ?? new Spool(join(dataDir, 'spool', sink.name), sink.wantsPayload === true);
  }

  /** Look for batches other processes left in a shared spool, then replay them if the sink is idle. */
  async rescan(): Promise<void> {
    if (this.closing || !this.spool.refresh) return;
    await this.spool.refresh();
    this.kick();
  }

  /** Hot path: O(1), no allocation beyond the array slot. */
  push(e: UsageEvent): void {
    this.queue.push(e);
    if (this.queue.length >= this.opts.batchSize) this.cut();
  }

  /** Close the open batch and hand it to delivery (or to the spool while the sink is down). */
  cut(): void {
    if (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.failures > 0 || this.slow) {
        this.spill(batch);
      } else {
        this.pending.push(batch);
        this.pendingRows += batch.length;
        // Keep the batch being delivered (index 0); spill the newest beyond the memory bound.
        while (this.pendingRows > this.opts.maxQueueRows && this.pending.length > 1) {
          const newest = this.pending.pop()!;
          this.pendingRows -= newest.length;
          this.spill(newest);
        }
      }
    }
    this.kick();
  }

  stats(): ChannelStats {
    return {
      sink: this.sink.name,
      healthy: this.failures === 0,
      queuedRows: this.queue.length + this.pendingRows,
      spoolRows: this.spool.rows + this.spillingRows,
      spoolBytes: this.spool.bytes,
      spoolFiles: this.spool.files,
      delivered: this.delivered,
      dropped: this.dropped,
    };
  }

  /** Start delivery if it is not running (and not waiting out a backoff). */
  kick(): void {
    if (this.pumping || this.retryTimer) return;
    this.pumping = this.pump()
      .catch((err: unknown) => this.log(`usage sink ${this.sink.name}: delivery loop failed`, err))
      .finally(() => {
        this.pumping = undefined;
        if (!this.closing && !this.retryTimer && (this.pending.length > 0 || this.spool.files > 0)) this.kick();
      });
  }

  private spill(batch: UsageEvent[]): void {
    if (this.spillingRows + batch.length > this.opts.maxSpillRows) {
      this.drop(batch.length, 'spool_full');
      return;
    }
    this.spillingRows += batch.length;
    const write: Promise<void> = this.spool
      .append(batch)
      .then(
        () => this.observer.spooled?.(this.sink.name, batch.length),
        (err: unknown) => {
          this.log(`usage sink ${this.sink.name}: spool write failed, ${batch.length} rows dropped`, err);
          this.drop(batch.length, 'spool_error');
        },
      )
      .finally(() => {
        this.spillingRows -= batch.length;
        this.spillWrites.delete(write);
      });
    this.spillWrites.add(write);
  }

  /** Write the batch in delivery ahead to the spool, and move the ones waiting behind it there too. */
  private writeAhead(batch: readonly UsageEvent[]): void {
    if (this.closing) return;
    this.slow = true;
    const copy = this.spool.append(batch).then(
      (entry) => entry,
      (err: unknown) => {
        this.log(`usage sink ${this.sink.name}: write-ahead to the spool failed`, err);
        return undefined;
      },
    );
    const tracked = copy.then(() => undefined);
    this.spillWrites.add(tracked);
    void tracked.finally(() => this.spillWrites.delete(tracked));
    this.aheadCopy = copy;
    const behind = this.pending.slice(1);
    this.pending = this.pending.slice(0, 1);
    this.pendingRows = this.pending.reduce((n, b) => n + b.length, 0);
    for (const b of behind) this.spill(b);
  }

  private spillPending(skipFirst = false): void {
    const batches = skipFirst ? this.pending.slice(1) : this.pending;
    this.pending = [];
    this.pendingRows = 0;
    for (const b of batches) this.spill(b);
  }

  private drop(rows: number, reason: 'spool_error' | 'spool_full' | 'closed'): void {
    this.dropped += rows;
    this.observer.dropped?.(this.sink.name, rows, reason);
  }

  private async pump(): Promise<void> {
    await this.spool.open();
    for (;;) {
      const wait = this.retryAt - Date.now();
      if (wait > 0) {
        if (!this.closing) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.kick();
          }, wait);
          this.retryTimer.unref();
        }
        return;
      }
      // Oldest first; but while shutting down, what is only in memory goes first.
      let batch: readonly UsageEvent[];
      let entry: SpoolEntry | undefined;
      if (this.pending.length > 0 && (this.closing || this.spool.files === 0)) {
        batch = this.pending[0]!;
      } else if (this.spool.files > 0 && !this.closing) {
        let oldest: Awaited<ReturnType<BatchSpool['oldest']>>;
        try {
          oldest = await this.spool.oldest();
        } catch (err) {
          // The spool cannot be read right now: wait like after a failed delivery, without blaming the sink.
          this.log(`usage sink ${this.sink.name}: spool ${this.spool.location} unreadable`, err);
          this.retryAt = Date.now() + this.opts.minBackoffMs;
          continue;
        }
        if (!oldest) {
          if (this.spool.files > 0) this.retryAt = Date.now() + this.opts.minBackoffMs; // never spin on a spool that yields nothing
          continue;
        }
        batch = oldest.events;
        entry = oldest.entry;
      } else {
        return;
      }
      let ahead: NodeJS.Timeout | undefined;
      if (!entry && this.opts.spillAfterMs > 0) ahead = setTimeout(() => this.writeAhead(batch), this.opts.spillAfterMs);
      try {
        if (batch.length > 0) await this.deliver(batch);
      } catch (err) {
        clearTimeout(ahead);
        this.slow = false;
        const copied = this.aheadCopy ? await this.aheadCopy : undefined;
        this.aheadCopy = undefined;
        this.initialized = false;
        this.failures++;
        const backoff = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** Math.min(this.failures - 1, 20));
        this.retryAt = Date.now() + backoff * (0.8 + Math.random() * 0.4);
        if (this.failures === 1) this.log(`usage sink ${this.sink.name}: delivery failed, spooling and retrying`, err);
        this.observer.failed?.(this.sink.name, err);
        if (!entry) this.spillPending(copied !== undefined); // a batch written ahead is in the spool already
        continue;
      }
      clearTimeout(ahead);
      this.slow = false;
      if (this.aheadCopy) {
        // Delivered after all: its spool copy would only be delivered again.
        const copied = await this.aheadCopy;
        this.aheadCopy = undefined;
        if (copied) await this.spool.remove(copied).catch(() => undefined);
      }
      if (this.failures > 0) {
        this.log(`usage sink ${this.sink.name}: recovered after ${this.failures} failed attempts`);
        this.observer.recovered?.(this.sink.name);
      }
      this.failures = 0;
      this.retryAt = 0;
      if (entry) {
        await this.spool.remove(entry);
      } else if (this.pending[0] === batch) {
        this.pending.shift();
        this.pendingRows -= batch.length;
      }
      this.delivered += batch.length;
      this.observer.delivered?.(this.sink.name, batch.length);
    }
  }

  private async deliver(batch: readonly UsageEvent[]): Promise<void> {
    const ac = new AbortController();
    this.inflight = ac;
    const timer = setTimeout(() => ac.abort(new Error(`usage sink ${this.sink.name}: write timed out`)), this.opts.writeTimeoutMs);
    // A sink that ignores its signal must not hold the channel: the race settles on abort regardless.
    const aborted = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }));
    aborted.catch(() => undefined);
    try {
      if (!this.initialized) {
        await Promise.race([this.sink.init?.(), aborted]);
        this.initialized = true;
      }
      await Promise.race([this.sink.write(batch, ac.signal), aborted]);
    } finally {
      clearTimeout(timer);
      this.inflight = undefined;
    }
  }

  /** Resolve once nothing of this sink is only in memory: everything delivered or on disk. */
  async flush(): Promise<void> {
    this.cut();
    while (this.pending.length > 0 || this.spillWrites.size > 0) {
      if (this.pending.length > 0) this.kick();
      await sleep(10);
    }
  }

  /**
   * Shutdown: deliver what is in memory until `deadline` (epoch ms), then abort the write in flight and spool
   * the rest. Spool replay is left to the next process.
   */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.cut();
    while ((this.pending.length > 0 || this.pumping) && Date.now() < deadline) await sleep(10);
    if (this.inflight) this.inflight.abort(new Error(`usage sink ${this.sink.name}: shutting down`));
    await this.pumping;
    if (this.queue.length > 0) this.cut();
    this.spillPending();
    while (this.spillWrites.size > 0) await Promise.all([...this.spillWrites]);
  }
}
