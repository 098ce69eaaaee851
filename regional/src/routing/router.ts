/**
 * The router: which deployment serves an attempt, whether there is another attempt, and what each outcome
 * teaches it. Pure logic — it sends nothing; the pipeline runs each attempt and reports back.
 *
 * @example
 *   const plan = router.plan('gpt-4o', { estimatedTokens: 1200, deadline: Date.now() + 60_000 });
 *   for await (const attempt of plan) {
 *     try {
 *       const res = await send(attempt.deployment);
 *       attempt.succeed({ ok: true, ttfbMs: res.ttfb, tokens: res.usage?.totalTokens });
 *       return res;                      // headers: x-skyway-deployment, x-skyway-attempts = plan.attempts
 *     } catch (err) {
 *       attempt.fail(outcomeFromError(err, bytesSentToClient));
 *       lastError = err;
 *     }
 *   }
 *   throw lastError ?? errorFor(plan.failure);
 */
import type { Deployment } from '../providers/adapter.js';
import { StatsRegistry } from './deployment-stats.js';
import { DEFAULT_COOLDOWN, LocalHealthStore, type HealthStore } from './health.js';
import { backoffMs, DEFAULT_RETRY } from './retry.js';
import { choose, type Candidate } from './strategies.js';
import { RETRYABLE, type CooldownPolicy, type FailureKind, type ModelRoute, type Outcome, type PlanContext, type PlanFailure, type RetryPolicy } from './types.js';

export interface RouterOptions {
  models: Readonly<Record<string, ModelRoute>>;
  retry?: Partial<RetryPolicy>;
  cooldown?: Partial<CooldownPolicy>;
  /** Shared health (RedisHealthStore); default: this replica only. */
  health?: HealthStore;
  /** EWMA weight of a new latency sample. */
  latencyAlpha?: number;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One try against one deployment. Exactly one of succeed/fail must be called. */
export class Attempt {
  outcome: Outcome | undefined;
  constructor(
    private readonly router: Router,
    readonly model: string,
    readonly deployment: Deployment,
    /** 1-based number of this attempt within the request. */
    readonly number: number,
    /** Tokens reserved in the deployment's TPM window for this attempt. */
    readonly reservedTokens: number,
    /** This attempt is the half-open probe of a cooled-down deployment. */
    readonly probe: boolean,
  ) {}

  succeed(o: Extract<Outcome, { ok: true }>): void {
    this.settle(o);
  }

  fail(o: Extract<Outcome, { ok: false }>): void {
    this.settle(o);
  }

  private settle(o: Outcome): void {
    if (this.outcome) return;
    this.outcome = o;
    this.router.finishAttempt(this, o);
  }
}

export class Plan implements AsyncIterable<Attempt> {
  /** Attempts handed out so far (the value of `x-skyway-attempts`). */
  attempts = 0;
  /** Set when the plan ends without a success. */
  failure: PlanFailure | undefined;
  /** The attempt that succeeded. */
  served: Attempt | undefined;
  /** Time spent waiting between retries (backoff, retry-after), in ms: not the gateway's own overhead. */
  backoffMs = 0;

  constructor(private readonly gen: (plan: Plan) => AsyncGenerator<Attempt>) {}

  [Symbol.asyncIterator](): AsyncIterator<Attempt> {
    return this.gen(this);
  }
}

export class Router {
  private readonly models: Readonly<Record<string, ModelRoute>>;
  private readonly retry: RetryPolicy;
  readonly health: HealthStore;
  readonly stats = new StatsRegistry();
  private readonly alpha: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(o: RouterOptions) {
    this.models = o.models;
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.health = o.health ?? new LocalHealthStore({ ...DEFAULT_COOLDOWN, ...o.cooldown });
    this.alpha = o.latencyAlpha ?? 0.3;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? defaultSleep;
  }

  hasModel(model: string): boolean {
    return model in this.models;
  }

  /** Record an outcome for a deployment (attempts do this themselves; exposed for probes and tests). */
  async report(deploymentId: string, outcome: Outcome): Promise<void> {
    const now = this.now();
    if (outcome.ok) {
      this.stats.get(deploymentId).recordLatency(outcome.ttfbMs, this.alpha);
      await this.health.recordSuccess(deploymentId, now);
    } else if (RETRYABLE.has(outcome.kind)) {
      await this.health.recordFailure(deploymentId, now);
    }
  }

  /** @internal called by Attempt. */
  finishAttempt(a: Attempt, o: Outcome): void {
    const s = this.stats.get(a.deployment.id);
    s.inFlight = Math.max(0, s.inFlight - 1);
    if (o.ok && o.tokens !== undefined) s.tokens.add(this.now(), o.tokens - a.reservedTokens);
    // A route that never cools down needs no health bookkeeping (and, with a shared store, no round trip).
    if (this.models[a.model]?.cooldown === false) {
      if (o.ok) s.recordLatency(o.ttfbMs, this.alpha);
      return;
    }
    void this.report(a.deployment.id, o);
  }

