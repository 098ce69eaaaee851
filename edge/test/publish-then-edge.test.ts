/**
 * The publisher (local-file mode) and the local edge together, as `npm start` runs them: a key minted with a
 * published signing secret passes; after `revoke` the edge answers 401 and the origin never sees the request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SHARED_ERRORS } from '../../shared/errors/codes.js';
import { request } from 'undici';
import { generateKey, generateSigningSecret } from '../../shared/keys/key-format.js';
import { bundleText, defaultSource } from '../build/bundle.js';
import { startLocalEdge } from '../local/server.js';
import { createEdgePublisher } from '../publisher/index.js';

test('publish a signing secret, mint a key, revoke it: the edge answers 401 and the origin sees nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-pub-edge-'));
  let originHits = 0;
  const origin = createServer((req, res) => {
    originHits++;
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  writeFileSync(join(dir, 'viewer-request.js'), bundleText(readFileSync(defaultSource(), 'utf8')));
  const kvsFile = join(dir, 'edge-kvs.json');
  const edge = await startLocalEdge({
    host: '127.0.0.1', port: 0, originUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
    kvsFile, functionFile: join(dir, 'viewer-request.js'),
  });
  t.after(async () => {
    await edge.close();
    origin.closeAllConnections();
    await new Promise((r) => origin.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const publisher = createEdgePublisher({ localFile: kvsFile });
  const secret = generateSigningSecret();
  await publisher.setSigningSecret(3, secret);
  await publisher.setRegionHealth('local', { healthy: true });
  const { key, keyId } = generateKey(secret, 3);
  const call = () => request(`http://127.0.0.1:${edge.port}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{}' });

  const ok = await call();
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
  assert.equal(originHits, 1);

  await publisher.revoke(keyId, new Date(Date.now() + 86_400_000));
  const revoked = await call();
  assert.equal(revoked.statusCode, 401);
  assert.equal(revoked.headers['x-skyway-edge'], '1');
  assert.equal(((await revoked.body.json()) as { error: { code: string } }).error.code, SHARED_ERRORS.apiKeyRevoked.code);
  assert.equal(originHits, 1, 'the origin saw a revoked key');

  await publisher.retireSigningSecret(3);
  const other = generateKey(secret, 3);
  const retired = await request(`http://127.0.0.1:${edge.port}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${other.key}` }, body: '{}' });
  assert.equal(retired.statusCode, 401);
  await retired.body.text();
  assert.equal(originHits, 1);
});
