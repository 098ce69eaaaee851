import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamClientError, UpstreamRateLimited, UpstreamServerError, UpstreamTimeout } from '../errors/catalogue.js';
import type { Deployment } from '../providers/adapter.js';
import { outcomeFromError, parseRetryAfter, backoffMs, DEFAULT_RETRY } from './retry.js';
import { Router, type RouterOptions } from './router.js';
import type { ModelRoute, Outcome, RouteTarget } from './types.js';

function dep(id: string, weight = 1): Deployment {
  return { id, provider: 'openai', upstreamModel: id, apiBase: 'http://x', apiKey: undefined, weight, timeoutMs: 1000, headers: {}, options: {} };
}
const target = (id: string, extra: Partial<RouteTarget> = {}): RouteTarget => ({ deployment: dep(id, 1), ...extra });

/** A router on a fake clock; sleeping advances the clock and is recorded. */
function makeRouter(models: Record<string, ModelRoute>, extra: Partial<RouterOptions> = {}) {
  const clock = { t: 1_000_000 };
  const sleeps: number[] = [];
  let seed = 1;
  const router = new Router({
    models,
    now: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647),
    ...extra,
  });
  return { router, clock, sleeps };
}

/** Run one request: `behave` decides each deployment's outcome. Returns the deployments tried. */
async function run(router: Router, model: string, behave: (id: string) => Outcome, ctx = {}) {
  const plan = router.plan(model, ctx);
  const tried: string[] = [];
  for await (const a of plan) {
    tried.push(a.deployment.id);
    const o = behave(a.deployment.id);
    if (o.ok) a.succeed(o);
    else a.fail(o);
  }
  await new Promise((r) => setImmediate(r)); // let health updates land
  return { plan, tried };
}

const ok: Outcome = { ok: true, ttfbMs: 50 };
const e500: Outcome = { ok: false, kind: 'server' };

describe('router strategies', () => {
  test('weighted random follows the weights', async () => {
    const { router } = makeRouter({ m: { strategy: 'weighted', targets: [{ deployment: dep('a', 3) }, { deployment: dep('b', 1) }] } });
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) counts[(await run(router, 'm', () => ok)).tried[0]!]!++;
    assert.ok(counts.a! > 250 && counts.a! < 350, JSON.stringify(counts));
  });

  test('least-busy picks the deployment with fewest requests in flight', async () => {
    const { router } = makeRouter({ m: { strategy: 'least-busy', targets: [target('a'), target('b')] } });
    const held = [];
    for (let i = 0; i < 3; i++) {
      const it = router.plan('m')[Symbol.asyncIterator]();
      held.push((await it.next()).value!);
    }
    // three concurrent requests: 2 on one deployment, 1 on the other; the next goes to the less busy one
    const busy = held.filter((a) => a.deployment.id === 'a').length;
    const it = router.plan('m')[Symbol.asyncIterator]();
    const next = (await it.next()).value!;
    assert.equal(next.deployment.id, busy >= 2 ? 'b' : 'a');
    for (const a of [...held, next]) a.succeed(ok as Extract<Outcome, { ok: true }>);
  });

  test('lowest-latency prefers the faster deployment once measured', async () => {
    const { router } = makeRouter({ m: { strategy: 'lowest-latency', targets: [target('fast'), target('slow')] } });
    await router.report('fast', { ok: true, ttfbMs: 80 });
    await router.report('slow', { ok: true, ttfbMs: 900 });
    for (let i = 0; i < 20; i++) {
      const { tried } = await run(router, 'm', (id) => ({ ok: true, ttfbMs: id === 'fast' ? 90 : 900 }));
      assert.deepEqual(tried, ['fast']);
    }
  });
});