  /** Pick an eligible deployment of `route`: healthy (or probe-able), under its RPM/TPM, preferring untried. */
  private async select(route: ModelRoute, tried: ReadonlyMap<string, number>, skip: ReadonlySet<string>, tokens: number): Promise<{ c: Candidate; probe: boolean } | undefined> {
    const now = this.now();
    const targets = route.targets.filter((t) => !skip.has(t.deployment.id));
    if (!targets.length) return undefined;
    const states = route.cooldown === false ? targets.map(() => 'closed' as const) : await this.health.states(targets.map((t) => t.deployment.id), now);
    const closed: Candidate[] = [];
    const halfOpen: Candidate[] = [];
    targets.forEach((target, i) => {
      const stats = this.stats.get(target.deployment.id);
      if (target.rpm !== undefined && stats.requests.sum(now) + 1 > target.rpm) return;
      if (target.tpm !== undefined && stats.tokens.sum(now) + tokens > target.tpm) return;
      if ((tried.get(target.deployment.id) ?? 0) > this.retry.sameDeploymentRetries) return;
      if (states[i] === 'closed') closed.push({ target, stats });
      else if (states[i] === 'half-open') halfOpen.push({ target, stats });
    });
    // A cooled-down deployment whose cooldown ended is probed by one request at a time (the probe slot), or
    // it would never come back while its siblings carry the traffic.
    for (const c of halfOpen) {
      if (!tried.has(c.target.deployment.id) && (await this.health.tryProbe(c.target.deployment.id, now))) return { c, probe: true };
    }
    // Untried deployments next; a deployment that failed this request is retried only after its siblings.
    const fresh = closed.filter((c) => !tried.has(c.target.deployment.id));
    if (fresh.length) return { c: choose(route.strategy, fresh, this.random), probe: false };
    if (closed.length) return { c: choose(route.strategy, closed, this.random), probe: false };
    return undefined;
  }

  /** The attempts for one request, in order; each is produced only after the previous one reported. */
  plan(model: string, ctx: PlanContext = {}): Plan {
    const router = this;
    return new Plan(async function* (plan: Plan) {
      if (!(model in router.models)) {
        plan.failure = { reason: 'unknown_model' };
        return;
      }
      const est = ctx.estimatedTokens ?? 0;
      const queue: string[] = [model];
      const visited = new Set<string>();
      let lastKind: FailureKind | undefined;
      let sawDeployment = false;
      while (queue.length) {
        const m = queue.shift()!;
        if (visited.has(m)) continue;
        visited.add(m);
        const route = router.models[m];
        if (!route) continue;
        if (m !== model && ctx.allow && !ctx.allow(m)) continue;
        if (route.contextWindow !== undefined && est > route.contextWindow) {
          lastKind = 'context_window';
          queue.unshift(...(route.contextWindowFallbacks ?? []));
          continue;
        }
        queue.push(...(route.fallbacks ?? []));
        const tried = new Map<string, number>();
        const skip = new Set<string>();
        let retryAfter = 0;
        for (;;) {
          if (ctx.signal?.aborted || (ctx.deadline !== undefined && router.now() >= ctx.deadline)) {
            plan.failure = { reason: 'deadline', ...(lastKind ? { kind: lastKind } : {}) };
            return;
          }
          if (plan.attempts >= router.retry.maxAttempts) {
            plan.failure = { reason: 'budget', ...(lastKind ? { kind: lastKind } : {}) };
            return;
          }
          const pick = await router.select(route, tried, skip, est);
          if (!pick) break;
          sawDeployment = true;
          const id = pick.c.target.deployment.id;
          const retryOfSame = tried.has(id);
          let delay = retryOfSame ? backoffMs(tried.get(id)!, router.retry, router.random) : 0;
          if (retryOfSame) delay = Math.max(delay, retryAfter);
          if (ctx.deadline !== undefined && router.now() + delay >= ctx.deadline) {
            plan.failure = { reason: 'deadline', ...(lastKind ? { kind: lastKind } : {}) };
            return;
          }
          if (delay > 0) {
            const slept = router.now();
            await router.sleep(delay, ctx.signal);
            plan.backoffMs += router.now() - slept;
          }
          const stats = pick.c.stats;
          const now = router.now();
          stats.inFlight++;
          stats.requests.add(now, 1);
          stats.tokens.add(now, est);
          tried.set(id, (tried.get(id) ?? 0) + 1);
          plan.attempts++;
          const attempt = new Attempt(router, m, pick.c.target.deployment, plan.attempts, est, pick.probe);
          yield attempt;
          const o = attempt.outcome;
          if (!o) throw new Error(`routing: attempt ${attempt.number} on ${id} was not settled before the next was requested`);
          if (o.ok) {
            plan.served = attempt;
            return;
          }
          lastKind = o.kind;
          if (o.afterFirstByte) {
            plan.failure = { reason: 'committed', kind: o.kind };
            return;
          }
          if (o.kind === 'context_window' || o.kind === 'content_policy') {
            const next = o.kind === 'context_window' ? route.contextWindowFallbacks : route.contentPolicyFallbacks;
            if (!next?.length) {
              plan.failure = { reason: 'non_retryable', kind: o.kind };
              return;
            }
            queue.length = 0;
            queue.push(...next);
            break;
          }
          if (!RETRYABLE.has(o.kind)) {
            plan.failure = { reason: 'non_retryable', kind: o.kind };
            return;
          }
          if (o.retryAfterMs !== undefined && o.retryAfterMs > router.retry.maxRetryAfterMs) skip.add(id);
          retryAfter = o.retryAfterMs ?? 0;
        }
      }
      plan.failure = sawDeployment || lastKind ? { reason: 'exhausted', ...(lastKind ? { kind: lastKind } : {}) } : { reason: 'no_deployment' };
    });
  }
}
