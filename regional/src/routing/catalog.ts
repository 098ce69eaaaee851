/**
 * Public model names, their deployments and the router that chooses among them. The table can be replaced at
 * run time (deployments managed through the admin API) without touching requests in flight; cooldown state
 * lives in the health store, which survives a replacement.
 */
import type { ModelEntry, ModelTable } from '../config/load.js';
import { DEFAULT_COOLDOWN, LocalHealthStore, Router, type CooldownPolicy, type HealthStore, type ModelRoute, type RetryPolicy } from './index.js';

export function cooldownPolicy(table: ModelTable): CooldownPolicy {
  const c = table.router.cooldown;
  return {
    failureThreshold: c.failure_threshold ?? DEFAULT_COOLDOWN.failureThreshold,
    windowMs: c.window_ms ?? DEFAULT_COOLDOWN.windowMs,
    cooldownMs: c.cooldown_ms ?? DEFAULT_COOLDOWN.cooldownMs,
    probeTimeoutMs: c.probe_timeout_ms ?? DEFAULT_COOLDOWN.probeTimeoutMs,
  };
}

function retryPolicy(table: ModelTable): Partial<RetryPolicy> {
  const r = table.router.retry;
  const out: Partial<RetryPolicy> = {};
  if (r.max_attempts !== undefined) out.maxAttempts = r.max_attempts;
  if (r.same_deployment_retries !== undefined) out.sameDeploymentRetries = r.same_deployment_retries;
  if (r.base_delay_ms !== undefined) out.baseDelayMs = r.base_delay_ms;
  if (r.max_delay_ms !== undefined) out.maxDelayMs = r.max_delay_ms;
  if (r.max_retry_after_ms !== undefined) out.maxRetryAfterMs = r.max_retry_after_ms;
  return out;
}

function routeOf(e: ModelEntry): ModelRoute {
  return {
    strategy: e.strategy,
    cooldown: e.deployments.length > 1 || !!e.fallbacks?.length,
    targets: e.deployments.map((deployment, i) => ({ deployment, ...e.quotas[i] })),
    ...(e.fallbacks ? { fallbacks: e.fallbacks } : {}),
    ...(e.contextWindow ? { contextWindow: e.contextWindow } : {}),
    ...(e.contextWindowFallbacks ? { contextWindowFallbacks: e.contextWindowFallbacks } : {}),
    ...(e.contentPolicyFallbacks ? { contentPolicyFallbacks: e.contentPolicyFallbacks } : {}),
  };
}

export class ModelCatalog {
  private table!: ModelTable;
  router!: Router;
  /** Overall time allowed per request, retries included (undefined = each attempt's own timeout only). */
  deadlineMs: number | undefined;
  private listBody: string | undefined;
  private reachableCache = new Map<string, readonly string[]>();
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(
    table: ModelTable,
    private readonly health: HealthStore = new LocalHealthStore(cooldownPolicy(table)),
  ) {
    this.replace(table);
  }

  replace(table: ModelTable): void {
    const models: Record<string, ModelRoute> = {};
    for (const [name, entry] of table.models) models[name] = routeOf(entry);
    this.router = new Router({ models, retry: retryPolicy(table), health: this.health });
    this.deadlineMs = table.router.retry.deadline_ms;
    this.table = table;
    this.listBody = undefined;
    this.reachableCache = new Map();
  }

  /**
   * Every model a request for `name` may end up served by: itself first, then its fallbacks, context-window
   * and content-policy fallbacks, transitively (what the router may attempt).
   */
  reachable(name: string): readonly string[] {
    let out = this.reachableCache.get(name);
    if (out) return out;
    const seen = new Set<string>();
    const queue = [name];
    while (queue.length) {
      const m = queue.shift()!;
      if (seen.has(m)) continue;
      const e = this.table.models.get(m);
      if (!e) continue;
      seen.add(m);
      queue.push(...(e.fallbacks ?? []), ...(e.contextWindowFallbacks ?? []), ...(e.contentPolicyFallbacks ?? []));
    }
    out = [...seen];
    this.reachableCache.set(name, out);
    return out;
  }

  get(name: string): ModelEntry | undefined {
    return this.table.models.get(name);
  }

  names(): string[] {
    return [...this.table.models.keys()];
  }

  /** The OpenAI `GET /v1/models` body, limited to `allowed` when given. */
  listJson(allowed?: ReadonlySet<string>): string {
    if (!allowed && this.listBody) return this.listBody;
    const data = this.names()
      .filter((n) => !allowed || allowed.has(n))
      .map((id) => this.modelObject(id));
    const body = JSON.stringify({ object: 'list', data });
    if (!allowed) this.listBody = body;
    return body;
  }

  modelObject(id: string): { id: string; object: 'model'; created: number; owned_by: string } {
    return { id, object: 'model', created: this.createdAt, owned_by: 'skyway' };
  }
}
