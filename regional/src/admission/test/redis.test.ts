/**
 * Redis admission against a real Redis: cross-process exactness, budgets under concurrency, lease expiry,
 * and the failure policy while a private redis-server is killed and restarted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { redis, privateRedis } from '../../../../test-support/services.js';
import { BudgetExceeded, RateLimited, ServiceUnavailable } from '../../errors/catalogue.js';
import { admissionConfigFromEnv } from '../config.js';
import type { AdmissionConfig } from '../config.js';
import { RedisAdmission } from '../redis.js';
import type { AdmissionLogger, AdmissionTicket, FailurePolicy, LimitKind } from '../types.js';
import { principal, request } from './fixtures.js';

const silent: AdmissionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function config(url: string, prefix: string, over: Partial<AdmissionConfig> = {}): AdmissionConfig {
  return { ...admissionConfigFromEnv({ REDIS_URL: url }), prefix, ...over };
}

/** Remove this test's keys from the shared Redis. */
async function dropKeys(url: string, prefix: string): Promise<void> {
  const c = new Redis(url, { maxRetriesPerRequest: 0 });
  c.on('error', () => undefined);
  try {
    const keys = await c.keys(`${prefix}*`);
    if (keys.length) await c.del(...keys);
  } finally {
    c.disconnect();
  }
}

function fulfilled(results: PromiseSettledResult<AdmissionTicket>[]): AdmissionTicket[] {
  return results.filter((r): r is PromiseFulfilledResult<AdmissionTicket> => r.status === 'fulfilled').map((r) => r.value);
}

interface WorkerResult {
  admitted: number;
  other: number;
  degraded: boolean;
}

function startWorker(env: Record<string, string>): { ready: Promise<void>; go: () => void; result: Promise<WorkerResult>; kill: () => void } {
  const script = fileURLToPath(new URL('./admit-worker.js', import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let resolveReady!: () => void;
  let resolveResult!: (r: WorkerResult) => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const result = new Promise<WorkerResult>((r, reject) => {
    resolveResult = r;
    child.once('exit', (code) => reject(new Error(`admit-worker exited with ${code} before reporting`)));
  });
  lines.on('line', (l) => (l === 'ready' ? resolveReady() : resolveResult(JSON.parse(l) as WorkerResult)));
  return { ready, go: () => child.stdin!.write('go\n'), result, kill: () => child.kill('SIGKILL') };
}

test('Redis: 300 concurrent admissions from two processes against RPM 100 admit exactly 100', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const keyId = `${r.prefix}k-two-proc`;
  const env = { REDIS_URL: r.url, SKYWAY_REDIS_PREFIX: r.prefix, KEY_ID: keyId, RPM: '100', COUNT: '150' };
  const workers = [startWorker(env), startWorker(env)];
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const results = await Promise.all(workers.map((w) => w.result));
    assert.deepEqual(results.map((x) => x.other), [0, 0], 'only 429s besides admissions');
    assert.ok(results.every((x) => !x.degraded), 'Redis stayed reachable');
    assert.equal(results[0]!.admitted + results[1]!.admitted, 100);
  } finally {
    for (const w of workers) w.kill();
    await dropKeys(r.url, r.prefix);
    await r.close();
  }
});

test('Redis: a budget of N times one request cost admits at most N under 200 concurrent; settlement frees it', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const a = await RedisAdmission.create({ config: config(r.url, r.prefix), logger: silent });
  try {
    const p = principal(`${r.prefix}k-budget`, { keyBudget: { maxUsd: 0.07, period: 'daily' }, team: { id: `${r.prefix}team`, limits: { rpm: 1000 } } });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => a.admit(request(p, { estimatedCostUsd: 0.01 }))));
    const ok = fulfilled(results);
    assert.equal(ok.length, 7);
    const rejected = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    assert.ok(rejected.every((x) => x.reason instanceof BudgetExceeded));
    assert.ok(Number(rejected[0]!.reason.headers['retry-after']) > 0, 'daily budget: retry at the end of the day');
    await Promise.all(ok.map((tk) => tk.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0.01 })));
    await assert.rejects(Promise.resolve().then(() => a.admit(request(p, { estimatedCostUsd: 0.00001 }))), BudgetExceeded);
    assert.equal(ok[0]!.headers['x-ratelimit-limit-requests'], '1000');
  } finally {
    await a.close();
    await dropKeys(r.url, r.prefix);
    await r.close();
  }
});

