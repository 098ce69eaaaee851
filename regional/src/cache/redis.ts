/**
 * The response cache in Redis: one string per entry (`<prefix>cache:<hash>`, JSON), with PX expiry.
 * The cache is optional: a failing Redis makes lookups miss and stores no-ops (counted via `onError`), it
 * never fails a request. Entries larger than `maxEntryBytes` are not stored.
 */
import type { RedisLike } from '../admission/redis-client.js';
import type { CachedResponse, ResponseCache } from './types.js';

export interface RedisResponseCacheOptions {
  client: RedisLike;
  prefix?: string;
  maxEntryBytes?: number;
  onError?: (op: 'lookup' | 'store', err: unknown) => void;
}

export class RedisResponseCache implements ResponseCache {
  private readonly client: RedisLike;
  private readonly prefix: string;
  private readonly maxEntryBytes: number;
  private readonly onError: (op: 'lookup' | 'store', err: unknown) => void;

  constructor(opts: RedisResponseCacheOptions) {
    this.client = opts.client;
    this.prefix = (opts.prefix ?? 'skyway:') + 'cache:';
    this.maxEntryBytes = opts.maxEntryBytes ?? 1 << 20;
    this.onError = opts.onError ?? (() => undefined);
  }

  async lookup(key: string): Promise<CachedResponse | undefined> {
    try {
      const raw = await this.client.get(this.prefix + key);
      if (!raw) return undefined;
      const v = JSON.parse(raw) as CachedResponse;
      return v.kind === 'json' || v.kind === 'sse' ? v : undefined;
    } catch (err) {
      this.onError('lookup', err);
      return undefined;
    }
  }

  async store(key: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0 || value.body.length > this.maxEntryBytes) return;
    try {
      await this.client.set(this.prefix + key, JSON.stringify(value), 'PX', Math.round(ttlSeconds * 1000));
    } catch (err) {
      this.onError('store', err);
    }
  }

  /** The client is shared with admission (closed there). */
  async close(): Promise<void> {}
}
