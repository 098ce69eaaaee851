/**
 * The durable spool: batches a sink could not take, kept in the region's S3 bucket so that they outlive the
 * task that accepted them (a Fargate task's disk dies with it). Any task of the region replays them.
 *
 *   s3://<bucket>/<prefix><sink>/<epoch ms, 15 digits>-<owner>-<seq>-<rows>.ndjson.gz
 *
 * Keys sort by creation time, so one listing page is the oldest 1,000 batches. Replay is not claimed: two
 * tasks may deliver the same object; the sinks are idempotent by request id, and the object is deleted after
 * a successful delivery (an object another task already deleted reads as absent and is skipped).
 *
 * `TieredSpool` puts S3 first and the task's local disk second: a batch that cannot be written to S3 (S3 down
 * too) goes to local disk, which survives a process restart but not the task. Local batches replay first.
 */
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { UsageEvent } from './event.js';
import { parseBatch, serializeBatch, type BatchSpool, type SpoolEntry } from './spool.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The S3 operations the spool needs (S3ObjectStore implements them). */
export interface SpoolObjects {
  readonly location: string;
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  list(prefix: string, max?: number): Promise<{ key: string; size: number }[]>;
  delete(key: string): Promise<void>;
}

/** This process's name in spool keys: distinct per process even on one host. */
const OWNER = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
let seq = 0;

const KEY_ROWS = /-(\d+)\.ndjson\.gz$/;
/** How long a batch that could not be read is passed over before it is tried again. */
const SKIP_MS = 30_000;

export class S3Spool implements BatchSpool {
  readonly location: string;
  /** Known batches, oldest first (merged from listings and this process's own appends). */
  private entries: SpoolEntry[] = [];
  /** Keys that could not be read, and until when they are passed over. */
  private readonly skipped = new Map<string, number>();
  private ready: Promise<void> | undefined;
  rows = 0;
  bytes = 0;
  corruptLines = 0;

  constructor(
    private readonly store: SpoolObjects,
    /** `<prefix><sink>/` */
    private readonly prefix: string,
    private readonly keepPayload: boolean,
  ) {
    this.location = `${store.location}/${prefix}`;
  }

  get files(): number {
    return this.entries.length;
  }