describe('ceilings, retries and fallbacks', () => {
  test('RPM and TPM ceilings move traffic to another deployment, then to fallbacks', async () => {
    const { router, clock } = makeRouter({
      m: { strategy: 'weighted', targets: [target('a', { rpm: 2 }), target('b', { tpm: 1000 })], fallbacks: ['f'] },
      f: { strategy: 'weighted', targets: [target('fb')] },
    });
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(...(await run(router, 'm', () => ok, { estimatedTokens: 400 })).tried);
    assert.equal(seen.filter((x) => x === 'a').length, 2);
    assert.equal(seen.filter((x) => x === 'b').length, 2);
    assert.equal(seen.filter((x) => x === 'fb').length, 1);
    clock.t += 61_000; // a new minute
    const { tried } = await run(router, 'm', () => ok, { estimatedTokens: 400 });
    assert.notEqual(tried[0], 'fb');
  });

  test('retries a 500 on the other deployment without waiting, then the same one with jittered backoff', async () => {
    const { router, sleeps } = makeRouter({ m: { strategy: 'weighted', targets: [target('a'), target('b')] } });
    let n = 0;
    const { plan, tried } = await run(router, 'm', () => (++n < 3 ? e500 : ok));
    assert.equal(tried.length, 3);
    assert.notEqual(tried[0], tried[1]);
    assert.equal(sleeps.length, 1);
    assert.ok(sleeps[0]! >= 100 && sleeps[0]! <= 200, `backoff ${sleeps[0]}`);
    assert.equal(plan.attempts, 3);
    assert.equal(plan.served?.deployment.id, tried[2]);
  });

  test('honours retry-after, and skips a deployment whose retry-after is too long', async () => {
    const { router, sleeps } = makeRouter({ m: { strategy: 'weighted', targets: [target('a')] } });
    let n = 0;
    await run(router, 'm', () => (++n === 1 ? outcomeFromError(new UpstreamRateLimited('slow down', { 'retry-after': '3' })) : ok));
    assert.deepEqual(sleeps, [3000]);
    const r2 = await run(router, 'm', () => outcomeFromError(new UpstreamRateLimited('slow down', { 'retry-after': '3600' })));
    assert.deepEqual(r2.tried, ['a']);
    assert.equal(r2.plan.failure?.reason, 'exhausted');
  });

  test('retry budget and deadline bound the attempts', async () => {
    const { router } = makeRouter({ m: { strategy: 'weighted', targets: [target('a'), target('b'), target('c')] } }, { retry: { maxAttempts: 2 }, cooldown: { failureThreshold: 100 } });
    const r = await run(router, 'm', () => e500);
    assert.equal(r.tried.length, 2);
    assert.deepEqual(r.plan.failure, { reason: 'budget', kind: 'server' });
    const { router: r2, clock } = makeRouter({ m: { strategy: 'weighted', targets: [target('a')] } }, { cooldown: { failureThreshold: 100 } });
    const d = await run(r2, 'm', () => e500, { deadline: clock.t + 90 });
    assert.equal(d.plan.failure?.reason, 'deadline');
    assert.equal(d.tried.length, 1, 'no backoff that would end past the deadline');
  });

  test('client errors are not retried; a stream that already sent bytes is not retried', async () => {
    const { router } = makeRouter({ m: { strategy: 'weighted', targets: [target('a'), target('b')] } });
    const r = await run(router, 'm', () => outcomeFromError(new UpstreamClientError(400, 'bad')));
    assert.equal(r.tried.length, 1);
    assert.deepEqual(r.plan.failure, { reason: 'non_retryable', kind: 'client' });
    const s = await run(router, 'm', () => outcomeFromError(new UpstreamTimeout('a', 10), true));
    assert.equal(s.tried.length, 1);
    assert.deepEqual(s.plan.failure, { reason: 'committed', kind: 'timeout' });
  });

  test('ordered fallbacks, context-window fallbacks (before and after a try) and content-policy fallbacks', async () => {
    const models: Record<string, ModelRoute> = {
      small: { strategy: 'weighted', targets: [target('s1')], fallbacks: ['other'], contextWindow: 8000, contextWindowFallbacks: ['big'], contentPolicyFallbacks: ['lenient'] },
      other: { strategy: 'weighted', targets: [target('o1')] },
      big: { strategy: 'weighted', targets: [target('b1')] },
      lenient: { strategy: 'weighted', targets: [target('l1')] },
    };
    const { router } = makeRouter(models, { retry: { sameDeploymentRetries: 0 } });
    assert.deepEqual((await run(router, 'small', (id) => (id === 's1' ? e500 : ok))).tried, ['s1', 'o1']);
    assert.deepEqual((await run(router, 'small', () => ok, { estimatedTokens: 20000 })).tried, ['b1']);
    const ctxErr = outcomeFromError(new UpstreamClientError(400, 'too long', 'invalid_request_error', 'context_length_exceeded'));
    assert.deepEqual((await run(router, 'small', (id) => (id === 's1' ? ctxErr : ok))).tried, ['s1', 'b1']);
    const policy = outcomeFromError(new UpstreamClientError(400, 'filtered', 'invalid_request_error', 'content_filter'));
    assert.deepEqual((await run(router, 'small', (id) => (id === 's1' ? policy : ok))).tried, ['s1', 'l1']);
    const unknown = await run(router, 'nope', () => ok);
    assert.deepEqual(unknown.plan.failure, { reason: 'unknown_model' });
  });
});

