/**
 * The on-disk spool of one sink: an append-only directory of NDJSON files, one per batch that could not be
 * delivered (or did not fit in memory), named so that lexical order is arrival order. A file is written to a
 * temporary name and renamed, so a crash leaves either a whole batch or nothing. Replay reads the oldest file,
 * delivers it and deletes it; a batch therefore keeps its identity across replays (the S3 object key and the
 * ClickHouse dedup token are derived from it).
 *
 * One process per data dir: two recorders on the same spool would replay the same files twice (harmless,
 * since sinks are idempotent, but wasteful).
 */
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UsageEvent } from './event.js';

export interface SpoolEntry {
  /** The file path (local) or object key (S3). */
  readonly id: string;
  readonly rows: number;
  readonly bytes: number;
}

/** What a channel needs of a spool: the local directory below, the S3 spool, or both tiered (durable-spool.ts). */
export interface BatchSpool {
  /** Where it lives, for logs. */
  readonly location: string;
  /** Rows, bytes and batches known to be waiting. */
  readonly rows: number;
  readonly bytes: number;
  readonly files: number;
  readonly corruptLines: number;
  open(): Promise<void>;
  /** Write one batch; resolves with its entry once it is stored. */
  append(batch: readonly UsageEvent[]): Promise<SpoolEntry>;
  /** The oldest batch, or undefined when the spool is empty. */
  oldest(): Promise<{ entry: SpoolEntry; events: UsageEvent[] } | undefined>;
  /** Forget a delivered batch. */
  remove(entry: SpoolEntry): Promise<void>;
  /** Look again for batches other processes left (shared spools); nothing to do for a local one. */
  refresh?(): Promise<void>;
}

let seq = 0;

function dropPayload(this: unknown, key: string, value: unknown): unknown {
  return key === 'payload' ? undefined : value;
}

/** NDJSON of a batch; `payload` only for sinks that read it. */
export function serializeBatch(batch: readonly UsageEvent[], keepPayload: boolean): string {
  let text = '';
  for (const e of batch) text += (keepPayload ? JSON.stringify(e) : JSON.stringify(e, dropPayload)) + '\n';
  return text;
}

/** Parse NDJSON back into events; damaged lines are skipped and counted. */
export function parseBatch(text: string): { events: UsageEvent[]; corrupt: number } {
  const events: UsageEvent[] = [];
  let corrupt = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as UsageEvent);
    } catch {
      corrupt++;
    }
  }
  return { events, corrupt };
}

export class Spool implements BatchSpool {
  private entries: SpoolEntry[] = [];
  private ready: Promise<void> | undefined;
  /** Rows and bytes currently on disk. */
  rows = 0;
  bytes = 0;
  /** Lines that could not be parsed on replay (a damaged file); they are skipped and counted. */
  corruptLines = 0;

  constructor(readonly dir: string, private readonly keepPayload: boolean) {}

  get location(): string {
    return this.dir;
  }

  /** Create the directory and index the files left by an earlier process. Idempotent. */
  open(): Promise<void> {
    this.ready ??= this.scan();
    return this.ready;
  }

  private async scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).sort();
    for (const name of names) {
      const file = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await unlink(file).catch(() => undefined); // a write interrupted by a crash: never renamed, never acknowledged
        continue;
      }
      if (!name.endsWith('.ndjson')) continue;
      const text = await readFile(file, 'utf8');
      let rows = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) rows++;
      const bytes = (await stat(file)).size;
      this.entries.push({ id: file, rows, bytes });
      this.rows += rows;
      this.bytes += bytes;
    }
  }

  get files(): number {
    return this.entries.length;
  }

  /** Append one batch as a new file. */
  async append(batch: readonly UsageEvent[]): Promise<SpoolEntry> {
    await this.open();
    const text = serializeBatch(batch, this.keepPayload);
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${(seq++).toString().padStart(9, '0')}.ndjson`;
    const file = join(this.dir, name);
    await writeFile(file + '.tmp', text);
    await rename(file + '.tmp', file);
    const bytes = Buffer.byteLength(text);
    const entry = { id: file, rows: batch.length, bytes };
    this.entries.push(entry);
    this.rows += batch.length;
    this.bytes += bytes;
    return entry;
  }

  /** The oldest batch on disk, or undefined when the spool is empty. */
  async oldest(): Promise<{ entry: SpoolEntry; events: UsageEvent[] } | undefined> {
    await this.open();
    const entry = this.entries[0];
    if (!entry) return undefined;
    const text = await readFile(entry.id, 'utf8');
    const { events, corrupt } = parseBatch(text);
    this.corruptLines += corrupt;
    return { entry, events };
  }

  /** Forget a delivered batch. */
  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.entries.indexOf(entry);
    if (i === -1) return;
    this.entries.splice(i, 1);
    this.rows -= entry.rows;
    this.bytes -= entry.bytes;
    await unlink(entry.id).catch(() => undefined);
  }
}
