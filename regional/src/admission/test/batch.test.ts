/**
 * Batched admission against a real Redis: the admissions (and settlements) issued in one event-loop turn go in
 * one script call per hash tag, applied in order, and decide exactly as the same requests one at a time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { redis } from '../../../../test-support/services.js';
import { RateLimited } from '../../errors/catalogue.js';
import { admissionConfigFromEnv } from '../config.js';
import type { AdmissionConfig } from '../config.js';
import { RedisAdmission } from '../redis.js';
import { connectRedis } from '../redis-client.js';
import type { AdmissionLogger, AdmissionRequest, AdmissionTicket } from '../types.js';
import { principal, request } from './fixtures.js';

const silent: AdmissionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Counted {
  admission: RedisAdmission;
  client: Redis;
  /** Script calls made so far: admissions, settlements. */
  calls: { admit: number; settle: number };
}

/**
 * A RedisAdmission on a real client made as in production (connectRedis), counting the script calls it makes
 * (each still runs in Redis).
 */
async function counted(url: string, prefix: string, over: Partial<AdmissionConfig> = {}): Promise<Counted> {
  const client = (await connectRedis({ url })) as Redis;
  const admission = await RedisAdmission.create({ config: { ...admissionConfigFromEnv({ REDIS_URL: url }), prefix, ...over }, logger: silent, client });
  assert.equal(admission.degraded, false);
  const calls = { admit: 0, settle: 0 };
  const c = client as unknown as Record<string, (this: unknown, ...args: unknown[]) => Promise<unknown>>;
  for (const [name, field] of [['skywayAdmitMany', 'admit'], ['skywaySettleMany', 'settle']] as const) {
    const real = c[name]!;
    // Auto-pipelining copies the command onto its pipeline and calls it there: count the client's calls only.
    c[name] = function (this: unknown, ...args: unknown[]) {
      if (this === client) calls[field]++;
      return real.apply(this, args);
    };
  }
  return { admission, client, calls };
}

async function dropKeys(client: Redis, prefix: string): Promise<void> {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length) await client.del(...keys);
}

/** What an admission decided: 'ok' or the error's code. */
async function outcome(p: AdmissionTicket | Promise<AdmissionTicket>): Promise<{ label: string; ticket?: AdmissionTicket }> {
  try {
    const ticket = await p;
    return { label: 'ok', ticket };
  } catch (err) {
    return { label: (err as { code?: string }).code ?? String(err) };
  }
}

test('batched admission: 25 requests in one turn against RPM 10 admit exactly the first 10, in one script call', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const a = await counted(r.url, r.prefix);
  try {
    const p = principal(`${r.prefix}k-rpm`, { key: { rpm: 10 } });
    const pending = Array.from({ length: 25 }, () => outcome(a.admission.admit(request(p))));
    const labels = (await Promise.all(pending)).map((o) => o.label);
    assert.deepEqual(labels, [...Array(10).fill('ok'), ...Array(15).fill('rate_limit_exceeded')]);
    assert.equal(a.calls.admit, 1, 'one script call for the turn');
    // The window holds exactly the 10 admitted.
    assert.equal(await a.client.zcard(`${r.prefix}{lim}:k:${r.prefix}k-rpm:w`), 10);
    await assert.rejects(Promise.resolve().then(() => a.admission.admit(request(p))), RateLimited);
  } finally {
    await dropKeys(a.client, r.prefix);
    await a.admission.close();
  }
});

test('batched admission: 300 requests in one turn go in two calls (256 at most per call), still exact', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const a = await counted(r.url, r.prefix);
  try {
    const p = principal(`${r.prefix}k-big`, { key: { rpm: 270 } });
    const labels = (await Promise.all(Array.from({ length: 300 }, () => outcome(a.admission.admit(request(p)))))).map((o) => o.label);
    assert.deepEqual(labels, [...Array(270).fill('ok'), ...Array(30).fill('rate_limit_exceeded')]);
    assert.equal(a.calls.admit, 2);
  } finally {
    await dropKeys(a.client, r.prefix);
    await a.admission.close();
  }
});

