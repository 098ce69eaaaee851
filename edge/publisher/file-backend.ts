/**
 * Local mode: the KVS is a JSON file `{ "<key>": "<value>" }`, the file the local edge reads
 * (edge/local/kvs-file.ts). Writes are atomic (temp file + rename); the ETag is a hash of the file, so a change
 * by another process between describe and update is a conflict, as in the real store.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KvsConflictError, KvsQuotaError, type KvsBackend, type KvsDescription } from './backend.js';
import { entryBytes, KVS_LIMITS } from './entries.js';

export class FileKvsBackend implements KvsBackend {
  constructor(readonly path: string, private readonly storeBytes = KVS_LIMITS.storeBytes) {}

  private read(): { data: Record<string, string>; etag: string } {
    let text = '{}';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return { data: JSON.parse(text) as Record<string, string>, etag: createHash('sha256').update(text).digest('hex').slice(0, 16) };
  }

  private static describeData(data: Record<string, string>, etag: string): KvsDescription {
    let size = 0;
    for (const [k, v] of Object.entries(data)) size += entryBytes(k, v);
    return { etag, itemCount: Object.keys(data).length, totalSizeInBytes: size };
  }

  async describe(): Promise<KvsDescription> {
    const { data, etag } = this.read();
    return FileKvsBackend.describeData(data, etag);
  }

  async get(key: string): Promise<string | undefined> {
    return this.read().data[key];
  }

  async *list(): AsyncIterable<{ key: string; value: string }> {
    for (const [key, value] of Object.entries(this.read().data)) yield { key, value };
  }

  async update(ifMatch: string, puts: Array<{ key: string; value: string }>, deletes: string[]): Promise<KvsDescription> {
    const { data, etag } = this.read();
    if (etag !== ifMatch) throw new KvsConflictError(`ETag ${ifMatch} is stale (now ${etag})`);
    for (const k of deletes) delete data[k];
    for (const p of puts) data[p.key] = p.value;
    const desc = FileKvsBackend.describeData(data, '');
    if (desc.totalSizeInBytes > this.storeBytes) throw new KvsQuotaError(`store would hold ${desc.totalSizeInBytes} bytes (limit ${this.storeBytes})`);
    const text = JSON.stringify(data, null, 1);
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.path);
    return { ...desc, etag: createHash('sha256').update(text).digest('hex').slice(0, 16) };
  }
}
