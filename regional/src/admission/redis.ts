/**
 * Admission against Redis: the admissions of one event-loop turn go in one EVALSHA per hash tag
 * (ADMIT_MANY_LUA: applied in order, each as if alone), and so do the settlements (SETTLE_MANY_LUA); each
 * scope's key names are built once per budget period (ScopeKeyCache) and sent once per call. While Redis is unreachable each limit kind follows its
 * failure policy (config.ts): `local` = the in-process limiter with limits divided by the replica count,
 * `open` = not enforced, `closed` = 503. Every such decision is counted (metrics.fallback) and logged
 * (when degraded mode starts, every 10 s while it lasts, and when it ends) — never a silent bypass.
 * Recovery: a probe PINGs Redis every second while degraded; the first success returns to Redis.
 */
import { ServiceUnavailable } from '../errors/catalogue.js';
import type { AdmissionConfig } from './config.js';
import { BudgetSeeder } from './budget-seed.js';
import type { SpendLedger } from './ledger.js';
import type { LeaseLedger } from './lease-ledger.js';
import { BudgetLeases, type LeaseConfig } from './leases.js';
import { ADMIT_MANY_LUA, LEASE_LUA, SEED_LUA, SETTLE_MANY_LUA } from './limits-lua.js';
import { MemoryLimitStore } from './memory-store.js';
import type { AdmissionPlan, ScopePlan } from './plan.js';
import { connectRedis } from './redis-client.js';
import { backstopTimeoutMs, withDeadline } from './deadline.js';
import type { RedisLike } from './redis-client.js';
import { hashTag, ScopeKeyCache } from './redis-keys.js';
import { admitWith } from './ticket.js';
import type { LimiterBackend } from './ticket.js';
import type {
  Admission,
  AdmissionLogger,
  AdmissionMetrics,
  AdmissionRequest,
  AdmissionTicket,
  FailurePolicy,
  LimitKind,
  Verdict,
} from './types.js';

const WINDOW_MS = 60_000;
const DAY = 86_400_000;
const KIND_CODES: readonly LimitKind[] = ['requests', 'requests', 'tokens', 'parallel', 'budget', 'budget'];
/** Settlements kept while Redis is down, replayed when it returns (oldest dropped beyond this). */
const MAX_PENDING_SETTLES = 10_000;
const MAX_LOCAL_TICKETS = 100_000;

type Reply = (string | number)[];
type Arg = string | number;
/** The 6 keys of one scope (redis-keys.ts), the same array for the same scope and period. */
type ScopeKeys = readonly string[];
interface LimiterCommands {
  skywayAdmitMany(...args: (string | number)[]): Promise<Reply[]>;
  skywaySettleMany(...args: (string | number)[]): Promise<number>;
  skywaySeed(...args: (string | number)[]): Promise<number>;
  skywayLease(...args: (string | number)[]): Promise<number>;
}

/**
 * One script call's KEYS and ARGV: each scope's six keys once (`base` = the index of its first key), the
 * requests' arguments in order.
 */
class ScriptCall {
  readonly keys: string[] = [];
  readonly args: Arg[] = [];
  count = 0;
  private readonly bases = new Map<ScopeKeys, number>();

  base(k: ScopeKeys): number {
    let b = this.bases.get(k);
    if (b === undefined) {
      b = this.keys.length;
      for (let i = 0; i < k.length; i++) this.keys.push(k[i]!);
      this.bases.set(k, b);
    }
    return b;
  }
}

/** Admissions of one event-loop turn that share a hash tag, sent as one call. */
class AdmitBatch extends ScriptCall {
  readonly waiters: Array<{ resolve: (r: Reply) => void; reject: (err: unknown) => void }> = [];
}

/** Settlements of one event-loop turn that share a hash tag, sent as one call. */
class SettleBatch extends ScriptCall {
  readonly settled: Array<() => void> = [];
  readonly items: PendingSettle[] = [];
}

/** Requests per call at most (a call holds Redis for its duration). */
const MAX_BATCH = 256;

