import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redis } from '../../../test-support/services.js';
import { connectRedis } from '../admission/redis-client.js';
import { cacheDirectives, cacheKey, MemoryResponseCache, normaliseRequest, RedisResponseCache, replayFrames, SseRecorder } from './index.js';
import type { CachedResponse, ResponseCache } from './index.js';

test('the key ignores field order, user, stream_options and metadata, but not stream, model or messages', () => {
  const a = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0, user: 'u1', stream_options: { include_usage: true } };
  const b = { temperature: 0, messages: [{ content: 'hi', role: 'user' }], model: 'gpt-4o', user: 'u2', metadata: { x: '1' } };
  const ns = { namespace: 'team-1', operation: 'chat' };
  assert.equal(cacheKey(a, ns), cacheKey(b, ns));
  assert.equal(normaliseRequest(b), '{"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o","stream":false,"temperature":0}');
  assert.notEqual(cacheKey({ ...a, stream: true }, ns), cacheKey(a, ns));
  assert.notEqual(cacheKey({ ...a, model: 'gpt-4.1' }, ns), cacheKey(a, ns));
  assert.notEqual(cacheKey({ ...a, messages: [{ role: 'user', content: 'hi!' }] }, ns), cacheKey(a, ns));
  assert.notEqual(cacheKey(a, { ...ns, namespace: 'team-2' }), cacheKey(a, ns));
});

test('cache-control: no-cache skips the lookup, no-store skips both', () => {
  assert.deepEqual(cacheDirectives(undefined), { read: true, write: true });
  assert.deepEqual(cacheDirectives('no-cache'), { read: false, write: true });
  assert.deepEqual(cacheDirectives('max-age=0, No-Store'), { read: false, write: false });
});

test('streams: only complete streams are recorded; replay gives the same SSE frames', () => {
  const rec = new SseRecorder();
  const frames = ['data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n', 'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n', 'data: [DONE]\n\n'];
  for (const f of frames) rec.push(Buffer.from(f));
  const entry = rec.finish();
  assert.ok(entry && entry.kind === 'sse');
  assert.deepEqual(replayFrames(entry), frames);
  const aborted = new SseRecorder();
  aborted.push(frames[0]!);
  assert.equal(aborted.finish(), undefined);
  const big = new SseRecorder(10);
  for (const f of frames) big.push(f);
  assert.equal(big.finish(), undefined);
});

async function roundTrip(cache: ResponseCache, expire: () => Promise<void>): Promise<void> {
  const json: CachedResponse = { kind: 'json', body: '{"id":"x","choices":[]}', contentType: 'application/json', createdAt: 1 };
  assert.equal(await cache.lookup('k1'), undefined);
  await cache.store('k1', json, 1);
  assert.deepEqual(await cache.lookup('k1'), json);
  await expire();
  assert.equal(await cache.lookup('k1'), undefined);
}

test('in-process cache: TTL and size-bounded LRU', async () => {
  let now = 0;
  const c = new MemoryResponseCache(400, () => now);
  await roundTrip(c, async () => {
    now += 1001;
  });
  const v = (body: string): CachedResponse => ({ kind: 'json', body, contentType: 'application/json', createdAt: 0 });
  await c.store('a', v('x'.repeat(100)), 60);
  await c.store('b', v('y'.repeat(100)), 60);
  await c.lookup('a'); // a is now the most recent
  await c.store('c', v('z'.repeat(100)), 60);
  assert.ok(await c.lookup('a'));
  assert.equal(await c.lookup('b'), undefined);
});

test('Redis cache: store, lookup, expiry; errors make it miss, never throw', async (t) => {
  const r = await redis(t);
  if (!r) return;
  const client = await connectRedis({ url: r.url });
  const errors: string[] = [];
  try {
    const c = new RedisResponseCache({ client, prefix: r.prefix, onError: (op) => errors.push(op) });
    await roundTrip(c, () => new Promise((res) => setTimeout(res, 1100)));
    client.disconnect();
    assert.equal(await c.lookup('k1'), undefined);
    await c.store('k1', { kind: 'sse', body: 'data: [DONE]\n\n', createdAt: 0 }, 10);
    assert.deepEqual(errors, ['lookup', 'store']);
  } finally {
    client.disconnect();
    await r.close();
  }
});
