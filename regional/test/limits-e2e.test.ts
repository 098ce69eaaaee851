/**
 * Issue 4, "Done when": admission across replicas, end to end. Two real gateway processes (A: api + admin,
 * B: api) share Postgres and a private Redis; keys with limits are made through A's admin API and bursts of
 * concurrent chat requests are spread over both processes.
 *  1. RPM 100 under 300 concurrent requests admits exactly 100, with OpenAI-style headers on every answer.
 *  2. A budget of N × one request's cost admits at most N, under waves of 200 concurrent requests.
 *  3. Redis killed: RPM falls back to local counters (limit / SKYWAY_REPLICAS per process), budgets fail
 *     closed (503 limits_unavailable), both logged; Redis back: shared enforcement resumes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, chat, startLimitsCluster, tally, waitUntil, type LimitsCluster, type Outcome } from '../../test-support/limits-cluster.js';

/** $1 per token (prices are USD per 1M tokens), so a request's cost in USD is its token count. */
function config(mockUrl: string): string {
  const deployment = `      - provider: openai\n        model: mock-1\n        api_base: ${mockUrl}/v1\n`;
  return (
    'models:\n' +
    `  - name: mock-1\n    deployments:\n${deployment}` +
    `  - name: mock-priced\n    deployments:\n${deployment}        options:\n          pricing: { input: 1000000, output: 1000000 }\n`
  );
}

const REPLICAS = 2;
const RATE_LIMITED = '429 rate_limit_error rate_limit_exceeded';
const BUDGET_EXCEEDED = '429 budget_exceeded budget_exceeded';

/** The mock answers with exactly max_tokens words when max_tokens ≤ 8; the prompt is 2 words ("user:hello there"). */
function chatBody(model: string): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4 };
}

function chatCount(c: LimitsCluster): number {
  return c.mock.stats().requests['/v1/chat/completions'] ?? 0;
}

function only(outcomes: Outcome[], via: 'a' | 'b'): Outcome[] {
  return outcomes.filter((o) => o.via === via);
}

