/**
 * The circuit breaker shared by every replica through Redis: one hash per deployment (`<prefix>{<id>}`, the
 * braces make it a cluster hash tag), changed only by Lua scripts so that concurrent replicas cannot lose a
 * failure or both take the probe slot. Times come from the callers' clocks (skew between replicas shortens
 * or lengthens a cooldown by the skew, which is harmless at these time scales).
 *
 * When Redis is unreachable the breaker fails open: every deployment is treated as closed, and failures are
 * not recorded (requests keep flowing; the retry policy still protects them).
 */
import type { Redis } from 'ioredis';
import { stateOf, type BreakerRecord, type HealthStore } from './health.js';
import type { CircuitState, CooldownPolicy } from './types.js';

const RECORD_FAILURE = `
local k = KEYS[1]
local now, window, threshold, cooldown, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local h = redis.call('HMGET', k, 'f', 'fw', 'open', 'tripped')
if h[4] == '1' then
  if tonumber(h[3] or '0') <= now then redis.call('HSET', k, 'open', now + cooldown, 'probe', 0) end
else
  local f, fw = tonumber(h[1] or '0'), tonumber(h[2] or '0')
  if now - fw >= window then f = 0; fw = now end
  f = f + 1
  if f >= threshold then
    redis.call('HSET', k, 'f', 0, 'fw', now, 'open', now + cooldown, 'tripped', 1, 'probe', 0)
  else
    redis.call('HSET', k, 'f', f, 'fw', fw)
  end
end
redis.call('PEXPIRE', k, ttl)
return 1`;

const TRY_PROBE = `
local k = KEYS[1]
local now, hold = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HMGET', k, 'open', 'tripped', 'probe')
if h[2] == '1' and tonumber(h[1] or '0') <= now and tonumber(h[3] or '0') <= now then
  redis.call('HSET', k, 'probe', now + hold)
  return 1
end
return 0`;

const RECORD_SUCCESS = `
local k = KEYS[1]
local h = redis.call('HMGET', k, 'open', 'tripped')
if h[2] == '1' and tonumber(h[1] or '0') <= tonumber(ARGV[1]) then redis.call('DEL', k) end
return 1`;

export class RedisHealthStore implements HealthStore {
  private readonly ttl: number;

  constructor(
    private readonly redis: Redis,
    private readonly policy: CooldownPolicy,
    private readonly prefix = 'skyway:health:',
  ) {
    this.ttl = policy.windowMs + 2 * policy.cooldownMs + policy.probeTimeoutMs;
  }

  private key(id: string): string {
    return `${this.prefix}{${id}}`;
  }

  async states(ids: readonly string[], now: number): Promise<CircuitState[]> {
    try {
      const p = this.redis.pipeline();
      for (const id of ids) p.hmget(this.key(id), 'open', 'tripped');
      const res = (await p.exec()) ?? [];
      return ids.map((_, i) => {
        const [err, v] = res[i] ?? [null, null];
        if (err || !Array.isArray(v)) return 'closed';
        const rec: BreakerRecord = { f: 0, fw: 0, open: Number(v[0] ?? 0), tripped: v[1] === '1', probe: 0 };
        return stateOf(rec, now);
      });
    } catch {
      return ids.map(() => 'closed');
    }
  }

  async tryProbe(id: string, now: number): Promise<boolean> {
    try {
      return (await this.redis.eval(TRY_PROBE, 1, this.key(id), now, this.policy.probeTimeoutMs)) === 1;
    } catch {
      return true;
    }
  }

  async recordFailure(id: string, now: number): Promise<void> {
    const p = this.policy;
    await this.redis.eval(RECORD_FAILURE, 1, this.key(id), now, p.windowMs, p.failureThreshold, p.cooldownMs, this.ttl).catch(() => undefined);
  }

  async recordSuccess(id: string, now: number): Promise<void> {
    await this.redis.eval(RECORD_SUCCESS, 1, this.key(id), now).catch(() => undefined);
  }
}