test('batched admission decides as sequential admissions: mixed scopes, limits and sizes, two keys of one team', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const batched = await counted(r.url, `${r.prefix}b:`);
  const sequential = await counted(r.url, `${r.prefix}s:`);
  try {
    const team = { id: 'team-1', limits: { tpm: 900 }, budget: { maxUsd: 0.05, period: 'monthly' as const } };
    const k1 = principal('k1', { key: { rpm: 7, maxParallel: 12 }, team, model: { 'gpt-4o': { rpm: 4 } } });
    const k2 = principal('k2', { key: { rpm: 9 }, keyBudget: { maxUsd: 0.02, period: 'daily' }, team });
    const reqs: Array<Omit<AdmissionRequest, 'requestId'>> = [];
    for (let i = 0; i < 40; i++) {
      const base = request(i % 3 === 0 ? k2 : k1, {
        model: i % 4 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
        estimatedPromptTokens: 10 + ((i * 37) % 60),
        maxCompletionTokens: (i * 11) % 50,
        estimatedCostUsd: 0.001 + ((i * 7) % 5) * 0.001,
      });
      const { requestId: _, ...rest } = base;
      reqs.push(rest);
    }
    const ids = reqs.map((_, i) => `req-${i}`);
    // Budgets are seeded on their first admission (a call of its own): seed them in both before comparing.
    for (const x of [batched, sequential]) {
      for (const p of [k1, k2]) await (await x.admission.admit(request(p, { model: 'warm-up', estimatedCostUsd: 0 }))).settle({ promptTokens: 0, completionTokens: 0, costUsd: 0 });
      x.calls.admit = 0;
      x.calls.settle = 0;
    }
    // All in one turn through the batch.
    const one = await Promise.all(reqs.map((q, i) => outcome(batched.admission.admit({ ...q, requestId: ids[i]! }))));
    assert.equal(batched.calls.admit, 1, 'one script call');
    // One at a time.
    const seq: Array<{ label: string; ticket?: AdmissionTicket }> = [];
    for (let i = 0; i < reqs.length; i++) seq.push(await outcome(sequential.admission.admit({ ...reqs[i]!, requestId: ids[i]! })));
    assert.equal(sequential.calls.admit, reqs.length);
    assert.deepEqual(one.map((o) => o.label), seq.map((o) => o.label));
    const labels = new Set(one.map((o) => o.label));
    // The sequence reaches several limits, or it would not show much.
    assert.ok(labels.has('ok') && labels.size >= 3, `outcomes: ${[...labels].join(', ')}`);
    if (process.env.SKYWAY_TEST_DEBUG) console.log(one.map((o) => o.label).join(' '));

    // Settling the admitted ones in one turn: one call, and every scope's counters match settlements one at a time.
    const usage = (i: number) => ({ promptTokens: 5 + i, completionTokens: i % 3, costUsd: 0.0005 * (1 + (i % 2)) });
    const admitted = (o: Array<{ ticket?: AdmissionTicket }>) => o.flatMap((x) => (x.ticket ? [x.ticket] : []));
    await Promise.all(admitted(one).map((tk, i) => tk.settle(usage(i))));
    assert.equal(batched.calls.settle, 1, 'one settlement call');
    const seqTickets = admitted(seq);
    for (let i = 0; i < seqTickets.length; i++) await seqTickets[i]!.settle(usage(i));
    assert.equal(sequential.calls.settle, seqTickets.length);
    const counters = async (prefix: string) => {
      const out: Record<string, unknown> = {};
      for (const key of (await batched.client.keys(`${prefix}*`)).sort()) {
        const name = key.slice(prefix.length);
        const type = await batched.client.type(key);
        if (type === 'string') out[name] = await batched.client.get(key);
        else if (type === 'zset') out[name] = await batched.client.zcard(key);
        else if (type === 'hash') {
          const h = await batched.client.hgetall(key);
          out[name] = Object.fromEntries(Object.entries(h).filter(([f]) => !f.startsWith('req-')).sort());
        }
      }
      return out;
    };
    const b = await counters(`${r.prefix}b:`);
    assert.deepEqual(b, await counters(`${r.prefix}s:`));
    // The team's token window holds the actual tokens of the admitted requests, no reservation left.
    assert.ok(Object.keys(b).some((k) => k.endsWith(':t:team-1:wt')));
    assert.equal(b['{lim}:k:k1:bres'] ?? '0', '0');
  } finally {
    await dropKeys(batched.client, r.prefix);
    await batched.admission.close();
    await sequential.admission.close();
  }
});

test('batched admission: one call per hash tag in a turn (SKYWAY_LIMITS_HASH_TAG=team), each exact', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const a = await counted(r.url, r.prefix, { hashTag: 'team' });
  try {
    const pa = principal('ka', { key: { rpm: 3 }, team: { id: 'ta' } });
    const pb = principal('kb', { key: { rpm: 2 }, team: { id: 'tb' } });
    const pending = Array.from({ length: 12 }, (_, i) => outcome(a.admission.admit(request(i % 2 ? pb : pa))));
    const labels = (await Promise.all(pending)).map((o) => o.label);
    assert.equal(labels.filter((l, i) => l === 'ok' && i % 2 === 0).length, 3);
    assert.equal(labels.filter((l, i) => l === 'ok' && i % 2 === 1).length, 2);
    assert.equal(a.calls.admit, 2, 'one call per tag');
  } finally {
    await dropKeys(a.client, r.prefix);
    await a.admission.close();
  }
});

test('a settlement and an admission of one turn: the settlement goes first, in the same flush, and frees the slot', { timeout: 30_000 }, async (t) => {
  const r = await redis(t);
  if (!r) return;
  const a = await counted(r.url, r.prefix);
  try {
    const p = principal(`${r.prefix}k-par`, { key: { maxParallel: 1 } });
    const first = await a.admission.admit(request(p));
    await assert.rejects(Promise.resolve().then(() => a.admission.admit(request(p))), (e: RateLimited) => e.code === 'concurrency_limit_exceeded');
    const settled = first.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 });
    const second = a.admission.admit(request(p));
    assert.equal(a.calls.settle, 0, 'the settlement waits for the end of the turn');
    await second;
    assert.equal(a.calls.settle, 1, 'sent with the admission, before it');
    await settled;
  } finally {
    await dropKeys(a.client, r.prefix);
    await a.admission.close();
  }
});
