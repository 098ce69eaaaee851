/**
 * The case table against the built function in the local edge's vm runner, then over HTTP through the local
 * edge itself (answers from the edge never reach the origin; passed requests arrive with the added headers).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SHARED_ERRORS } from '../../shared/errors/codes.js';
import { request } from 'undici';
import { bundleText, defaultSource } from '../build/bundle.js';
import { ViewerRequestFunction } from '../local/function-runner.js';
import { readFileSync } from 'node:fs';
import { startLocalEdge } from '../local/server.js';
import { EDGE_CASES, EDGE_KVS, flat, keys, mismatches, ORIGIN_VERIFY, type EdgeObserved } from './cases.js';

const artifact = bundleText(readFileSync(defaultSource(), 'utf8'));
const fn = new ViewerRequestFunction(artifact);

for (const c of EDGE_CASES) {
  test(`vm: ${c.name}`, async () => {
    const event = structuredClone(c.event);
    const outcome = await fn.run(event, EDGE_KVS);
    const observed: EdgeObserved = { originId: outcome.originId ?? null };
    if (outcome.response) {
      observed.status = outcome.response.statusCode;
      observed.responseHeaders = flat(outcome.response.headers);
      const b = outcome.response.body;
      observed.body = typeof b === 'string' ? b : b?.data;
    } else {
      observed.requestHeaders = flat(outcome.request!.headers);
    }
    assert.deepEqual(mismatches(c, observed), []);
  });
}

test('local edge over HTTP: edge answers never reach the origin; passed requests carry the edge headers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-edge-vm-'));
  const seen: IncomingHttpHeaders[] = [];
  const origin: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const { ov: _ov, ...kvsWithoutOv } = EDGE_KVS;
  writeFileSync(join(dir, 'kvs.json'), JSON.stringify(kvsWithoutOv));
  writeFileSync(join(dir, 'viewer-request.js'), artifact);
  const edge = await startLocalEdge({
    host: '127.0.0.1', port: 0, originUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
    kvsFile: join(dir, 'kvs.json'), functionFile: join(dir, 'viewer-request.js'), originVerifySecret: ORIGIN_VERIFY,
  });
  t.after(async () => {
    await edge.close();
    origin.closeAllConnections();
    await new Promise((r) => origin.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${edge.port}`;
  const post = (headers: Record<string, string>) =>
    request(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

  for (const [headers, status, code] of [
    [{ authorization: `Bearer ${keys.revoked}` }, 401, SHARED_ERRORS.apiKeyRevoked.code],
    [{ authorization: `Bearer ${keys.valid.slice(0, -1)}x` }, 401, 'invalid_api_key'],
    [{}, 401, 'missing_api_key'],
  ] as const) {
    const res = await post(headers);
    assert.equal(res.statusCode, status);
    assert.equal(res.headers['x-skyway-edge'], '1');
    assert.equal(((await res.body.json()) as { error: { code: string } }).error.code, code);
  }
  assert.equal(seen.length, 0, 'the origin saw a request the edge should have answered');

  const ok = await post({ authorization: `Bearer ${keys.valid}` });
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!['x-skyway-key-id'], 'a1b2c3d4e5f6');
  assert.equal(seen[0]!['x-skyway-origin-verify'], ORIGIN_VERIFY);

  // A revocation written to the KVS file applies to the next request.
  writeFileSync(join(dir, 'kvs.json'), JSON.stringify({ ...kvsWithoutOv, 'k:a1b2c3d4e5f6': '{"s":"r"}' }));
  const revoked = await post({ authorization: `Bearer ${keys.valid}` });
  assert.equal(revoked.statusCode, 401);
  await revoked.body.text();
  assert.equal(seen.length, 1);
});
