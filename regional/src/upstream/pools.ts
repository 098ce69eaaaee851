/**
 * One undici keep-alive pool per upstream origin, created on first use and shared by every deployment that
 * points at the same origin. Connections resolve host names through guardedLookup (no link-local/metadata).
 */
import { Pool } from 'undici';
import { guardedLookup, type LookupFunction } from './guarded-lookup.js';

export interface PoolOptions {
  /**
   * Sockets per origin; null = no cap. A stream holds its socket for its whole life, so a cap would queue
   * streams behind each other (5,000 open streams need 5,000 sockets).
   */
  connections: number | null;
  keepAliveTimeoutMs: number;
  /**
   * The resolver under the guard that refuses link-local/metadata answers (guarded-lookup.ts).
   * @default dns.lookup
   */
  resolve?: LookupFunction;
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly lookup: LookupFunction;

  constructor(private readonly opts: PoolOptions = { connections: null, keepAliveTimeoutMs: 60_000 }) {
    this.lookup = guardedLookup(opts.resolve);
  }

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.opts.connections,
        keepAliveTimeout: this.opts.keepAliveTimeoutMs,
        keepAliveMaxTimeout: this.opts.keepAliveTimeoutMs * 10,
        pipelining: 1,
        // Every connection, config-file or admin-added deployment alike: no upstream is served from link-local.
        connect: { lookup: this.lookup },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }
}
