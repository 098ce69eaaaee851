/**
 * Budget leases (#14 "one budget across regions"): this region enforces each budget in its own Redis against
 * the part of the global budget the ledger granted it (its lease), and asks the ledger (lease-ledger.ts) for
 * more: asynchronously when an admission leaves less than half a chunk, synchronously when a request does not
 * fit. One ledger call per scope at a time per task (single-flight). Settled spend is reported to the ledger
 * in one statement per second for all scopes; leases of ended periods are given back every minute.
 * README.md next to this file has the design, the lease-size trade-off and the failure modes.
 */
import { ServiceUnavailable } from '../errors/catalogue.js';
import type { GrantResult, LeaseLedger, RegionLease, SpendDelta } from './lease-ledger.js';
import type { AdmissionPlan, ScopePlan } from './plan.js';
import type { AdmissionLogger, FailurePolicy } from './types.js';

export interface LeaseConfig {
  /** This region's name in the ledger (settings.region). */
  region: string;
  /** A lease chunk as a fraction of the budget (SKYWAY_BUDGET_LEASE_FRACTION). */
  fraction: number;
  /** A ledger call slower than this fails (SKYWAY_BUDGET_LEASE_TIMEOUT_MS). */
  timeoutMs: number;
  /** How often settled spend is sent to the ledger. @default 1000 */
  flushMs?: number;
  /** How often leases of ended periods are given back. @default 60000 */
  closeMs?: number;
}

