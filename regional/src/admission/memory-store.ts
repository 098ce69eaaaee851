/**
 * The in-process limiter: the same algorithm as the Lua script (limits.lua.ts), on this process's memory.
 * Used as the embedded default (no REDIS_URL) and as the local fallback while Redis is unreachable.
 *
 * Semantics (shared with Redis): sliding-window log over `windowMs` for requests and tokens (each admission
 * is an entry with its time and reserved tokens; an entry counts until windowMs after it was admitted),
 * leases with an expiry for in-flight slots and budget reservations, and a spend counter per budget period.
 */
import type { AdmissionPlan, ScopePlan } from './plan.js';
import type { Verdict, WindowStatus } from './types.js';

interface Entry {
  t: number;
  tok: number;
  id: string;
}

interface Lease {
  exp: number;
  micro: number;
}

interface ScopeState {
  entries: Entry[];
  head: number;
  byId: Map<string, Entry>;
  tokSum: number;
  leases: Map<string, Lease>;
  reserved: number;
  /** Settled spend per budget period id. */
  spent: Map<string, number>;
  touched: number;
}

export interface MemoryStoreOptions {
  windowMs?: number;
  /** How long an unsettled in-flight slot/budget reservation lives. */
  leaseMs?: number;
  /** Divide every requests/tokens/parallel limit by this (the local fallback for N replicas). */
  scaleDivisor?: number;
  now?: () => number;
}

export class MemoryLimitStore {
  private readonly states = new Map<string, ScopeState>();
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly divisor: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(opts: MemoryStoreOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.leaseMs = opts.leaseMs ?? 600_000;
    this.divisor = Math.max(1, opts.scaleDivisor ?? 1);
    this.now = opts.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.states.clear();
  }

  private scaled(limit: number): number {
    return limit < 0 || this.divisor === 1 ? limit : Math.ceil(limit / this.divisor);
  }

  private state(s: ScopePlan): ScopeState {
    const k = `${s.kind}:${s.id}`;
    let st = this.states.get(k);
    if (!st) {
      st = { entries: [], head: 0, byId: new Map(), tokSum: 0, leases: new Map(), reserved: 0, spent: new Map(), touched: 0 };
      this.states.set(k, st);
    }
    st.touched = this.now();
    return st;
  }

  private reap(st: ScopeState, now: number): void {
    const cutoff = now - this.windowMs;
    while (st.head < st.entries.length && st.entries[st.head]!.t <= cutoff) {
      const e = st.entries[st.head++]!;
      st.tokSum -= e.tok;
      if (st.byId.get(e.id) === e) st.byId.delete(e.id);
    }
    if (st.head > 256 && st.head * 2 > st.entries.length) {
      st.entries = st.entries.slice(st.head);
      st.head = 0;
    }
    for (const [id, l] of st.leases) {
      if (l.exp <= now) {
        st.reserved -= l.micro;
        st.leases.delete(id);
      }
    }
  }

