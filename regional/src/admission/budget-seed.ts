/**
 * Seeding a budget period's spend in Redis from the Postgres ledger, when the admission script reports the
 * period unseeded (Redis restarted empty, or evicted the counter). Single-flight per counter key: a burst of
 * requests for one budget after a flush waits on one ledger query, not one each. A failed ledger query is
 * remembered for `retryAfterFailureMs`, so a Postgres outage costs one attempt per budget per interval, not one
 * per request; callers apply the budget failure policy meanwhile.
 */
import { ServiceUnavailable } from '../errors/catalogue.js';
import type { SpendLedger } from './ledger.js';
import type { AdmissionPlan, ScopePlan } from './plan.js';
import type { FailurePolicy } from './types.js';

const DAY = 86_400_000;

/** The ledger could not be read in time: the caller applies the budget failure policy. */
export class LedgerUnavailable extends Error {
  constructor(cause: unknown) {
    super(`spend ledger unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LedgerUnavailable';
  }
}

export interface BudgetSeederOptions {
  /** Undefined: seed with 0 (spend counts from what this Redis has seen, the behaviour without a ledger). */
  ledger: SpendLedger | undefined;
  /** A ledger query slower than this fails the seed. */
  timeoutMs: number;
  /** Run SEED_LUA: add `micro` to the period's counter once, mark it seeded, raise the lease to `lease` (−1 = not
   * leased). Errors are Redis errors. */
  write: (key: string, micro: number, ttlMs: number, lease: number) => Promise<unknown>;
  /**
   * With budget leases (leases.ts): this region's spend and lease in the global ledger replace the regional
   * spend ledger as the seed's source. Errors are ledger errors (the caller's own timeout applies).
   */
  regionLease?: (scope: ScopePlan) => Promise<{ spentMicro: number; leaseMicro: number }>;
  retryAfterFailureMs?: number;
  /** Called after each seed that read the ledger (ms spent, micro-USD found). */
  seeded?: (scope: ScopePlan, micro: number, ms: number) => void;
  /** Called when the ledger could not be read. */
  failed?: (scope: ScopePlan, err: unknown) => void;
}

export class BudgetSeeder {
  private readonly flights = new Map<string, Promise<void>>();

  constructor(private readonly opts: BudgetSeederOptions) {}

  /** Seed `key` (the scope's bspent key) unless a seed of it is already running; resolves when it is seeded. */
  seed(scope: ScopePlan, key: string, ttlMs: number): Promise<void> {
    let flight = this.flights.get(key);
    if (!flight) {
      flight = this.run(scope, key, ttlMs).then(
        () => {
          this.flights.delete(key);
        },
        (err: unknown) => {
          // Keep the failure for a moment: requests meanwhile get the policy without another ledger query.
          setTimeout(() => this.flights.delete(key), err instanceof LedgerUnavailable ? (this.opts.retryAfterFailureMs ?? 1000) : 0).unref();
          throw err;
        },
      );
      flight.catch(() => undefined);
      this.flights.set(key, flight);
    }
    return flight;
  }

  /**
   * Seed the budget periods of `scopes` (indexes into the plan; `keyOf` names each one's counter). When the
   * ledger cannot be read, the budget failure policy decides: `closed` → 503 `limits_unavailable`; `open` →
   * the returned plan leaves those budgets out for this request. A Redis error is thrown as is.
   */
  async seedAll(
    plan: AdmissionPlan,
    scopes: readonly number[],
    keyOf: (scope: number) => string,
    policy: FailurePolicy,
    onFallback: (policy: FailurePolicy) => void,
  ): Promise<AdmissionPlan> {
    const results = await Promise.allSettled(
      scopes.map((i) => {
        const s = plan.scopes[i]!;
        return this.seed(s, keyOf(i), s.periodRemainingMs > 0 ? s.periodRemainingMs + DAY : 0);
      }),
    );
    const unavailable = new Set<number>();
    results.forEach((res, j) => {
      if (res.status === 'fulfilled') return;
      if (!(res.reason instanceof LedgerUnavailable)) throw res.reason;
      unavailable.add(scopes[j]!);
    });
    if (unavailable.size === 0) return plan;
    onFallback(policy);
    if (policy !== 'open') {
      if (this.opts.regionLease) throw new ServiceUnavailable('This region\'s budget lease cannot be rebuilt while the global budget ledger is unreachable; retry shortly.', 'budget_ledger_unavailable');
      throw new ServiceUnavailable('Budget spend cannot be rebuilt while the spend ledger is unavailable; retry shortly.', 'limits_unavailable');
    }
    return { ...plan, scopes: plan.scopes.map((s, i) => (unavailable.has(i) ? { ...s, budgetMicro: -1 } : s)) };
  }

  private async run(scope: ScopePlan, key: string, ttlMs: number): Promise<void> {
    let micro = 0;
    if (this.opts.regionLease) {
      const started = Date.now();
      let lease: { spentMicro: number; leaseMicro: number };
      try {
        lease = await this.opts.regionLease(scope);
      } catch (err) {
        this.opts.failed?.(scope, err);
        throw new LedgerUnavailable(err);
      }
      this.opts.seeded?.(scope, lease.spentMicro, Date.now() - started);
      await this.opts.write(key, lease.spentMicro, ttlMs, lease.leaseMicro);
      return;
    }
    if (this.opts.ledger) {
      const started = Date.now();
      const ac = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new Error(`ledger query exceeded ${this.opts.timeoutMs} ms`));
        }, this.opts.timeoutMs);
      });
      try {
        micro = await Promise.race([this.opts.ledger.spentMicro(scope.kind, scope.id, scope.period, ac.signal), timeout]);
      } catch (err) {
        this.opts.failed?.(scope, err);
        throw new LedgerUnavailable(err);
      } finally {
        clearTimeout(timer);
      }
      this.opts.seeded?.(scope, micro, Date.now() - started);
    }
    await this.opts.write(key, micro, ttlMs, -1);
  }
}
