import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { redis } from '../../../test-support/services.js';
import { RedisHealthStore } from './redis-health.js';

test('Redis health store: two replicas share failures, cooldown and the single probe slot', async (t) => {
  const svc = await redis(t);
  if (!svc) return;
  const a = new Redis(svc.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const b = new Redis(svc.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await a.connect();
    await b.connect();
    const policy = { failureThreshold: 3, windowMs: 10_000, cooldownMs: 5_000, probeTimeoutMs: 2_000 };
    const r1 = new RedisHealthStore(a, policy, `${svc.prefix}health:`);
    const r2 = new RedisHealthStore(b, policy, `${svc.prefix}health:`);
    const now = 1_000_000;
    await r1.recordFailure('dep/0', now);
    await r2.recordFailure('dep/0', now + 1);
    assert.deepEqual(await r1.states(['dep/0', 'dep/1'], now + 2), ['closed', 'closed']);
    await r1.recordFailure('dep/0', now + 2); // third failure, from either replica, opens it
    assert.deepEqual(await r2.states(['dep/0', 'dep/1'], now + 3), ['open', 'closed']);
    const later = now + 5_003;
    assert.deepEqual(await r2.states(['dep/0'], later), ['half-open']);
    assert.equal(await r1.tryProbe('dep/0', later), true);
    assert.equal(await r2.tryProbe('dep/0', later), false, 'one probe across replicas');
    await r1.recordFailure('dep/0', later + 10); // the probe failed: open again
    assert.deepEqual(await r2.states(['dep/0'], later + 11), ['open']);
    await r2.recordSuccess('dep/0', later + 11); // a straggler's success while open changes nothing
    assert.deepEqual(await r1.states(['dep/0'], later + 12), ['open']);
    const again = later + 10 + 5_000;
    assert.equal(await r2.tryProbe('dep/0', again), true);
    await r2.recordSuccess('dep/0', again + 5);
    assert.deepEqual(await r1.states(['dep/0'], again + 6), ['closed']);
    // failures outside the window do not add up
    await r1.recordFailure('dep/2', now);
    await r1.recordFailure('dep/2', now + 1);
    await r1.recordFailure('dep/2', now + 20_000);
    assert.deepEqual(await r1.states(['dep/2'], now + 20_001), ['closed']);
  } finally {
    const keys = await a.keys(`${svc.prefix}health:*`).catch(() => []);
    if (keys.length) await a.del(...keys).catch(() => undefined);
    a.disconnect();
    b.disconnect();
    await svc.close();
  }
});

test('Redis health store fails open when Redis is unreachable', async () => {
  const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  dead.on('error', () => undefined);
  const store = new RedisHealthStore(dead, { failureThreshold: 1, windowMs: 1000, cooldownMs: 1000, probeTimeoutMs: 1000 });
  await store.recordFailure('x', 1);
  assert.deepEqual(await store.states(['x'], 2), ['closed']);
  dead.disconnect();
});
