import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FinalizeHandler, FinalizeHandlerArguments } from '@smithy/types';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { AwsKvsBackend } from './aws-backend.js';
import { entryBytes, KVS_LIMITS } from './entries.js';
import { FileKvsBackend } from './file-backend.js';
import { EdgePublisher, KvsFullError } from './publisher.js';
import { startKvsEndpoint, type KvsEndpoint } from './test/kvs-endpoint.js';

const NOW = 1_800_000_000;
const SECRET = 'test-signing-secret-version-1-aaaaaaaaaaaaaaaaaaaa';
const id = (n: number) => `k${String(n).padStart(11, '0')}`;

async function setup(t: TestContext, storeBytes?: number): Promise<{ ep: KvsEndpoint; pub: EdgePublisher }> {
  const ep = await startKvsEndpoint(storeBytes ? { storeBytes } : {});
  // The endpoint rules put the account id in front of the host (123456789012.localhost), which does not
  // resolve here: requests are sent to loopback after signing.
  const backend = new AwsKvsBackend({
    kvsArn: ep.arn,
    client: { endpoint: ep.url.replace('127.0.0.1', 'localhost'), credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
  });
  const toLoopback = (next: FinalizeHandler<ServiceInputTypes, ServiceOutputTypes>): FinalizeHandler<ServiceInputTypes, ServiceOutputTypes> => (args: FinalizeHandlerArguments<ServiceInputTypes>) => {
    (args.request as { hostname: string }).hostname = '127.0.0.1';
    return next(args);
  };
  backend.client.middlewareStack.addRelativeTo(
    toLoopback,
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'toLoopback' },
  );
  t.after(async () => {
    backend.close();
    await ep.close();
  });
  return { ep, pub: new EdgePublisher(backend, { now: () => NOW }) };
}

const state = (ep: KvsEndpoint, keyId: string) => {
  const v = ep.items.get(`k:${keyId}`);
  return v === undefined ? undefined : (JSON.parse(v) as Record<string, unknown>);
};

test('publishes every kind of entry through the KVS API, signed with SigV4a', async (t) => {
  const { ep, pub } = await setup(t);
  await Promise.all([
    pub.setSigningSecret(1, SECRET),
    pub.setOriginVerifySecret('origin-verify-0123456789'),
    pub.setMasterKey('sk-skyway-master-x'),
    pub.revoke('aaaaaaaaaaaa', new Date((NOW + 60) * 1000)),
    pub.setHomeRegion('bbbbbbbbbbbb', 'eu-west-1'),
    pub.setRegionHealth('us-east-1', { healthy: true, weight: 2, near: ['US'] }),
    pub.setRegionHealth('eu-west-1', { healthy: false, originId: 'regional-eu' }),
  ]);
  assert.equal(ep.items.get('sig:1'), SECRET);
  assert.equal(ep.items.get('ov'), 'origin-verify-0123456789');
  assert.equal(ep.items.get('mk'), createHash('sha256').update('sk-skyway-master-x').digest('hex'));
  assert.deepEqual(state(ep, 'aaaaaaaaaaaa'), { s: 'r', x: NOW + 60 });
  assert.deepEqual(state(ep, 'bbbbbbbbbbbb'), { h: 'eu-west-1' });
  assert.deepEqual(JSON.parse(ep.items.get('regions')!), {
    'us-east-1': { w: 2, up: 1, near: ['US'] },
    'eu-west-1': { w: 1, up: 0, o: 'regional-eu' },
  });
  // Block keeps the home region; unblock restores it; a revoked key stays revoked.
  await pub.block('bbbbbbbbbbbb');
  assert.deepEqual(state(ep, 'bbbbbbbbbbbb'), { s: 'b', h: 'eu-west-1' });
  await pub.unblock('bbbbbbbbbbbb');
  assert.deepEqual(state(ep, 'bbbbbbbbbbbb'), { h: 'eu-west-1' });
  await pub.setHomeRegion('bbbbbbbbbbbb', null);
  assert.equal(ep.items.has('k:bbbbbbbbbbbb'), false);
  await pub.block('aaaaaaaaaaaa');
  assert.deepEqual(state(ep, 'aaaaaaaaaaaa'), { s: 'r', x: NOW + 60 });
  await pub.retireSigningSecret(1);
  assert.equal(ep.items.has('sig:1'), false);
  assert.throws(() => pub.revoke('not-a-key-id'), RangeError);
  assert.throws(() => pub.setSigningSecret(1, 'short'), RangeError);
});