test('limits across two gateway processes sharing Redis', { timeout: 90_000 }, async (t) => {
  const c = await startLimitsCluster(t, { config, env: { SKYWAY_REPLICAS: String(REPLICAS) } });
  if (!c) return;
  try {
    await t.test('RPM 100: 300 concurrent requests over both processes admit exactly 100', async () => {
      const key = await c.createKey({ alias: 'rpm-100', limits: { rpm: 100 } });
      const before = chatCount(c);
      const out = await burst(c, key, chatBody('mock-1'), { a: 150, b: 150 });
      assert.deepEqual(tally(out), { '200': 100, [RATE_LIMITED]: 200 });
      assert.equal(chatCount(c) - before, 100, 'only admitted requests reach the upstream');
      // Each process got 150 requests: a per-process counter would have let 200 through.
      for (const via of ['a', 'b'] as const) assert.ok(only(out, via).some((o) => o.status === 429), `process ${via} rejected some`);

      const ok = out.filter((o) => o.status === 200);
      for (const o of ok) assert.equal(o.headers.get('x-ratelimit-limit-requests'), '100');
      // One atomic check per admission: every admitted request saw a different remaining count.
      const remaining = ok.map((o) => Number(o.headers.get('x-ratelimit-remaining-requests'))).sort((x, y) => x - y);
      assert.deepEqual(remaining, Array.from({ length: 100 }, (_, i) => i));
      for (const o of out.filter((x) => x.status === 429)) {
        assert.match(o.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
        assert.ok(Number(o.headers.get('retry-after')) <= 60, 'a 60 s window frees a slot within 60 s');
        assert.match(o.headers.get('retry-after-ms') ?? '', /^[0-9]+$/);
        assert.equal(o.headers.get('x-ratelimit-limit-requests'), '100');
        assert.equal(o.headers.get('x-ratelimit-remaining-requests'), '0');
        assert.match(o.headers.get('x-ratelimit-reset-requests') ?? '', /^([0-9]+m)?[0-9]+(\.[0-9]+)?(ms|s)$/);
      }
    });

    await t.test('budget of N × one request: at most N admitted under 200 concurrent requests', async (st) => {
      // One request's cost from the mock's deterministic usage, at $1 per token.
      const probe = await chat(c.a, 'a', c.a.masterKey, chatBody('mock-priced'));
      assert.equal(probe.status, 200, JSON.stringify(probe.error));
      const cost = probe.usage!.prompt_tokens + probe.usage!.completion_tokens;
      assert.equal(probe.usage!.completion_tokens, 4);
      const N = 10;
      const key = await c.createKey({ alias: 'budget', budget: { max_usd: N * cost, period: 'none' } });

      let admitted = 0;
      let spent = 0;
      const waves: number[] = [];
      for (let wave = 0; wave < 6; wave++) {
        const out = await burst(c, key, chatBody('mock-priced'), { a: 100, b: 100 });
        const counts = tally(out);
        const ok = counts['200'] ?? 0;
        assert.deepEqual(Object.keys(counts).filter((k) => k !== '200' && k !== BUDGET_EXCEEDED), [], `wave ${wave}: ${JSON.stringify(counts)}`);
        assert.ok(
          admitted + ok <= N,
          `wave ${wave}: ${admitted + ok} admitted in total, more than ${N} (budget $${N * cost}, $${cost} per request): ` +
            'is the price (deployment options.pricing) passed to the admission estimate and the settlement?',
        );
        if (wave === 0) assert.ok(ok >= 1, 'the first wave admits at least one request');
        for (const o of out) if (o.status === 200) spent += o.usage!.prompt_tokens + o.usage!.completion_tokens;
        admitted += ok;
        waves.push(ok);
        if (ok === 0) break;
        // Let the settlements of this wave land before the next one.
        await new Promise((r) => setTimeout(r, 200));
      }
      st.diagnostic(`$${cost} per request, budget $${N * cost}: admitted per wave ${waves.join(', ')}; spent $${spent}`);
      assert.ok(spent <= N * cost, `spent $${spent} of a $${N * cost} budget`);
      // Spent out (or the rest of the budget is smaller than one request's worst case): refused on both.
      for (const gw of [c.a, c.b]) {
        const o = await chat(gw, 'a', key, chatBody('mock-priced'));
        assert.equal(o.status, 429);
        assert.equal(o.error?.type, 'budget_exceeded');
      }
    });

    await t.test('Redis killed: local RPM per replica, budgets closed, logged; enforcement in Redis resumes', async (st) => {
      const rpmKey = await c.createKey({ alias: 'rpm-degraded', limits: { rpm: 100 } });
      // A priced model: a budget-limited key cannot use a model without a price (model_price_unknown).
      const budgetKey = await c.createKey({ alias: 'budget-degraded', budget: { max_usd: 1000, period: 'none' } });
      const rpmAfter = await c.createKey({ alias: 'rpm-after', limits: { rpm: 100 } });
      for (const gw of [c.a, c.b]) assert.equal((await chat(gw, 'a', budgetKey, chatBody('mock-priced'))).status, 200, 'budget key works while Redis is up');

      // Killed while a burst is in flight: every request is answered 200 or 429 (admissions whose Redis call
      // failed fall back to the local counters), none fails or hangs.
      const midKey = await c.createKey({ alias: 'rpm-mid', limits: { rpm: 100 } });
      const inFlight = burst(c, midKey, chatBody('mock-1'), { a: 100, b: 100 });
      await new Promise((r) => setTimeout(r, 5));
      await c.stopRedis();
      const mid = tally(await inFlight);
      st.diagnostic(`burst with Redis killed in flight: ${JSON.stringify(mid)}`);
      assert.deepEqual(Object.keys(mid).filter((k) => k !== '200' && k !== RATE_LIMITED), [], JSON.stringify(mid));
      // At most the shared limit through Redis plus each replica's local share.
      assert.ok((mid['200'] ?? 0) <= 100 + REPLICAS * Math.ceil(100 / REPLICAS), JSON.stringify(mid));

      const out = await burst(c, rpmKey, chatBody('mock-1'), { a: 100, b: 100 });
      const perReplica = Math.ceil(100 / REPLICAS);
      for (const via of ['a', 'b'] as const) {
        assert.deepEqual(tally(only(out, via)), { '200': perReplica, [RATE_LIMITED]: 100 - perReplica }, `process ${via} while Redis is down`);
      }
      for (const gw of [c.a, c.b]) {
        const o = await chat(gw, 'a', budgetKey, chatBody('mock-priced'));
        assert.equal(o.status, 503, JSON.stringify(o.error));
        assert.equal(o.error?.type, 'service_unavailable');
        assert.equal(o.error?.code, 'limits_unavailable');
      }
      // The log is buffered (flushed at least every second).
      await waitUntil(() => /Redis unreachable/.test(c.a.output()) && /Redis unreachable/.test(c.b.output()), 5000, 'both processes to log degraded mode');

      await c.startRedis();
      await waitUntil(() => /Redis is back/.test(c.a.output()) && /Redis is back/.test(c.b.output()), 20_000, 'both processes to log that Redis is back').catch((err: Error) => {
        throw new Error(`${err.message}\n--- A:\n${c.a.output().slice(-3000)}\n--- B:\n${c.b.output().slice(-3000)}`);
      });
      for (const gw of [c.a, c.b]) assert.equal((await chat(gw, 'a', budgetKey, chatBody('mock-priced'))).status, 200, 'budgets are enforced (not refused) again');
      // Shared counting again: 60 through A, then 60 through B → 100 in all. Local counters would admit 50 on A.
      const first = await burst(c, rpmAfter, chatBody('mock-1'), { a: 60, b: 0 });
      assert.deepEqual(tally(first), { '200': 60 });
      const second = await burst(c, rpmAfter, chatBody('mock-1'), { a: 0, b: 60 });
      assert.deepEqual(tally(second), { '200': 40, [RATE_LIMITED]: 20 });
    });
  } finally {
    await c.close();
  }
});
