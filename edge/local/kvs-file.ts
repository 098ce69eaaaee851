/**
 * The local stand-in for the CloudFront KeyValueStore: a JSON file `{ "<key>": "<value>", ... }` that the KVS
 * publisher writes in local mode (edge/publisher/file-backend.ts) and the local edge reads. The file is re-read
 * when its mtime, size or inode change, so a revocation takes effect on the next request.
 */
import { readFile, stat } from 'node:fs/promises';

export type KvsData = Readonly<Record<string, string>>;

export class LocalKvsFile {
  private data: KvsData = {};
  private stamp = '';

  constructor(
    readonly path: string,
    /** Entries that always win over the file's (the local edge's origin-verification secret). */
    private readonly overlay: KvsData = {},
  ) {}

  /** The current contents, re-read first when the file changed. A missing file is an empty store. */
  async snapshot(): Promise<KvsData> {
    let stamp: string;
    try {
      const s = await stat(this.path);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp !== this.stamp) {
      this.data = { ...(await this.read(stamp)), ...this.overlay };
      this.stamp = stamp;
    }
    return this.data;
  }

  private async read(stamp: string): Promise<KvsData> {
    if (stamp === 'missing') return {};
    const text = await readFile(this.path, 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${this.path}: expected a JSON object`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
    }
    return out;
  }
}