export interface RedisAdmissionOptions {
  config: AdmissionConfig;
  logger: AdmissionLogger;
  metrics?: AdmissionMetrics;
  /** An existing client (tests); otherwise one is made from config.redisUrl. */
  client?: RedisLike;
  /** Where budget spend is rebuilt from when Redis lost it (ledger.ts); without it budgets restart at 0. */
  ledger?: SpendLedger | undefined;
  /** Budget leases of the global spend ledger (leases.ts); without them a budget is this Redis's alone. */
  leases?: { ledger: LeaseLedger; config: LeaseConfig } | undefined;
}

function kindsOf(s: ScopePlan): LimitKind[] {
  const out: LimitKind[] = [];
  if (s.rpm >= 0) out.push('requests');
  if (s.tpm >= 0) out.push('tokens');
  if (s.maxParallel >= 0) out.push('parallel');
  if (s.budgetMicro >= 0) out.push('budget');
  return out;
}

interface PendingSettle {
  /** reqId, estTokens, actualTokens, actualMicro. */
  head: Arg[];
  /** Per scope: its keys, and hasTpm, hasLease, hasBudget, bspentTtlMs. */
  scopes: ScopeKeys[];
  flags: Arg[];
  /** Hash tag of the keys: settlements are batched per tag (one slot per call in cluster mode). */
  tag: string;
}

export class RedisAdmission implements Admission {
  private readonly cmd: LimiterCommands;
  private readonly local: MemoryLimitStore;
  private readonly backend: LimiterBackend;
  /** Request ids admitted by the local fallback: their settlement goes to the local store. */
  private readonly localTickets = new Set<string>();
  private pending: PendingSettle[] = [];
  private degradedSince = 0;
  private probe: NodeJS.Timeout | undefined;
  private summary: NodeJS.Timeout | undefined;
  private readonly fallbackCounts = new Map<string, number>();
  private closed = false;
  private readonly seeder: BudgetSeeder;
  private readonly scopeKeys: ScopeKeyCache;
  /** Present when budgets are leases of the global ledger. */
  readonly leases: BudgetLeases | undefined;

  private constructor(
    private readonly client: RedisLike,
    private readonly cfg: AdmissionConfig,
    private readonly log: AdmissionLogger,
    private readonly metrics: AdmissionMetrics | undefined,
    ledger: SpendLedger | undefined,
    leases?: RedisAdmissionOptions['leases'],
  ) {
    client.defineCommand('skywayAdmitMany', { lua: ADMIT_MANY_LUA });
    client.defineCommand('skywaySettleMany', { lua: SETTLE_MANY_LUA });
    client.defineCommand('skywaySeed', { lua: SEED_LUA });
    client.defineCommand('skywayLease', { lua: LEASE_LUA });
    // Each limiter call gets the command timeout as a deadline that tolerates the gateway's own event-loop
    // lag (deadline.ts); ioredis' timer, started at write time, is only a backstop behind it.
    const raw = client as unknown as LimiterCommands;
    const ms = cfg.commandTimeoutMs ?? 250;
    this.cmd = {
      skywayAdmitMany: (...a) => withDeadline(raw.skywayAdmitMany(...a), ms, 'Redis admission call'),
      skywaySettleMany: (...a) => withDeadline(raw.skywaySettleMany(...a), ms, 'Redis settlement call'),
      skywaySeed: (...a) => withDeadline(raw.skywaySeed(...a), ms, 'Redis budget seed'),
      skywayLease: (...a) => withDeadline(raw.skywayLease(...a), ms, 'Redis lease write'),
    };
    this.scopeKeys = new ScopeKeyCache(cfg.prefix);
    this.leases = leases && new BudgetLeases(leases.ledger, leases.config, (key, micro, ttl) => this.cmd.skywayLease(1, key, micro, ttl), log);
    if (this.leases) log.info({ region: leases!.config.region, fraction: leases!.config.fraction }, 'admission: budgets are leases of the global spend ledger');
    else if (!ledger) log.warn({}, 'admission: no spend ledger; budgets restart from 0 when Redis loses their counters');
    this.seeder = new BudgetSeeder({
      ledger,
      timeoutMs: cfg.seedTimeoutMs ?? 5000,
      write: (key, micro, ttl, lease) => this.cmd.skywaySeed(1, key, micro, ttl, lease),
      ...(this.leases ? { regionLease: (s: ScopePlan) => this.leases!.regionLease(s) } : {}),
      // Logged only when there was spend to rebuild (a new period seeds 0 for every budget: no line for those).
      seeded: (s, micro, ms) => micro > 0 && log.info({ scope: s.kind, id: s.id, period: s.period, spentUsd: micro / 1e6, ms }, 'admission: budget spend rebuilt from the ledger'),
      failed: (s, err) => log.warn({ scope: s.kind, id: s.id, period: s.period, err: err instanceof Error ? err.message : String(err), policy: cfg.policy.budget }, 'admission: spend ledger unreadable; the budget failure policy applies'),
    });
    this.local = new MemoryLimitStore({ windowMs: WINDOW_MS, leaseMs: cfg.leaseMs, scaleDivisor: cfg.replicas });
    this.backend = {
      reserve: (plan, req) => this.reserve(plan, req),
      settle: (plan, req, tokens, micro) => this.settle(plan, req, tokens, micro),
    };
  }