test('Redis: TPM settles actual tokens; a dead replica\'s in-flight slot expires with its lease', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const a = await RedisAdmission.create({ config: config(r.url, r.prefix, { leaseMs: 300 }), logger: silent });
  try {
    const p = principal(`${r.prefix}k-tpm`, { key: { tpm: 1000, maxParallel: 1 } });
    const t1 = await a.admit(request(p, { estimatedPromptTokens: 400, maxCompletionTokens: 400 }));
    assert.equal(t1.headers['x-ratelimit-remaining-tokens'], '200');
    await assert.rejects(Promise.resolve().then(() => a.admit(request(p))), (e: RateLimited) => e.code === 'concurrency_limit_exceeded');
    await t1.settle({ promptTokens: 400, completionTokens: 100, costUsd: 0 });
    const t2 = await a.admit(request(p, { estimatedPromptTokens: 200, maxCompletionTokens: 200 }));
    assert.equal(t2.headers['x-ratelimit-remaining-tokens'], '100');
    // t2 is never settled (its replica died): the slot frees once the 300 ms lease has passed.
    await assert.rejects(Promise.resolve().then(() => a.admit(request(p, { estimatedPromptTokens: 1, maxCompletionTokens: 1 }))), RateLimited);
    await new Promise((res) => setTimeout(res, 400));
    await a.admit(request(p, { estimatedPromptTokens: 1, maxCompletionTokens: 1 }));
    await assert.rejects(
      Promise.resolve().then(() => a.admit(request(p, { estimatedPromptTokens: 5000, maxCompletionTokens: 0 }))),
      (e: RateLimited) => e.code === 'tokens_exceeded',
    );
  } finally {
    await a.close();
    await dropKeys(r.url, r.prefix);
    await r.close();
  }
});

test('Redis killed mid-test: RPM falls back to local counters / replicas, budgets fail closed, logged and counted, then recovers', { timeout: 60_000 }, async (t) => {
  const r = await privateRedis(t);
  if (!r) return;
  const logs: string[] = [];
  const logger: AdmissionLogger = { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m), error: (_o, m) => logs.push(m) };
  const fallbacks: string[] = [];
  const degraded: boolean[] = [];
  const metrics = { fallback: (k: LimitKind, pol: FailurePolicy) => fallbacks.push(`${k}=${pol}`), degraded: (on: boolean) => degraded.push(on) };
  const a = await RedisAdmission.create({ config: config(r.url, r.prefix, { replicas: 2, commandTimeoutMs: 200 }), logger, metrics });
  const probe = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    const rpmKey = principal(`${r.prefix}k-rpm`, { key: { rpm: 10 } });
    const budgetKey = principal(`${r.prefix}k-budget`, { keyBudget: { maxUsd: 1, period: 'monthly' } });
    assert.equal(fulfilled(await Promise.allSettled(Array.from({ length: 4 }, () => a.admit(request(rpmKey))))).length, 4);
    const inflight = await a.admit(request(budgetKey, { estimatedCostUsd: 0.01 }));

    await r.stop!();
    // RPM 10 over 2 replicas → 5 per replica while Redis is down.
    const down = await Promise.allSettled(Array.from({ length: 12 }, () => a.admit(request(rpmKey))));
    assert.equal(fulfilled(down).length, 5);
    assert.ok(down.filter((x) => x.status === 'rejected').every((x) => (x as PromiseRejectedResult).reason instanceof RateLimited));
    await assert.rejects(Promise.resolve().then(() => a.admit(request(budgetKey))), (e: ServiceUnavailable) => e.status === 503 && e.code === 'limits_unavailable');
    assert.equal(a.degraded, true);
    assert.deepEqual(degraded, [true]);
    assert.ok(fallbacks.includes('requests=local') && fallbacks.includes('budget=closed'));
    assert.ok(logs.some((m) => /Redis unreachable/.test(m)), 'a log line says so');
    await inflight.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0.25 }); // queued until Redis returns

    await r.start!();
    const until = Date.now() + 15_000;
    while (a.degraded && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
    assert.equal(a.degraded, false, 'recovered after Redis came back');
    assert.deepEqual(degraded, [true, false]);
    assert.ok(logs.some((m) => /Redis is back/.test(m)));
    // Back on Redis (a fresh server, so the window starts empty): the full RPM of 10 applies again.
    assert.equal(fulfilled(await Promise.allSettled(Array.from({ length: 12 }, () => a.admit(request(rpmKey))))).length, 10);
    await probe.connect();
    const spentKeys = await probe.keys(`${r.prefix}*k-budget*:bs:m*`);
    assert.equal(spentKeys.length, 1);
    assert.equal(await probe.hget(spentKeys[0]!, 'm'), '250000', 'the settlement queued while Redis was down was replayed');
    await a.admit(request(budgetKey));
  } finally {
    probe.disconnect();
    await a.close();
    await r.close();
  }
});
