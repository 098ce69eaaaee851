/**
 * Sign-in attempts are limited per client IP and, for OIDC tokens, per account (issuer and subject), so that guessing the master key or hammering the identity provider through the console
 * is slow. Fixed windows: every attempt takes one from each of its counters first (atomic, so parallel guesses
 * are counted), a successful sign-in gives them back, so only failures use up the allowance. Over the limit
 * the attempt is refused before the credential is looked at: 429 in the OpenAI error shape with retry-after.
 *
 * Where the counters live: Redis when REDIS_URL is set (every admin replica shares them), else this process's
 * memory (the admin role usually runs as one task; with several, each allows the limit on its own). When
 * Redis does not answer within REDIS_TIMEOUT_MS the memory counters decide: sign-in keeps working, limited
 * per replica. Bearer calls to the admin API are not counted here (they are not sign-ins).
 */
import { Redis } from 'ioredis';
import { RateLimited } from '../../errors/catalogue.js';

export interface SignInLimits {
  /** Failed attempts per client IP and window. @default 20 */
  perIp: number;
  /** Failed attempts per account and window. @default 10 */
  perAccount: number;
  /** Window length, ms. @default 300_000 */
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perIp: 20, perAccount: 10, windowMs: 300_000 };
const REDIS_TIMEOUT_MS = 500;

/** One counter store: add `delta` to `key` (created with the window) and say the count and the ms left. */
export interface Counters {
  add(key: string, delta: number, windowMs: number): Promise<{ count: number; ttlMs: number }>;
  close(): Promise<void>;
}

export function memoryCounters(now: () => number = Date.now): Counters {
  const map = new Map<string, { count: number; until: number }>();
  let sweepAt = 0;
  return {
    async add(key, delta, windowMs) {
      const t = now();
      if (t >= sweepAt) {
        // Bounded memory: forget expired windows once a window.
        for (const [k, v] of map) if (v.until <= t) map.delete(k);
        sweepAt = t + windowMs;
      }
      let c = map.get(key);
      if (!c || c.until <= t) map.set(key, (c = { count: 0, until: t + windowMs }));
      c.count = Math.max(0, c.count + delta);
      return { count: c.count, ttlMs: c.until - t };
    },
    close: async () => undefined,
  };
}

const ADD = `local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n <= 0 then redis.call('DEL', KEYS[1]) return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) ttl = tonumber(ARGV[2]) end
return {n, ttl}`;

export function redisCounters(url: string, prefix: string): Counters {
  // Commands wait for the connection (bounded by REDIS_TIMEOUT_MS in the limiter), so no early attempt slips past.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => undefined);
  return {
    async add(key, delta, windowMs) {
      const [count, ttlMs] = (await redis.eval(ADD, 1, prefix + key, String(delta), String(windowMs))) as [number, number];
      return { count, ttlMs };
    },
    close: async () => void redis.disconnect(),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]).finally(() => clearTimeout(timer));
}

export class SignInLimiter {
  constructor(
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    /** Counters every admin replica shares (Redis); undefined: memory only. */
    private readonly shared: Counters | undefined = undefined,
    /** This process's counters: the store without Redis, and the fallback when Redis does not answer. */
    private readonly local: Counters = memoryCounters(),
  ) {}

  private async add(key: string, delta: number): Promise<{ count: number; ttlMs: number }> {
    if (this.shared) {
      try {
        return await withTimeout(this.shared.add(key, delta, this.limits.windowMs), REDIS_TIMEOUT_MS);
      } catch {
        /* Redis is down or slow: this replica's memory decides */
      }
    }
    return this.local.add(key, delta, this.limits.windowMs);
  }

  /**
   * Count one attempt from `ip` (and for `account`, when known). Throws RateLimited when either is over its
   * limit; otherwise returns `succeeded`, to call when the sign-in worked (the attempt is then not held against them).
   */
  async attempt(ip: string, account: string | undefined): Promise<{ succeeded(): Promise<void> }> {
    const keys: Array<[string, number]> = [[`ip:${ip}`, this.limits.perIp]];
    if (account) keys.push([`acct:${account}`, this.limits.perAccount]);
    const got = await Promise.all(keys.map(([k]) => this.add(k, 1)));
    const over = got.map((g, i) => ({ ...g, limit: keys[i]![1] })).filter((g) => g.count > g.limit);
    if (over.length) {
      const retry = Math.max(1, Math.ceil(Math.max(...over.map((g) => g.ttlMs)) / 1000));
      throw new RateLimited(`Too many sign-in attempts: try again in ${retry} s.`, { 'retry-after': String(retry) }, 'sign_in_rate_limited');
    }
    return { succeeded: async () => void (await Promise.all(keys.map(([k]) => this.add(k, -1)))) };
  }

  async close(): Promise<void> {
    await this.shared?.close();
  }
}

/**
 * The client's address: the socket peer, or with `trustedHops` proxies in front (each appending the address
 * it received from to X-Forwarded-For: CloudFront then the ALB in AWS, so 2) the entry those proxies wrote.
 * Entries further left were written by the client and are never trusted.
 */
export function clientIp(remote: string | undefined, forwardedFor: string | string[] | undefined, trustedHops: number): string {
  if (trustedHops > 0 && forwardedFor) {
    const list = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => s.trim()).filter(Boolean);
    const at = list.length - trustedHops;
    if (list.length) return list[Math.max(0, at)]!;
  }
  return remote ?? 'unknown';
}

/**
 * The account a credential claims, read without verifying (only to count attempts): an OIDC token's issuer and
 * subject. Master-key attempts have no account counter: the key is long and random (guessing it is hopeless
 * at any rate), and one shared counter would let anyone lock every administrator out of the console.
 */
export function accountOf(credential: string): string | undefined {
  const parts = credential.split('.');
  if (parts.length === 3) {
    try {
      const p = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown; sub?: unknown };
      if (typeof p.sub === 'string') return `oidc:${String(p.iss ?? '')}:${p.sub}`.slice(0, 300);
    } catch {
      /* not a JWT: a master-key attempt */
    }
  }
  return undefined;
}
