/**
 * Deployment health as a circuit breaker: `failureThreshold` failures within a fixed window open the circuit
 * for `cooldownMs`; then it is half-open and exactly one request at a time may probe it; a probe's success
 * closes it, a failure opens it again. The store is an interface so replicas can share it (redis-health.ts).
 */
import type { CircuitState, CooldownPolicy } from './types.js';

export interface HealthStore {
  states(ids: readonly string[], now: number): Promise<CircuitState[]>;
  /** Take the half-open probe slot; false when the circuit is not half-open or another request holds it. */
  tryProbe(id: string, now: number): Promise<boolean>;
  recordFailure(id: string, now: number): Promise<void>;
  recordSuccess(id: string, now: number): Promise<void>;
}

export const DEFAULT_COOLDOWN: CooldownPolicy = { failureThreshold: 3, windowMs: 60_000, cooldownMs: 30_000, probeTimeoutMs: 30_000 };

/** The breaker's state record; the Redis store keeps the same fields in a hash. */
export interface BreakerRecord {
  /** Failures in the current window, and when the window started. */
  f: number;
  fw: number;
  /** Open until (ms epoch). */
  open: number;
  /** The circuit has opened and not yet been closed by a successful probe. */
  tripped: boolean;
  /** The probe slot is held until (ms epoch). */
  probe: number;
}

export function stateOf(r: BreakerRecord | undefined, now: number): CircuitState {
  if (!r || !r.tripped) return 'closed';
  return r.open > now ? 'open' : 'half-open';
}

export class LocalHealthStore implements HealthStore {
  private readonly records = new Map<string, BreakerRecord>();
  constructor(private readonly policy: CooldownPolicy = DEFAULT_COOLDOWN) {}

  async states(ids: readonly string[], now: number): Promise<CircuitState[]> {
    return ids.map((id) => stateOf(this.records.get(id), now));
  }

  async tryProbe(id: string, now: number): Promise<boolean> {
    const r = this.records.get(id);
    if (stateOf(r, now) !== 'half-open' || r!.probe > now) return false;
    r!.probe = now + this.policy.probeTimeoutMs;
    return true;
  }

  async recordFailure(id: string, now: number): Promise<void> {
    let r = this.records.get(id);
    if (!r) this.records.set(id, (r = { f: 0, fw: now, open: 0, tripped: false, probe: 0 }));
    if (r.tripped) {
      // A failed probe (or a straggler from before the circuit opened) keeps it out for another period.
      if (r.open <= now) {
        r.open = now + this.policy.cooldownMs;
        r.probe = 0;
      }
      return;
    }
    if (now - r.fw >= this.policy.windowMs) {
      r.f = 0;
      r.fw = now;
    }
    r.f++;
    if (r.f >= this.policy.failureThreshold) Object.assign(r, { f: 0, fw: now, open: now + this.policy.cooldownMs, tripped: true, probe: 0 });
  }

  async recordSuccess(id: string, now: number): Promise<void> {
    const r = this.records.get(id);
    if (r?.tripped && r.open <= now) this.records.delete(id);
  }
}
