/**
 * Key layout of the Redis limiter. Every key of one admission shares one hash tag, so the script touches a
 * single cluster slot (Redis Cluster refuses a script whose keys span slots).
 *
 * - `global` (default): one tag for every limit key. Exact for every scope; all limit traffic lands on one
 *   shard (one ElastiCache shard runs on the order of 10^5 small scripts per second — far beyond a gateway
 *   fleet's request rate; scale it with a bigger node before sharding).
 * - `team`: the tag is the principal's team (else its user, else its key). Key, key+model and team limits stay
 *   exact and spread across shards; user limits are then counted per team (a user with keys in two teams has
 *   two independent user counters), which is the trade-off of cluster-wide sharding.
 */
import type { Principal } from '../auth/principal.js';
import type { HashTagMode } from './config.js';
import type { ScopePlan } from './plan.js';

const SHORT = { key: 'k', team: 't', user: 'u', key_model: 'km' } as const;

function clean(s: string): string {
  return s.replace(/[{}]/g, '_');
}

export function hashTag(mode: HashTagMode, p: Principal): string {
  if (mode === 'global') return 'lim';
  if (p.team?.id) return `t:${clean(p.team.id)}`;
  if (p.user?.id) return `u:${clean(p.user.id)}`;
  return `k:${clean(p.key?.id ?? p.keyId ?? 'master')}`;
}

/** The 6 keys of one scope, in the order the Lua scripts expect: w, wt, p, r, bres, bspent. */
export function scopeKeys(prefix: string, tag: string, s: ScopePlan): string[] {
  const base = `${prefix}{${tag}}:${SHORT[s.kind]}:${s.id}:`;
  // `bs:` (a hash since spend is seeded from the ledger; the older string counters were `b:`, left to expire).
  return [base + 'w', base + 'wt', base + 'p', base + 'r', base + 'bres', base + 'bs:' + (s.period || '-')];
}

/** Entries kept by a ScopeKeyCache before it starts over (one per scope and budget period in use). */
const MAX_CACHED_SCOPES = 50_000;

/**
 * The 6 keys of each scope, built once per scope and budget period instead of per admission and settlement.
 * The same scope always gets the same array: batches use it to send each scope's keys once (redis.ts).
 */
export class ScopeKeyCache {
  private readonly map = new Map<string, readonly string[]>();
  constructor(private readonly prefix: string) {}

  get(tag: string, s: ScopePlan): readonly string[] {
    const id = `${tag}\n${s.kind}\n${s.id}\n${s.period}`;
    let keys = this.map.get(id);
    if (!keys) {
      if (this.map.size >= MAX_CACHED_SCOPES) this.map.clear();
      keys = Object.freeze(scopeKeys(this.prefix, tag, s));
      this.map.set(id, keys);
    }
    return keys;
  }
}