  /** Check every scope, then reserve in all of them, or in none. */
  reserve(plan: AdmissionPlan, reqId: string): Verdict {
    const now = this.now();
    const status: WindowStatus = { requestsLimit: -1, requestsRemaining: -1, requestsResetMs: 0, tokensLimit: -1, tokensRemaining: -1, tokensResetMs: 0 };
    const states: ScopeState[] = [];
    for (let i = 0; i < plan.scopes.length; i++) {
      const s = plan.scopes[i]!;
      const st = this.state(s);
      states.push(st);
      this.reap(st, now);
      const count = st.entries.length - st.head;
      const oldestReset = count > 0 ? st.entries[st.head]!.t + this.windowMs - now : this.windowMs;
      const rpm = this.scaled(s.rpm);
      if (rpm >= 0) {
        if (count + 1 > rpm) {
          const idx = st.head + count - rpm;
          const retry = rpm <= 0 || idx >= st.entries.length ? this.windowMs : st.entries[idx]!.t + this.windowMs - now;
          return { ok: false, kind: 'requests', scope: i, retryAfterMs: retry, status: { ...status, requestsLimit: rpm, requestsRemaining: 0, requestsResetMs: retry } };
        }
        if (status.requestsLimit < 0 || rpm - count - 1 < status.requestsRemaining) {
          status.requestsLimit = rpm;
          status.requestsRemaining = rpm - count - 1;
          status.requestsResetMs = oldestReset;
        }
      }
      const tpm = this.scaled(s.tpm);
      if (tpm >= 0) {
        if (st.tokSum + plan.estTokens > tpm) {
          let retry = -1;
          if (plan.estTokens <= tpm) {
            retry = this.windowMs;
            let freed = 0;
            for (let j = st.head; j < st.entries.length; j++) {
              freed += st.entries[j]!.tok;
              if (st.tokSum - freed + plan.estTokens <= tpm) {
                retry = st.entries[j]!.t + this.windowMs - now;
                break;
              }
            }
          }
          return { ok: false, kind: 'tokens', scope: i, retryAfterMs: retry, status: { ...status, tokensLimit: tpm, tokensRemaining: Math.max(0, tpm - st.tokSum), tokensResetMs: Math.max(0, retry) } };
        }
        if (status.tokensLimit < 0 || tpm - st.tokSum - plan.estTokens < status.tokensRemaining) {
          status.tokensLimit = tpm;
          status.tokensRemaining = tpm - st.tokSum - plan.estTokens;
          status.tokensResetMs = oldestReset;
        }
      }
      const par = this.scaled(s.maxParallel);
      if (par >= 0 && st.leases.size + 1 > par) {
        return { ok: false, kind: 'parallel', scope: i, retryAfterMs: 1000, status };
      }
      if (s.budgetMicro >= 0) {
        const spent = st.spent.get(s.period) ?? 0;
        if (spent + st.reserved + plan.estMicro > s.budgetMicro || spent >= s.budgetMicro) {
          return { ok: false, kind: 'budget', scope: i, retryAfterMs: s.periodRemainingMs > 0 ? s.periodRemainingMs : -1, status };
        }
      }
    }
    for (let i = 0; i < plan.scopes.length; i++) {
      const s = plan.scopes[i]!;
      const st = states[i]!;
      if (s.rpm >= 0 || s.tpm >= 0) {
        const e: Entry = { t: now, tok: plan.estTokens, id: reqId };
        st.entries.push(e);
        st.byId.set(reqId, e);
        st.tokSum += plan.estTokens;
      }
      if (s.maxParallel >= 0 || s.budgetMicro >= 0) {
        const micro = s.budgetMicro >= 0 ? plan.estMicro : 0;
        st.leases.set(reqId, { exp: now + this.leaseMs, micro });
        st.reserved += micro;
      }
    }
    return { ok: true, status };
  }

  /** Replace the reservation of `reqId` with actual usage in every scope of the plan. */
  settle(plan: AdmissionPlan, reqId: string, actualTokens: number, actualMicro: number): void {
    const now = this.now();
    for (const s of plan.scopes) {
      const st = this.state(s);
      this.reap(st, now);
      if (s.tpm >= 0) {
        const e = st.byId.get(reqId);
        if (e) {
          st.tokSum += actualTokens - e.tok;
          e.tok = actualTokens;
        } else if (actualTokens > plan.estTokens) {
          // The reservation already left the window: charge what exceeded it, now.
          const late: Entry = { t: now, tok: actualTokens - plan.estTokens, id: `${reqId}+` };
          st.entries.push(late);
          st.tokSum += late.tok;
        }
      }
      const lease = st.leases.get(reqId);
      if (lease) {
        st.reserved -= lease.micro;
        st.leases.delete(reqId);
      }
      if (s.budgetMicro >= 0 && actualMicro > 0) {
        st.spent.set(s.period, (st.spent.get(s.period) ?? 0) + actualMicro);
      }
    }
  }

  /** Drop state of scopes idle for longer than the window and the lease (budget spend of the current period stays). */
  private sweep(): void {
    const now = this.now();
    const idle = Math.max(this.windowMs, this.leaseMs);
    for (const [k, st] of this.states) {
      this.reap(st, now);
      if (st.spent.size > 1) {
        // Only the newest period is still counted; ids sort by date within a kind.
        const newest = [...st.spent.keys()].sort().pop();
        for (const p of [...st.spent.keys()]) if (p !== newest) st.spent.delete(p);
      }
      if (now - st.touched > idle && st.entries.length === st.head && st.leases.size === 0 && st.spent.size === 0) this.states.delete(k);
    }
  }
}

