import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetExceeded, RateLimited } from '../../errors/catalogue.js';
import { MemoryAdmission } from '../memory.js';
import type { AdmissionTicket } from '../types.js';
import { principal, request } from './fixtures.js';

function settleAll(results: PromiseSettledResult<AdmissionTicket>[]): AdmissionTicket[] {
  return results.filter((r): r is PromiseFulfilledResult<AdmissionTicket> => r.status === 'fulfilled').map((r) => r.value);
}

test('in-process: 300 concurrent admissions against RPM 100 admit exactly 100, with OpenAI headers', async () => {
  const a = new MemoryAdmission();
  const p = principal('k-rpm', { key: { rpm: 100 } });
  const results = await Promise.allSettled(Array.from({ length: 300 }, () => Promise.resolve().then(() => a.admit(request(p)))));
  const ok = settleAll(results);
  assert.equal(ok.length, 100);
  assert.equal(ok[0]!.headers['x-ratelimit-limit-requests'], '100');
  assert.equal(ok[0]!.headers['x-ratelimit-remaining-requests'], '99');
  assert.equal(ok[99]!.headers['x-ratelimit-remaining-requests'], '0');
  const denied = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(denied.reason instanceof RateLimited);
  assert.equal(denied.reason.status, 429);
  assert.ok(Number(denied.reason.headers?.['retry-after']) >= 1);
  assert.equal(denied.reason.headers?.['x-ratelimit-remaining-requests'], '0');
  await a.close();
});

test('in-process: the sliding window admits again once entries are older than a minute', async () => {
  let now = 1_000_000;
  const a = new MemoryAdmission({ now: () => now });
  const p = principal('k-slide', { key: { rpm: 2 } });
  a.admit(request(p));
  now += 30_000;
  a.admit(request(p));
  assert.throws(() => a.admit(request(p)), (e: RateLimited) => e.headers?.['retry-after'] === '30');
  now += 30_000; // the first entry is now exactly 60 s old
  a.admit(request(p));
  assert.throws(() => a.admit(request(p)), RateLimited);
  await a.close();
});

test('in-process: a budget of N times one request cost admits at most N under 200 concurrent, and settles', async () => {
  const a = new MemoryAdmission();
  const p = principal('k-budget', { keyBudget: { maxUsd: 0.05, period: 'monthly' } });
  const results = await Promise.allSettled(Array.from({ length: 200 }, () => Promise.resolve().then(() => a.admit(request(p, { estimatedCostUsd: 0.01 })))));
  const ok = settleAll(results);
  assert.equal(ok.length, 5);
  assert.ok((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason instanceof BudgetExceeded);
  // Actual cost is half the estimate: the freed reservation admits more.
  for (const t of ok) await t.settle({ promptTokens: 5, completionTokens: 5, costUsd: 0.005 });
  const more = settleAll(await Promise.allSettled(Array.from({ length: 10 }, () => Promise.resolve().then(() => a.admit(request(p, { estimatedCostUsd: 0.005 }))))));
  assert.equal(more.length, 5);
  await a.close();
});

test('in-process: TPM counts estimates, settle corrects them; a request larger than the limit is told so', async () => {
  const a = new MemoryAdmission();
  const p = principal('k-tpm', { key: { tpm: 1000 } });
  const t1 = a.admit(request(p, { estimatedPromptTokens: 400, maxCompletionTokens: 400 }));
  assert.equal(t1.headers['x-ratelimit-remaining-tokens'], '200');
  assert.throws(() => a.admit(request(p, { estimatedPromptTokens: 100, maxCompletionTokens: 200 })), RateLimited);
  await t1.settle({ promptTokens: 400, completionTokens: 50, costUsd: 0 });
  a.admit(request(p, { estimatedPromptTokens: 100, maxCompletionTokens: 200 }));
  assert.throws(() => a.admit(request(p, { estimatedPromptTokens: 2000, maxCompletionTokens: 0 })), (e: RateLimited) => e.code === 'tokens_exceeded' && e.headers?.['retry-after'] === undefined);
  await a.close();
});

test('in-process: max parallel, per key+model, team and user scopes; unsettled slots expire with the lease', async () => {
  let now = 5_000_000;
  const a = new MemoryAdmission({ now: () => now, leaseMs: 1000 });
  const p = principal('k-par', { key: { maxParallel: 5 }, model: { 'gpt-4o': { maxParallel: 1 } }, team: { id: 'team-1', limits: { rpm: 3 } }, user: { id: 'u-1', limits: { maxParallel: 2 } } });
  const t = a.admit(request(p));
  assert.throws(() => a.admit(request(p)), (e: RateLimited) => e.code === 'concurrency_limit_exceeded' && /for this model/.test(e.message));
  const other = a.admit(request(p, { model: 'gpt-4.1' }));
  assert.throws(() => a.admit(request(p, { model: 'o3' })), (e: RateLimited) => /user 'u-1'/.test(e.message));
  await t.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 });
  await t.settle({ promptTokens: 1, completionTokens: 1, costUsd: 0 }); // idempotent
  a.admit(request(p)); // slot of 'other' is never settled (a crashed stream)
  assert.throws(() => a.admit(request(p, { model: 'o3' })), (e: RateLimited) => /team 'team-1'/.test(e.message));
  now += 1001;
  void other;
  const p2 = principal('k-par', { key: { maxParallel: 5 }, model: { 'gpt-4o': { maxParallel: 1 } }, user: { id: 'u-1', limits: { maxParallel: 2 } } });
  a.admit(request(p2, { model: 'o3' })); // both leases expired
  await a.close();
});

test('master principal: no limits, no headers', () => {
  const a = new MemoryAdmission();
  const t = a.admit(request({ kind: 'master', keyId: null }));
  assert.deepEqual(t.headers, {});
  void a.close();
});