  static async create(opts: RedisAdmissionOptions): Promise<RedisAdmission> {
    const { config } = opts;
    if (!opts.client && !config.redisUrl) throw new Error('RedisAdmission needs REDIS_URL');
    const client = opts.client ?? (await connectRedis({ url: config.redisUrl!, cluster: config.cluster, commandTimeoutMs: backstopTimeoutMs(config.commandTimeoutMs ?? 250) }));
    const admission = new RedisAdmission(client, config, opts.logger, opts.metrics, opts.ledger, opts.leases);
    // Redis unreachable at start: begin degraded (failure policy, recovery probe) rather than refuse to start.
    if (client.status !== 'ready') admission.enterDegraded(new Error(`Redis not reachable at start (${client.status})`));
    return admission;
  }

  /** True while Redis is unreachable and limits follow the failure policy. */
  get degraded(): boolean {
    return this.degradedSince > 0;
  }

  admit(req: AdmissionRequest): AdmissionTicket | Promise<AdmissionTicket> {
    return admitWith(this.backend, req, this.metrics);
  }

  async check(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    clearInterval(this.summary);
    this.local.close();
    await this.leases?.close();
    this.client.disconnect();
  }

  // ── Redis path ─────────────────────────────────────────────────────────────────────────────────────────

  /** The keys of each scope of the plan (cached per scope and period). */
  private keysOf(plan: AdmissionPlan, tag: string): ScopeKeys[] {
    const out: ScopeKeys[] = new Array(plan.scopes.length);
    for (let i = 0; i < plan.scopes.length; i++) out[i] = this.scopeKeys.get(tag, plan.scopes[i]!);
    return out;
  }

  private async reserve(plan: AdmissionPlan, req: AdmissionRequest): Promise<Verdict> {
    if (this.degradedSince > 0) return this.fallback(plan, req);
    let r: Reply;
    const tries = { refills: 0, exhausted: 0 };
    const tag = hashTag(this.cfg.hashTag, req.principal);
    for (let attempt = 0; ; attempt++) {
      const keys = this.keysOf(plan, tag);
      try {
        r = await this.admitBatched(tag, plan, req, keys);
        if (Number(r[0]) === 0 && Number(r[1]) === 5) {
          // This region's lease is short (the budget may not be): refill from the ledger, then admit again.
          const i = Number(r[2]);
          const next = await this.leases!.whenShort(plan, i, keys[i]![5]!, Number(r[5]), tries, this.cfg.policy.budget, (p) => this.countFallback('budget', p));
          if (next === 'refuse') break;
          plan = next;
          continue;
        }
        if (Number(r[0]) === 1 && this.leases) this.refillLow(plan, r, keys);
        if (Number(r[0]) !== 2) break;
        // Budget periods whose counters Redis lost: rebuild them from the ledger, then admit again.
        if (attempt - tries.refills >= 2) throw new ServiceUnavailable('Budget spend could not be rebuilt; retry shortly.', 'limits_unavailable');
        plan = await this.seeder.seedAll(plan, r.slice(1).map(Number), (i) => keys[i]![5]!, this.cfg.policy.budget, (p) => this.countFallback('budget', p));
      } catch (err) {
        if (err instanceof ServiceUnavailable) throw err;
        this.metrics?.redisError?.('admit');
        this.enterDegraded(err);
        return this.fallback(plan, req);
      }
    }
    const n = (i: number) => Number(r[i]);
    if (n(0) === 1) {
      return { ok: true, status: { requestsLimit: n(1), requestsRemaining: n(2), requestsResetMs: n(3), tokensLimit: n(4), tokensRemaining: n(5), tokensResetMs: n(6) } };
    }
    const kind = KIND_CODES[n(1)] ?? 'requests';
    const status = { requestsLimit: -1, requestsRemaining: -1, requestsResetMs: 0, tokensLimit: -1, tokensRemaining: -1, tokensResetMs: 0 };
    if (kind === 'requests') Object.assign(status, { requestsLimit: n(4), requestsRemaining: n(5), requestsResetMs: Math.max(0, n(3)) });
    if (kind === 'tokens') Object.assign(status, { tokensLimit: n(4), tokensRemaining: n(5), tokensResetMs: Math.max(0, n(3)) });
    return { ok: false, kind, scope: n(2), retryAfterMs: n(3), status };
  }