  /** First listing; retried on the next call when S3 cannot be listed. */
  open(): Promise<void> {
    this.ready ??= this.refresh().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** List the oldest page again: picks up batches that other (possibly dead) tasks left. */
  async refresh(): Promise<void> {
    const listed = await this.store.list(this.prefix, 1000);
    const byKey = new Map<string, SpoolEntry>();
    for (const o of listed) byKey.set(o.key, { id: o.key, rows: rowsOf(o.key), bytes: o.size });
    // Keep own appends that a page of older keys pushed out of view or that the listing raced.
    const last = listed.length > 0 ? listed[listed.length - 1]!.key : '';
    for (const e of this.entries) if (!byKey.has(e.id) && (listed.length < 1000 || e.id > last) && e.id.includes(`-${OWNER}-`)) byKey.set(e.id, e);
    this.setEntries([...byKey.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }

  async append(batch: readonly UsageEvent[]): Promise<SpoolEntry> {
    const body = await gzipAsync(serializeBatch(batch, this.keepPayload));
    const key = `${this.prefix}${Date.now().toString().padStart(15, '0')}-${OWNER}-${(seq++).toString().padStart(9, '0')}-${batch.length}.ndjson.gz`;
    await this.store.put(key, body, 'application/x-ndjson');
    const entry = { id: key, rows: batch.length, bytes: body.length };
    this.entries.push(entry);
    this.rows += batch.length;
    this.bytes += body.length;
    return entry;
  }

  /**
   * The oldest batch that can be read. One that cannot (a failed GET, a damaged object) is passed over for
   * `SKIP_MS` so that it never blocks the batches behind it; when none can be read, the last error is thrown.
   */
  async oldest(): Promise<{ entry: SpoolEntry; events: UsageEvent[] } | undefined> {
    await this.open();
    let lastError: unknown;
    const now = Date.now();
    for (let i = 0; i < this.entries.length; ) {
      const entry = this.entries[i]!;
      if ((this.skipped.get(entry.id) ?? 0) > now) {
        i++;
        continue;
      }
      try {
        const body = await this.store.get(entry.id);
        if (!body) {
          this.forget(entry); // replayed and deleted by another task meanwhile
          continue;
        }
        const { events, corrupt } = parseBatch((await gunzipAsync(body)).toString('utf8'));
        this.corruptLines += corrupt;
        this.skipped.delete(entry.id);
        return { entry, events };
      } catch (err) {
        lastError = err;
        this.skipped.set(entry.id, now + SKIP_MS);
        i++;
      }
    }
    if (lastError !== undefined) throw lastError;
    return undefined;
  }

  async remove(entry: SpoolEntry): Promise<void> {
    this.forget(entry);
    // A failed delete leaves the object for a later replay: harmless, the sinks are idempotent.
    await this.store.delete(entry.id).catch(() => undefined);
  }

  private forget(entry: SpoolEntry): boolean {
    // By key: a refresh may have replaced the entry object while its batch was being delivered.
    const i = this.entries.findIndex((e) => e.id === entry.id);
    this.skipped.delete(entry.id);
    if (i === -1) return false;
    const [gone] = this.entries.splice(i, 1);
    this.rows -= gone!.rows;
    this.bytes -= gone!.bytes;
    return true;
  }

  private setEntries(list: SpoolEntry[]): void {
    this.entries = list;
    this.rows = list.reduce((n, e) => n + e.rows, 0);
    this.bytes = list.reduce((n, e) => n + e.bytes, 0);
  }
}

function rowsOf(key: string): number {
  const m = KEY_ROWS.exec(key);
  return m ? Number(m[1]) : 0;
}

/**
 * S3 first, local disk as the last resort. While S3 cannot be read, its batches are left aside for
 * `retryMs` so that live delivery is not held up by a spool that cannot be replayed.
 */
export class TieredSpool implements BatchSpool {
  readonly location: string;
  private readonly from = new WeakMap<SpoolEntry, BatchSpool>();
  private remoteBlockedUntil = 0;

  constructor(
    readonly remote: BatchSpool,
    readonly local: BatchSpool,
    private readonly log: (msg: string, err?: unknown) => void = () => undefined,
    private readonly retryMs = 5000,
  ) {
    this.location = `${remote.location} (local fallback ${local.location})`;
  }

  private get remoteUsable(): boolean {
    return Date.now() >= this.remoteBlockedUntil;
  }

  get rows(): number {
    return this.remote.rows + this.local.rows;
  }
  get bytes(): number {
    return this.remote.bytes + this.local.bytes;
  }
  get files(): number {
    return this.local.files + (this.remoteUsable ? this.remote.files : 0);
  }
  get corruptLines(): number {
    return this.remote.corruptLines + this.local.corruptLines;
  }

  async open(): Promise<void> {
    await this.local.open();
    try {
      await this.remote.open();
    } catch (err) {
      this.log(`usage spool: cannot list ${this.remote.location}; batches other tasks left are replayed once it answers`, err);
    }
  }

  async refresh(): Promise<void> {
    try {
      await this.remote.refresh?.();
    } catch (err) {
      this.log(`usage spool: cannot list ${this.remote.location}`, err);
    }
  }

  async append(batch: readonly UsageEvent[]): Promise<SpoolEntry> {
    let tier = this.remote;
    let entry: SpoolEntry;
    try {
      entry = await this.remote.append(batch);
    } catch (err) {
      this.log(`usage spool: ${this.remote.location} unwritable, ${batch.length} rows to local disk (lost if this task is replaced)`, err);
      tier = this.local;
      entry = await this.local.append(batch);
    }
    this.from.set(entry, tier);
    return entry;
  }

  async oldest(): Promise<{ entry: SpoolEntry; events: UsageEvent[] } | undefined> {
    const local = await this.local.oldest();
    if (local) {
      this.from.set(local.entry, this.local);
      return local;
    }
    if (!this.remoteUsable) return undefined;
    try {
      const remote = await this.remote.oldest();
      if (remote) this.from.set(remote.entry, this.remote);
      return remote;
    } catch (err) {
      this.remoteBlockedUntil = Date.now() + this.retryMs;
      this.log(`usage spool: cannot read ${this.remote.location}; retrying in ${this.retryMs} ms`, err);
      return undefined;
    }
  }

  async remove(entry: SpoolEntry): Promise<void> {
    await (this.from.get(entry) ?? this.local).remove(entry);
    this.from.delete(entry);
  }
}