describe('cooldowns', () => {
  test('fault: one of two deployments fails; requests still succeed, it is cooled down, then probed back in', async () => {
    const { router, clock } = makeRouter(
      { m: { strategy: 'weighted', targets: [target('bad'), target('good')] } },
      { cooldown: { failureThreshold: 3, windowMs: 60_000, cooldownMs: 30_000, probeTimeoutMs: 10_000 } },
    );
    let badHealthy = false;
    const behave = (id: string): Outcome => (id === 'bad' && !badHealthy ? e500 : ok);
    const servedBy: string[] = [];
    let badTries = 0;
    for (let i = 0; i < 30; i++) {
      const { plan, tried } = await run(router, 'm', behave);
      assert.equal(plan.served?.deployment.id, 'good', 'every request succeeds');
      badTries += tried.filter((x) => x === 'bad').length;
      servedBy.push(plan.served!.deployment.id);
      clock.t += 100;
    }
    assert.equal(badTries, 3, 'the failing deployment is taken out after 3 failures');
    assert.deepEqual(await router.health.states(['bad', 'good'], clock.t), ['open', 'closed']);

    clock.t += 30_000; // cooldown over: half-open
    assert.deepEqual(await router.health.states(['bad'], clock.t), ['half-open']);
    // A half-open probe that fails opens the circuit again.
    let r = await run(router, 'm', behave);
    assert.deepEqual(r.tried.slice(0, 1), ['bad']);
    assert.ok(r.plan.attempts === 2 && r.plan.served?.deployment.id === 'good');
    assert.deepEqual(await router.health.states(['bad'], clock.t), ['open']);

    clock.t += 30_000;
    badHealthy = true;
    r = await run(router, 'm', behave);
    assert.deepEqual(r.tried, ['bad'], 'the probe goes to the recovering deployment');
    assert.deepEqual(await router.health.states(['bad'], clock.t), ['closed']);
  });

  test('only one request at a time probes a half-open deployment', async () => {
    const { router, clock } = makeRouter({ m: { strategy: 'weighted', targets: [target('x'), target('y')] } }, { cooldown: { failureThreshold: 1, cooldownMs: 1000 } });
    await router.report('x', e500);
    clock.t += 1000;
    const first = await router.plan('m')[Symbol.asyncIterator]().next();
    const second = await router.plan('m')[Symbol.asyncIterator]().next();
    // The first request takes the probe slot of the half-open x; the second cannot, and goes to y.
    assert.deepEqual([first.value!.deployment.id, first.value!.probe], ['x', true]);
    assert.deepEqual([second.value!.deployment.id, second.value!.probe], ['y', false]);
    assert.equal(await router.health.tryProbe('x', clock.t), false);
    first.value!.succeed({ ok: true, ttfbMs: 1 });
    second.value!.succeed({ ok: true, ttfbMs: 1 });
  });
});

test('retry helpers', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now()) !== undefined, true);
  assert.equal(parseRetryAfter('soon'), undefined);
  const b = backoffMs(10, DEFAULT_RETRY, () => 1);
  assert.equal(b, DEFAULT_RETRY.maxDelayMs);
  assert.equal(outcomeFromError(new UpstreamServerError('x')).ok, false);
  assert.deepEqual(outcomeFromError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), { ok: false, kind: 'connect' });
  assert.deepEqual(outcomeFromError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), { ok: false, kind: 'timeout' });
});
