/**
 * The edge end to end (issue 7): a gateway process A (api + admin, Postgres) behind the local edge, which runs the
 * built viewer-request function over the KVS file A's admin role writes (`<dataDir>/edge-kvs.json`). Between the
 * edge and A sits a counting pass-through, so the test can prove which requests reached the region: a key revoked
 * through the admin API, a typo'd key and a forged key are answered by the edge alone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GATEWAY_MAX_HEADER_LINES, MAX_VIEWER_HEADER_LINES } from '../../shared/contract/headers.js';
import { SHARED_ERRORS } from '../../shared/errors/codes.js';
import { bundleText, defaultSource } from '../../edge/build/bundle.js';
import { startLocalEdge } from '../../edge/local/server.js';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { buildKey, parseKey } from '../../shared/keys/key-format.js';
import { adminOk, chat, expectOpenAiError, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../../test-support/e2e-admin.js';
import { startCountingProxy } from '../../test-support/e2e-counting-proxy.js';
import { mockConfig, startGatewayProcess } from '../../test-support/gateway.js';
import { postgres } from '../../test-support/services.js';

const LOWER36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const pick = (alphabet: string, n: number) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');

/** Wait (bounded) until the admin role has published `k:<keyId>` as revoked to the local KVS file. */
async function revocationPublished(kvsFile: string, keyId: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const kvs = JSON.parse(readFileSync(kvsFile, 'utf8')) as Record<string, string>;
      const state = kvs[`k:${keyId}`];
      if (state && (JSON.parse(state) as { s?: string }).s === 'r') return;
    } catch {
      /* not written yet, or mid-write */
    }
    if (Date.now() > until) assert.fail(`the revocation of ${keyId} did not reach ${kvsFile} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('local edge in front of a gateway: revoked, typo\'d and forged keys never reach the region', { timeout: 30_000 }, async (t) => {
  const pg = await postgres(t);
  if (!pg) return;
  t.after(() => pg.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const dir = mkdtempSync(join(tmpdir(), 'skyway-edge-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const originVerify = 'ov-' + randomBytes(16).toString('hex');
  const a = await startGatewayProcess({
    config: mockConfig(mock.url),
    env: {
      SKYWAY_ROLE: 'all',
      DATABASE_URL: pg.url,
      REDIS_URL: '',
      SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
      // The gateway refuses requests without this header; the admin role publishes it to the KVS for the edge.
      SKYWAY_ORIGIN_VERIFY_SECRET: originVerify,
      SKYWAY_EDGE_KVS_FILE: '',
      SKYWAY_EDGE_KVS_ARN: '',
    },
  });
  t.after(() => a.stop());
  await waitForAdmin(a);
  const kvsFile = join(a.dataDir, 'edge-kvs.json');

  const proxy = await startCountingProxy(a.url);
  t.after(() => proxy.close());
  const functionFile = join(dir, 'viewer-request.js');
  writeFileSync(functionFile, bundleText(readFileSync(defaultSource(), 'utf8')));
  const edge = await startLocalEdge({ host: '127.0.0.1', port: 0, originUrl: proxy.url, kvsFile, functionFile });
  t.after(() => edge.close());
  const edgeUrl = `http://127.0.0.1:${edge.port}`;

  /** A request the edge must answer by itself: status, code, the x-skyway-edge header, and no origin request. */
  async function answeredByEdge(key: string, status: number, code: string): Promise<void> {
    const before = proxy.seen.length;
    const res = await chat(edgeUrl, key);
    assert.equal(res.headers.get('x-skyway-edge'), '1', `the edge did not answer (status ${res.status})`);
    await expectOpenAiError(res, status, code);
    assert.equal(proxy.seen.length, before, 'the request reached the regional gateway');
  }

  const created = await adminOk<CreatedKey>(a, 'POST', '/admin/keys', { alias: 'edge-e2e', models: ['mock-1'] }, 201);

  await t.test('the gateway refuses requests that bypass the edge', async () => {
    await expectOpenAiError(await chat(a.url, created.key), 401, 'origin_not_verified');
  });

  await t.test('a valid key passes the edge and reaches the gateway with the origin-verification header', async () => {
    const before = proxy.seen.length;
    const res = await chat(edgeUrl, created.key);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(res.headers.get('x-skyway-edge'), null, 'the edge answered instead of the gateway');
    assert.equal((JSON.parse(text) as { object: string }).object, 'chat.completion');
    assert.equal(proxy.seen.length, before + 1);
    const seen = proxy.seen[proxy.seen.length - 1]!;
    assert.equal(seen.url, '/v1/chat/completions');
    assert.equal(seen.headers['x-skyway-origin-verify'], originVerify);
    assert.equal(seen.headers['x-skyway-key-id'], created.id);
  });

  await t.test('the master key passes the edge (its digest is published by the admin role)', async () => {
    const before = proxy.seen.length;
    const res = await fetch(edgeUrl + '/v1/models', { headers: { authorization: `Bearer ${a.masterKey}` } });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    assert.equal(proxy.seen.length, before + 1);
  });

  /** GET /v1/models through the edge with exactly `lines` header lines: Host, Connection, Authorization and filler. */
  function modelsWithLines(lines: number): Promise<{ status: number; edge: string | undefined; body: string }> {
    const headers: Record<string, string> = { host: '127.0.0.1', connection: 'close', authorization: `Bearer ${a.masterKey}` };
    for (let i = 0; Object.keys(headers).length < lines; i++) headers[`x-h${i}`] = 'v';
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: edge.port, path: '/v1/models', method: 'GET', headers, agent: false, timeout: 20_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, edge: res.headers['x-skyway-edge'] as string | undefined, body }));
        res.on('error', reject);
      });
      // Bounds the test only: past its header-line limit the gateway never answers, so without the edge's 431 this fires.
      req.on('timeout', () => req.destroy(new Error(`no answer to a request with ${lines} header lines`)));
      req.on('error', reject);
      req.end();
    });
  }

  await t.test('header lines: at the edge limit the gateway answers; above it the edge answers 431 instead of a request the gateway would never answer', async () => {
    let before = proxy.seen.length;
    const atLimit = await modelsWithLines(MAX_VIEWER_HEADER_LINES);
    assert.equal(atLimit.status, 200, atLimit.body);
    assert.equal(atLimit.edge, undefined, 'the edge answered instead of the gateway');
    assert.equal(proxy.seen.length, before + 1);
    // One line more, and a count past the gateway's own limit (small lines: under uWS's 4 KB, so it would hold the connection open).
    for (const lines of [MAX_VIEWER_HEADER_LINES + 1, GATEWAY_MAX_HEADER_LINES + 12]) {
      before = proxy.seen.length;
      const res = await modelsWithLines(lines);
      assert.equal(res.status, SHARED_ERRORS.requestHeaderFieldsTooLarge.status, res.body);
      assert.equal(res.edge, '1');
      const err = (JSON.parse(res.body) as { error: { code: string; type: string; message: string; param: unknown } }).error;
      assert.deepEqual({ code: err.code, type: err.type, param: err.param }, { code: 'request_header_fields_too_large', type: 'invalid_request_error', param: null });
      assert.match(err.message, new RegExp(`${lines} header lines`));
      assert.equal(proxy.seen.length, before, 'the request reached the regional gateway');
    }
  });

  await t.test('a typo\'d key is answered by the edge (checksum)', async () => {
    const i = 20; // inside the secret part
    const replacement = created.key[i] === 'A' ? 'B' : 'A';
    const typo = created.key.slice(0, i) + replacement + created.key.slice(i + 1);
    assert.equal(parseKey(typo).ok, false);
    await answeredByEdge(typo, 401, 'invalid_api_key');
  });

  await t.test('a forged key with a valid checksum is answered by the edge (MAC)', async () => {
    const forged = buildKey(pick(LOWER36, 12), pick(BASE62, 32), 1, randomBytes(32).toString('hex'));
    assert.equal(parseKey(forged).ok, true, 'the forgery has a valid shape and checksum');
    await answeredByEdge(forged, 401, 'invalid_api_key');
    // Forging the id of a real key does not help either.
    await answeredByEdge(buildKey(created.id, pick(BASE62, 32), 1, randomBytes(32).toString('hex')), 401, 'invalid_api_key');
  });

  await t.test('a key revoked through the admin API is answered 401 by the edge; the gateway never sees it', async () => {
    const revoked = await adminOk<{ status: string }>(a, 'POST', `/admin/keys/${created.id}/revoke`, { reason: 'edge e2e' }, 200);
    assert.equal(revoked.status, 'revoked');
    await revocationPublished(kvsFile, created.id);
    await answeredByEdge(created.key, 401, SHARED_ERRORS.apiKeyRevoked.code);
    await answeredByEdge(created.key, 401, SHARED_ERRORS.apiKeyRevoked.code);
  });
});