/** The ledger could not be reached in time (or refused): the budget failure policy applies. */
export class LeaseLedgerUnavailable extends Error {
  constructor(cause: unknown) {
    super(`budget ledger unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LeaseLedgerUnavailable';
  }
}

export type RefillOutcome = 'granted' | 'exhausted';

/** A request short of lease, waiting for a grant (see BudgetLeases.awaitGrant). */
interface Waiter {
  need: number;
  resolve: (o: RefillOutcome) => void;
  reject: (err: unknown) => void;
}

/** Writes a lease total into the scope's Redis counter (LEASE_LUA). */
export type LeaseWriter = (key: string, leaseMicro: number, ttlMs: number) => Promise<unknown>;

const DAY = 86_400_000;
/** Settlements of a period that ended are still reported for this long before its leases are closed. */
const CLOSE_GRACE_MS = 10 * 60_000;
const MAX_DELTAS = 100_000;
const EXHAUSTED_CACHE_MS = 1000;
/** Lease refills one admission may wait for before it is refused (others keep taking what it was granted). */
const MAX_REFILLS = 32;

export class BudgetLeases {
  private readonly flights = new Map<string, Promise<RefillOutcome>>();
  /** Requests short of lease, per counter, in arrival order; `pumping` while a ledger call serves them. */
  private readonly waiting = new Map<string, { scope: ScopePlan; waiters: Waiter[]; pumping: boolean }>();
  /** Counters whose last grant found no room: what was left then, and when (a negative cache of 1 s). */
  private readonly exhausted = new Map<string, { at: number; availableMicro: number }>();
  private deltas = new Map<string, SpendDelta>();
  private readonly flushTimer: NodeJS.Timeout;
  private readonly closeTimer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private lastWarn = 0;
  /** Ledger calls made by this task (grants, lease reads, spend batches), and admissions that waited for a grant. */
  readonly calls = { grants: 0, reads: 0, spendBatches: 0, closes: 0, waits: 0 };

  constructor(
    private readonly ledger: LeaseLedger,
    private readonly cfg: LeaseConfig,
    private readonly write: LeaseWriter,
    private readonly log: AdmissionLogger,
  ) {
    this.flushTimer = setInterval(() => void this.flush(), cfg.flushMs ?? 1000);
    this.flushTimer.unref();
    this.closeTimer = setInterval(() => void this.closeEnded(), cfg.closeMs ?? 60_000);
    this.closeTimer.unref();
  }

  get region(): string {
    return this.cfg.region;
  }

  /** One lease chunk for the scope: the configured fraction of its budget, at least `need`. */
  chunk(s: ScopePlan, needMicro: number): number {
    return Math.max(needMicro, Math.ceil(s.budgetMicro * this.cfg.fraction), 1);
  }

  /** True when what an admission left of the lease calls for a refill in the background. */
  low(s: ScopePlan, leftMicro: number): boolean {
    return leftMicro >= 0 && leftMicro < this.chunk(s, 0) / 2;
  }

  /**
   * In the background: ask the ledger for more of the scope's budget and raise the Redis lease to the region's
   * new total (failures are logged, at most every 10 s). Joins a background refill of the counter in flight.
   */
  refill(s: ScopePlan, key: string, needMicro: number): Promise<RefillOutcome> {
    // A budget that had no room for this much a moment ago is not asked again (refused requests would
    // otherwise cost the primary a grant each).
    const known = this.exhausted.get(key);
    if (known && Date.now() - known.at < EXHAUSTED_CACHE_MS && needMicro > known.availableMicro) return Promise.resolve('exhausted');
    let flight = this.flights.get(key);
    if (!flight) {
      flight = this.grant(s, key, Math.max(1, needMicro)).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    flight.catch((err: unknown) => this.warn('admission: background lease refill failed; the region keeps its current lease', s, err));
    return flight;
  }

  /**
   * The region's lease of scope `i` cannot hold the request (ADMIT_MANY_LUA kind 5, `left` = what the lease has
   * free): wait for a refill. Returns the plan to admit again with, or 'refuse' when the global budget has no
   * room. The ledger unreachable: the budget failure `policy` (closed → 503 `budget_ledger_unavailable`; open →
   * the plan without that budget). Redis errors (writing the lease) are thrown as they are.
   */
  async whenShort(
    plan: AdmissionPlan,
    i: number,
    key: string,
    left: number,
    tries: { refills: number; exhausted: number },
    policy: FailurePolicy,
    onFallback: (policy: FailurePolicy) => void,
  ): Promise<AdmissionPlan | 'refuse'> {
    if (++tries.refills > MAX_REFILLS) return 'refuse';
    this.calls.waits++;
    try {
      const outcome = await this.awaitGrant(plan.scopes[i]!, key, Math.max(1, plan.estMicro - left));
      // Another task of this region may have been granted what the ledger no longer has: one more try.
      if (outcome === 'exhausted' && ++tries.exhausted >= 2) return 'refuse';
      return plan;
    } catch (err) {
      if (!(err instanceof LeaseLedgerUnavailable)) throw err;
      onFallback(policy);
      this.warn('admission: a budget lease is used up and the global ledger is unreachable; the budget failure policy applies', plan.scopes[i], err);
      if (policy !== 'open') {
        throw new ServiceUnavailable("This region's share of the budget is used up and the global budget ledger is unreachable; retry shortly.", 'budget_ledger_unavailable');
      }
      return { ...plan, scopes: plan.scopes.map((s, j) => (j === i ? { ...s, budgetMicro: -1 } : s)) };
    }
  }

  /**
   * Wait until a grant can hold `need` (or the budget cannot). Requests short of lease queue per counter: one
   * ledger call at a time asks for what all of them need (at least a chunk), and wakes as many, in arrival
   * order, as the grant covers; the rest wait for the next call. So a burst at the end of a lease costs one
   * retry per request and a few ledger calls, not a retry of every waiter after every refill.
   */
  private awaitGrant(s: ScopePlan, key: string, need: number): Promise<RefillOutcome> {
    const known = this.exhausted.get(key);
    if (known && Date.now() - known.at < EXHAUSTED_CACHE_MS && need > known.availableMicro) return Promise.resolve('exhausted');
    let q = this.waiting.get(key);
    if (!q) {
      q = { scope: s, waiters: [], pumping: false };
      this.waiting.set(key, q);
    }
    const queue = q;
    const p = new Promise<RefillOutcome>((resolve, reject) => queue.waiters.push({ need, resolve, reject }));
    if (!queue.pumping) void this.pump(key, queue);
    return p;
  }

  private async pump(key: string, q: { scope: ScopePlan; waiters: Waiter[]; pumping: boolean }): Promise<void> {
    q.pumping = true;
    try {
      while (q.waiters.length > 0) {
        const head = q.waiters[0]!;
        const total = q.waiters.reduce((sum, w) => sum + w.need, 0);
        let r: GrantResult;
        try {
          r = await this.grantAndWrite(q.scope, key, head.need, Math.max(this.chunk(q.scope, head.need), total));
        } catch (err) {
          for (const w of q.waiters.splice(0)) w.reject(err);
          break;
        }
        if (r.grantedMicro <= 0) {
          // Those needing more than is left are refused; smaller ones (if any) get the next call.
          q.waiters = q.waiters.filter((w) => (w.need > r.availableMicro ? (w.resolve('exhausted'), false) : true));
          continue;
        }
        let covered = 0;
        while (q.waiters.length > 0 && (covered === 0 || covered + q.waiters[0]!.need <= r.grantedMicro)) {
          const w = q.waiters.shift()!;
          covered += w.need;
          w.resolve('granted');
        }
      }
    } finally {
      q.pumping = false;
      if (q.waiters.length === 0 && this.waiting.get(key) === q) this.waiting.delete(key);
    }
  }

  private async grant(s: ScopePlan, key: string, needMicro: number): Promise<RefillOutcome> {
    const r = await this.grantAndWrite(s, key, needMicro, this.chunk(s, needMicro));
    return r.grantedMicro > 0 ? 'granted' : 'exhausted';
  }

  /** One ledger grant, written into the region's Redis counter; remembers a budget without room for 1 s. */
  private async grantAndWrite(s: ScopePlan, key: string, needMicro: number, wantMicro: number): Promise<GrantResult> {
    this.calls.grants++;
    const periodEndMs = s.periodRemainingMs > 0 ? Date.now() + s.periodRemainingMs : undefined;
    const r = await this.timed((signal) =>
      this.ledger.grant({ kind: s.kind, id: s.id, period: s.period, region: this.cfg.region, budgetMicro: s.budgetMicro, periodEndMs, needMicro, wantMicro }, signal),
    );
    // Written even when nothing was granted: the region learns a total another task of it obtained.
    if (r.leaseMicro > 0) await this.write(key, r.leaseMicro, s.periodRemainingMs > 0 ? s.periodRemainingMs + DAY : 0);
    if (r.grantedMicro > 0) {
      this.exhausted.delete(key);
      return r;
    }
    if (this.exhausted.size >= MAX_DELTAS) this.exhausted.clear();
    this.exhausted.set(key, { at: Date.now(), availableMicro: r.availableMicro });
    return r;
  }

  /** Resolves when no refill of this task is in flight (tests; shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.flights.values()]);
  }

  /** This region's lease and reported spend for the scope (to rebuild Redis after a flush). */
  regionLease(s: ScopePlan): Promise<RegionLease> {
    this.calls.reads++;
    return this.timed((signal) => this.ledger.regionLease({ kind: s.kind, id: s.id, period: s.period }, this.cfg.region, signal));
  }

  /** Count a settlement's cost for the next spend batch. */
  recordSpend(s: ScopePlan, micro: number): void {
    if (s.budgetMicro < 0) return;
    const k = `${s.kind}\n${s.id}\n${s.period}`;
    const d = this.deltas.get(k);
    if (d) this.deltas.set(k, { ...d, micro: d.micro + micro, requests: d.requests + 1 });
    else if (this.deltas.size < MAX_DELTAS) this.deltas.set(k, { kind: s.kind, id: s.id, period: s.period, micro, requests: 1 });
  }

  /** Send the spend counted since the last batch; on failure it is kept for the next one. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.deltas.size === 0) return Promise.resolve();
    const batch = this.deltas;
    this.deltas = new Map();
    this.calls.spendBatches++;
    this.flushing = this.ledger
      .addSpend(this.cfg.region, [...batch.values()])
      .catch((err: unknown) => {
        for (const [k, d] of batch) {
          const now = this.deltas.get(k);
          this.deltas.set(k, now ? { ...d, micro: d.micro + now.micro, requests: d.requests + now.requests } : d);
        }
        this.warn('admission: spend batch not sent to the budget ledger; kept for the next batch', undefined, err);
      })
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Give back the unused part of this region's leases of ended periods (after a grace for late settlements). */
  async closeEnded(now = Date.now()): Promise<number> {
    this.calls.closes++;
    await this.flush();
    try {
      return await this.ledger.closeEnded(this.cfg.region, now - CLOSE_GRACE_MS);
    } catch (err) {
      this.warn('admission: could not close ended budget periods in the ledger; retried next minute', undefined, err);
      return 0;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.closeTimer);
    await this.flush();
    await this.ledger.close?.();
  }

  private async timed<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(new Error(`budget ledger call exceeded ${this.cfg.timeoutMs} ms`));
      }, this.cfg.timeoutMs);
    });
    try {
      return await Promise.race([fn(ac.signal), timeout]);
    } catch (err) {
      throw new LeaseLedgerUnavailable(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** At most one warning per 10 s (a ledger outage must not flood the log). */
  private warn(msg: string, s: ScopePlan | undefined, err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.log.warn({ region: this.cfg.region, scope: s?.kind, id: s?.id, period: s?.period, err: err instanceof Error ? err.message : String(err) }, msg);
  }
}