  /** This region's share of an RPM/TPM limit (SKYWAY_RATE_LIMIT_REGIONS). */
  private regionShare(limit: number): number {
    const n = this.cfg.rateRegions ?? 1;
    return limit > 0 && n > 1 ? Math.ceil(limit / n) : limit;
  }

  /** After an admission: refill in the background every leased scope it left with less than half a chunk. */
  private refillLow(plan: AdmissionPlan, r: Reply, keys: readonly ScopeKeys[]): void {
    plan.scopes.forEach((s, i) => {
      const left = Number(r[7 + i] ?? -1);
      if (s.budgetMicro >= 0 && this.leases!.low(s, left)) void this.leases!.refill(s, keys[i]![5]!, Math.max(1, plan.estMicro)).catch(() => undefined);
    });
  }

  private admitBatches = new Map<string, AdmitBatch>();
  private settleBatches = new Map<string, SettleBatch>();
  /** Tags with a call in flight: their next batch waits for its answer (and grows meanwhile). */
  private admitsInFlight = new Set<string>();
  private settlesInFlight = new Set<string>();
  private flushScheduled = false;

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushBatches());
  }

  /** Add an admission to this turn's call for its hash tag; resolves with its own reply. */
  private admitBatched(tag: string, plan: AdmissionPlan, req: AdmissionRequest, keys: readonly ScopeKeys[]): Promise<Reply> {
    let b = this.admitBatches.get(tag);
    if (b && b.count >= MAX_BATCH) {
      this.admitBatches.delete(tag);
      void this.sendAdmits(tag, b);
      b = undefined;
    }
    if (!b) {
      b = new AdmitBatch();
      this.admitBatches.set(tag, b);
    }
    const args = b.args;
    args.push(plan.scopes.length, req.requestId, plan.estTokens, plan.estMicro);
    const leased = this.leases ? 1 : 0;
    for (let i = 0; i < plan.scopes.length; i++) {
      const s = plan.scopes[i]!;
      const ttl = s.budgetMicro >= 0 && s.periodRemainingMs > 0 ? s.periodRemainingMs + DAY : 0;
      args.push(b.base(keys[i]!), this.regionShare(s.rpm), this.regionShare(s.tpm), s.maxParallel, s.budgetMicro, ttl, s.budgetMicro >= 0 ? leased : 0);
    }
    b.count++;
    this.scheduleFlush();
    const batch = b;
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  private async sendAdmits(tag: string, b: AdmitBatch): Promise<void> {
    this.admitsInFlight.add(tag);
    let replies: Reply[] | undefined;
    let error: unknown;
    try {
      replies = await this.cmd.skywayAdmitMany(b.keys.length, ...b.keys, b.count, this.cfg.leaseMs, WINDOW_MS, ...b.args);
      if (!Array.isArray(replies) || replies.length !== b.count) throw new Error(`admission script answered ${Array.isArray(replies) ? replies.length : typeof replies} replies for ${b.count} admissions`);
    } catch (err) {
      error = err;
    }
    this.admitsInFlight.delete(tag);
    // What queued up while this call was in flight goes now.
    const next = this.admitBatches.get(tag);
    if (next) {
      this.admitBatches.delete(tag);
      void this.sendAdmits(tag, next);
    }
    if (replies && error === undefined) for (let i = 0; i < b.waiters.length; i++) b.waiters[i]!.resolve(replies[i]!);
    else for (const w of b.waiters) w.reject(error);
  }

  private settleArgs(plan: AdmissionPlan, req: AdmissionRequest, tokens: number, micro: number): PendingSettle {
    const tag = hashTag(this.cfg.hashTag, req.principal);
    const flags: Arg[] = [];
    for (const s of plan.scopes) {
      flags.push(
        s.tpm >= 0 ? 1 : 0,
        s.maxParallel >= 0 || s.budgetMicro >= 0 ? 1 : 0,
        s.budgetMicro >= 0 ? 1 : 0,
        s.budgetMicro >= 0 && s.periodRemainingMs > 0 ? s.periodRemainingMs + DAY : 0,
      );
    }
    return { head: [req.requestId, plan.estTokens, tokens, micro], scopes: this.keysOf(plan, tag), flags, tag };
  }

  /** Queue a settlement for this turn's batch; resolves once the batch was sent (or queued after a failure). */
  private settleBatched(s: PendingSettle): Promise<void> {
    let b = this.settleBatches.get(s.tag);
    if (b && b.count >= MAX_BATCH) {
      this.settleBatches.delete(s.tag);
      void this.sendSettles(s.tag, b);
      b = undefined;
    }
    if (!b) {
      b = new SettleBatch();
      this.settleBatches.set(s.tag, b);
    }
    const args = b.args;
    args.push(s.scopes.length, s.head[0]!, s.head[1]!, s.head[2]!, s.head[3]!);
    for (let i = 0; i < s.scopes.length; i++) {
      args.push(b.base(s.scopes[i]!), s.flags[i * 4]!, s.flags[i * 4 + 1]!, s.flags[i * 4 + 2]!, s.flags[i * 4 + 3]!);
    }
    b.count++;
    b.items.push(s);
    this.scheduleFlush();
    const batch = b;
    return new Promise((resolve) => batch.settled.push(resolve));
  }

  /**
   * At the end of a turn: settlements first (what they free counts for the admissions of the same turn), then
   * admissions, one call per tag, except for tags whose previous call is still in flight: their batch keeps
   * growing and goes when that call answers. One call in flight per tag and kind, as ioredis auto-pipelining
   * does per connection: under load, batches grow instead of calls multiplying.
   */
  private flushBatches(): void {
    this.flushScheduled = false;
    for (const [tag, b] of this.settleBatches) {
      if (this.settlesInFlight.has(tag)) continue;
      this.settleBatches.delete(tag);
      void this.sendSettles(tag, b);
    }
    for (const [tag, b] of this.admitBatches) {
      if (this.admitsInFlight.has(tag)) continue;
      this.admitBatches.delete(tag);
      void this.sendAdmits(tag, b);
    }
  }

  private async sendSettles(tag: string, b: SettleBatch): Promise<void> {
    this.settlesInFlight.add(tag);
    try {
      await this.cmd.skywaySettleMany(b.keys.length, ...b.keys, b.count, WINDOW_MS, ...b.args);
    } catch (err) {
      this.metrics?.redisError?.('settle');
      this.enterDegraded(err);
      for (const s of b.items) this.queueSettle(s);
    } finally {
      this.settlesInFlight.delete(tag);
      for (const done of b.settled) done();
      const next = this.settleBatches.get(tag);
      if (next) {
        this.settleBatches.delete(tag);
        void this.sendSettles(tag, next);
      }
    }
  }

  private async settle(plan: AdmissionPlan, req: AdmissionRequest, tokens: number, micro: number): Promise<void> {
    // The global ledger counts every cost this region settles, whichever store admitted it.
    if (this.leases && micro > 0) for (const s of plan.scopes) this.leases.recordSpend(s, micro);
    if (this.localTickets.size > 0 && this.localTickets.delete(req.requestId)) {
      this.local.settle(this.localPlan(plan), req.requestId, tokens, micro);
      return;
    }
    const s = this.settleArgs(plan, req, tokens, micro);
    if (this.degradedSince > 0) {
      this.queueSettle(s);
      return;
    }
    await this.settleBatched(s);
  }

  private queueSettle(s: PendingSettle): void {
    if (this.pending.length >= MAX_PENDING_SETTLES) {
      this.pending.shift();
      this.log.warn({ max: MAX_PENDING_SETTLES }, 'admission: pending settlement dropped (Redis down too long); its lease expires on its own');
    }
    this.pending.push(s);
  }

  // ── degraded mode ──────────────────────────────────────────────────────────────────────────────────────

  private localPlan(plan: AdmissionPlan): AdmissionPlan {
    const p = this.cfg.policy;
    const scopes = plan.scopes.map((s) => ({
      ...s,
      rpm: p.requests === 'local' ? this.regionShare(s.rpm) : -1,
      tpm: p.tokens === 'local' ? this.regionShare(s.tpm) : -1,
      maxParallel: p.parallel === 'local' ? s.maxParallel : -1,
      budgetMicro: -1,
    }));
    return { ...plan, scopes };
  }

  private countFallback(kind: LimitKind, policy: FailurePolicy): void {
    this.metrics?.fallback?.(kind, policy);
    const k = `${kind}=${policy}`;
    this.fallbackCounts.set(k, (this.fallbackCounts.get(k) ?? 0) + 1);
  }

  private fallback(plan: AdmissionPlan, req: AdmissionRequest): Verdict {
    const kinds = new Set<LimitKind>();
    for (const s of plan.scopes) for (const k of kindsOf(s)) kinds.add(k);
    for (const k of kinds) {
      if (this.cfg.policy[k] === 'closed') {
        this.countFallback(k, 'closed');
        throw new ServiceUnavailable(`The limit store is unavailable and ${k} limits fail closed; retry shortly.`, 'limits_unavailable');
      }
    }
    for (const k of kinds) this.countFallback(k, this.cfg.policy[k]);
    const v = this.local.reserve(this.localPlan(plan), req.requestId);
    if (v.ok) {
      this.localTickets.add(req.requestId);
      // A ticket that is never settled must not grow this set forever (its local lease expires anyway).
      if (this.localTickets.size > MAX_LOCAL_TICKETS) this.localTickets.delete(this.localTickets.values().next().value!);
    }
    return v;
  }

  private enterDegraded(err: unknown): void {
    if (this.degradedSince > 0 || this.closed) return;
    this.degradedSince = Date.now();
    this.metrics?.degraded?.(true);
    this.log.error({ err: err instanceof Error ? err.message : String(err), policy: this.cfg.policy, replicas: this.cfg.replicas }, 'admission: Redis unreachable, limits follow the failure policy until it returns');
    this.probe = setInterval(() => void this.tryRecover(), 1000);
    this.probe.unref();
    this.summary = setInterval(() => this.logSummary('admission: still degraded (Redis unreachable)'), 10_000);
    this.summary.unref();
  }

  private logSummary(msg: string): void {
    const decisions = Object.fromEntries(this.fallbackCounts);
    this.fallbackCounts.clear();
    this.log.warn({ decisions, pendingSettlements: this.pending.length, sinceMs: Date.now() - this.degradedSince }, msg);
  }

  private async tryRecover(): Promise<void> {
    if (this.degradedSince === 0 || this.closed) return;
    try {
      await this.client.ping();
    } catch {
      return;
    }
    if (this.degradedSince === 0) return;
    clearInterval(this.probe);
    clearInterval(this.summary);
    this.logSummary('admission: Redis is back; limits are enforced in Redis again');
    this.degradedSince = 0;
    this.metrics?.degraded?.(false);
    // Settlements queued while Redis was away, in batches like live ones (a failure queues them again).
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending.map((s) => this.settleBatched(s)));
  }
}
