/**
 * Polls the cross-region change feed (`config_changes`, db/config-changes.ts) on this region's config endpoint
 * (the local replica in a secondary region) and hands every new change to `deliver`: the region's gateways drop
 * a revoked key from their caches once the replica has it, although the primary's Redis pub/sub never reaches
 * them. Delay from the primary's commit to delivery = replication lag + at most one poll interval + one query.
 *
 * Late commits: ids come from a sequence at insert, so a slow transaction can make id 41 visible after id 42
 * was read. An id skipped over is remembered as a gap and asked for again on every poll for `gapWaitMs`
 * (rolled-back transactions leave gaps that never fill; they are forgotten after that).
 *
 * @example
 *   const feed = new ChangeFeedPoller({ db: configPool, deliver: (e) => bus.deliverLocally(e) });
 *   await feed.start();   // from the newest row: the caches of a starting process are empty anyway
 *   ...
 *   feed.stop();
 */
import type pg from 'pg';
import { changesAfter, latestChangeId, pruneChanges, type ChangeRow } from '../../db/config-changes.js';
import type { ChangeEvent } from '../events.js';

export interface ChangeFeedOptions {
  /** The local config endpoint (replica or writer). */
  db: Pick<pg.Pool, 'query'>;
  deliver: (e: ChangeEvent, row: ChangeRow) => void;
  /** @default 250 */
  intervalMs?: number;
  /** Rows per query. @default 500 */
  batch?: number;
  /** How long a skipped id is waited for. @default 10000 */
  gapWaitMs?: number;
  /** Called when a poll fails after having succeeded (once per outage). */
  onError?: (err: unknown) => void;
  /** Called when polling works again after failures: changes may have been missed by the caches meanwhile. */
  onRecovered?: () => void;
  /** Old rows are deleted every `everyMs` while `writable()` says the endpoint is the writer. */
  prune?: { retentionMs: number; everyMs: number; writable: () => Promise<boolean> };
  now?: () => number;
}

export class ChangeFeedPoller {
  readonly #o: Required<Omit<ChangeFeedOptions, 'onError' | 'onRecovered' | 'prune'>> & Pick<ChangeFeedOptions, 'onError' | 'onRecovered' | 'prune'>;
  #last = 0n;
  /** Skipped ids → when first noticed. */
  readonly #gaps = new Map<bigint, number>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;
  #healthy = false;
  #failing = false;
  #lastPrune = 0;
  #polling: Promise<number> | undefined;

  constructor(opts: ChangeFeedOptions) {
    this.#o = { intervalMs: 250, batch: 500, gapWaitMs: 10_000, now: Date.now, ...opts };
  }

  /** True while the last poll succeeded: changes from other regions are being heard. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** The highest change id delivered or skipped so far. */
  get position(): bigint {
    return this.#last;
  }

  /**
   * Begin at the newest row and poll every `intervalMs`. When the endpoint cannot be read yet, polling starts
   * from the first row it can read later (and `onRecovered` tells the caches to start over).
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      this.#last = await latestChangeId(this.#o.db);
      this.#healthy = true;
    } catch (err) {
      this.#failing = true;
      this.#o.onError?.(err);
    }
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.pollOnce().finally(() => this.#schedule());
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One poll (tests call it directly); resolves to the number of changes delivered. Never rejects. */
  pollOnce(): Promise<number> {
    this.#polling ??= this.#poll().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #poll(): Promise<number> {
    let delivered = 0;
    try {
      if (this.#failing && this.#last === 0n) this.#last = await latestChangeId(this.#o.db);
      delivered += await this.#fillGaps();
      for (;;) {
        const rows = await changesAfter(this.#o.db, this.#last, this.#o.batch);
        for (const row of rows) {
          const id = BigInt(row.id);
          // A jump of more than a few hundred ids is not a late commit (a sequence cache, a restore): not waited for.
          if (id - this.#last <= 500n) for (let missing = this.#last + 1n; missing < id; missing++) this.#gaps.set(missing, this.#o.now());
          this.#last = id;
          this.#o.deliver(row.event, row);
          delivered++;
        }
        if (rows.length < this.#o.batch) break;
      }
      this.#healthy = true;
      if (this.#failing) {
        this.#failing = false;
        this.#o.onRecovered?.();
      }
      await this.#maybePrune();
    } catch (err) {
      this.#healthy = false;
      if (!this.#failing) this.#o.onError?.(err);
      this.#failing = true;
    }
    return delivered;
  }

  async #fillGaps(): Promise<number> {
    if (!this.#gaps.size) return 0;
    const now = this.#o.now();
    for (const [id, since] of this.#gaps) if (now - since > this.#o.gapWaitMs) this.#gaps.delete(id);
    if (!this.#gaps.size) return 0;
    const ids = [...this.#gaps.keys()].map(String);
    const res = await this.#o.db.query('select id::text as id, payload, created_at from config_changes where id = any($1::bigint[]) order by id', [ids]);
    let n = 0;
    for (const r of res.rows as Array<{ id: string; payload: ChangeEvent; created_at: Date }>) {
      this.#gaps.delete(BigInt(r.id));
      this.#o.deliver(r.payload, { id: r.id, event: r.payload, createdAt: r.created_at });
      n++;
    }
    return n;
  }

  async #maybePrune(): Promise<void> {
    const p = this.#o.prune;
    if (!p || this.#o.now() - this.#lastPrune < p.everyMs) return;
    this.#lastPrune = this.#o.now();
    if (await p.writable()) await pruneChanges(this.#o.db, p.retentionMs);
  }
}