test('batches at most 50 keys per UpdateKeys', async (t) => {
  const { ep, pub } = await setup(t);
  await Promise.all(Array.from({ length: 120 }, (_, i) => pub.revoke(id(i))));
  assert.equal(ep.items.size, 120);
  assert.ok(Math.max(...ep.batchSizes) <= KVS_LIMITS.batch, `batches ${ep.batchSizes.join(',')}`);
  assert.ok(ep.batchSizes.length >= 3 && ep.batchSizes.length <= 4, `batches ${ep.batchSizes.join(',')}`);
});

test('retries with a fresh ETag when another writer got in first', async (t) => {
  const { ep, pub } = await setup(t);
  await pub.setHomeRegion('cccccccccccc', 'us-east-1');
  ep.injectConflicts = 2;
  const calls = ep.calls.UpdateKeys ?? 0;
  await pub.block('cccccccccccc');
  assert.equal((ep.calls.UpdateKeys ?? 0) - calls, 3);
  assert.deepEqual(state(ep, 'cccccccccccc'), { s: 'b', h: 'us-east-1' });
  ep.injectConflicts = 100;
  await assert.rejects(pub.revoke('dddddddddddd'), /KvsConflictError|ETag/);
  ep.injectConflicts = 0;
});

test('a full store: expired entries are pruned to make room, and KvsFullError when nothing can go', async (t) => {
  const { ep, pub } = await setup(t);
  // Fill the store to within 2 KB of 5 MB with revocations, half of them of keys that have expired.
  const pad = 'p'.repeat(900);
  let n = 0;
  while (ep.totalSize() < KVS_LIMITS.storeBytes - 2048) {
    const key = `k:${id(n)}`;
    const value = JSON.stringify({ s: 'r', x: n % 2 === 0 ? NOW - 10 : NOW + 3600, pad });
    if (ep.totalSize() + entryBytes(key, value) > KVS_LIMITS.storeBytes - 2048) break;
    ep.items.set(key, value);
    n++;
  }
  ep.touch();
  const before = ep.items.size;
  // 60 more revocations do not fit (about 1.5 KB free): the publisher prunes the expired half, then publishes.
  await Promise.all(Array.from({ length: 60 }, (_, i) => pub.revoke(`zz${String(i).padStart(10, '0')}`, NOW + 7200)));
  assert.ok(ep.totalSize() <= KVS_LIMITS.storeBytes);
  assert.equal(ep.items.size, before - Math.ceil(before / 2) + 60);
  for (const [k, v] of ep.items) if (k.startsWith('k:k')) assert.ok((JSON.parse(v) as { x: number }).x > NOW, `${k} expired but kept`);

  // Now fill what is left with entries that never expire: a new revocation cannot be published.
  let m = 0;
  while (ep.totalSize() + 1000 < KVS_LIMITS.storeBytes) ep.items.set(`k:y${String(m++).padStart(11, '0')}`, JSON.stringify({ s: 'r', pad: pad.slice(0, 950) }));
  const lastKey = `k:y${String(m).padStart(11, '0')}`;
  const room = KVS_LIMITS.storeBytes - ep.totalSize() - Buffer.byteLength(lastKey) - 5;
  ep.items.set(lastKey, JSON.stringify({ s: 'r', pad: 'q'.repeat(room - 20) }));
  assert.ok(KVS_LIMITS.storeBytes - ep.totalSize() < 30, 'the store is full to the byte');
  ep.touch();
  const size = ep.totalSize();
  const big = Array.from({ length: 3 }, (_, i) => pub.revoke(`xx${String(i).padStart(10, '0')}`));
  for (const p of big) await assert.rejects(p, KvsFullError);
  assert.equal(ep.totalSize(), size, 'a rejected batch changes nothing');
});

test('prune() deletes only expired key entries', async (t) => {
  const { ep, pub } = await setup(t);
  await pub.revoke('eeeeeeeeeeee', NOW - 1);
  await pub.revoke('ffffffffffff', NOW + 1);
  await pub.revoke('gggggggggggg');
  await pub.setSigningSecret(2, SECRET);
  assert.equal(await pub.prune(), 1);
  assert.deepEqual([...ep.items.keys()].sort(), ['k:ffffffffffff', 'k:gggggggggggg', 'sig:2']);
});

test('file mode writes the JSON file the local edge reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-pub-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'edge-kvs.json');
  const pub = new EdgePublisher(new FileKvsBackend(file), { now: () => NOW });
  await Promise.all([pub.setSigningSecret(1, SECRET), pub.revoke('hhhhhhhhhhhh', NOW + 5)]);
  await pub.block('iiiiiiiiiiii');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    'sig:1': SECRET,
    'k:hhhhhhhhhhhh': '{"s":"r","x":1800000005}',
    'k:iiiiiiiiiiii': '{"s":"b"}',
  });
  const small = new EdgePublisher(new FileKvsBackend(file, 130), { now: () => NOW });
  await assert.rejects(small.revoke('jjjjjjjjjjjj'), KvsFullError);
});
