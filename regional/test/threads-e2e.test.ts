/**
 * Issue 18, SKYWAY_THREADS: one gateway process with 2 uWS event loops on one port, embedded limiter (no Redis),
 * virtual keys in real Postgres. Requests go over fresh connections so the kernel spreads them over both loops
 * (the access log's `loop` field proves each loop served some). What must stay exact across loops:
 *  1. usage: N requests → exactly N request-log rows and N in the one metrics registry;
 *  2. limits: RPM 10 under 30 concurrent requests admits exactly 10 (the limiter lives in the main thread);
 *  3. key cache: a key cached by both loops, revoked through the admin API, is refused by every loop.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { waitForAdmin } from '../../test-support/e2e-admin.js';
import { freePort } from '../../test-support/free-port.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { postgres } from '../../test-support/services.js';

const BODY = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4 });

/** One chat request on a connection of its own (a new connection may land on either loop). */
async function chatOnNewConnection(gw: GatewayProcess, key: string): Promise<{ status: number; code: string | null }> {
  const agent = new Agent({ connections: 1 });
  try {
    const res = await request(gw.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: BODY,
      dispatcher: agent,
    });
    const json = (await res.body.json()) as { error?: { code: string | null } };
    return { status: res.statusCode, code: json.error?.code ?? null };
  } finally {
    await agent.close();
  }
}

/** Access-log lines of successful chat requests, by event loop, for one key id (null: any). */
function servedByLoop(gw: GatewayProcess, keyId: string | null): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of gw.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    let j: { loop?: number; op?: string; status?: number; keyId?: string };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      continue; // two loops share stdout: a line cut by the pipe is not this test's subject
    }
    if (j.op !== 'chat' || j.status !== 200 || (keyId !== null && j.keyId !== keyId)) continue;
    out.set(j.loop!, (out.get(j.loop!) ?? 0) + 1);
  }
  return out;
}

/** Each loop's logger flushes its buffer at least once a second. */
const logFlushed = () => new Promise((r) => setTimeout(r, 1500));

function requestLogRows(dataDir: string): number {
  const dir = join(dataDir, 'clickhouse', 'request_log');
  if (!existsSync(dir)) return 0;
  let rows = 0;
  for (const day of readdirSync(dir)) for (const f of readdirSync(join(dir, day))) rows += readFileSync(join(dir, day, f), 'utf8').split('\n').filter(Boolean).length;
  return rows;
}

async function start(t: TestContext) {
  const pg = await postgres(t);
  if (!pg) return undefined;
  t.after(() => pg.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const metricsPort = await freePort();
  const gw = await startGatewayProcess({
    config: mockConfig(mock.url),
    env: {
      SKYWAY_THREADS: '2',
      SKYWAY_ROLE: 'all',
      DATABASE_URL: pg.url,
      REDIS_URL: '',
      SKYWAY_KEY_SIGNING_SECRETS: `1:${randomBytes(32).toString('hex')}`,
      SKYWAY_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
    },
  });
  t.after(() => gw.stop());
  await waitForAdmin(gw);
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(gw.adminUrl + path, {
      method,
      headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as { id: string; key: string };
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return { gw, admin, metricsPort };
}

test('two event loops in one process keep usage, limits and key revocation exact', { timeout: 120_000 }, async (t) => {
  const s = await start(t);
  if (!s) return;
  const { gw, admin } = s;
  // The access log is buffered (flushed at least every second): wait for the start-up line of the loops.
  for (let i = 0; i < 100 && !/"loops":2/.test(gw.output()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(gw.output(), /"loops":2/, 'the process started 2 event loops');

  await t.test('usage: N requests → exactly N rows and N counted in the one registry', async () => {
    const N = 40;
    const outcomes = await Promise.all(Array.from({ length: N }, () => chatOnNewConnection(gw, gw.masterKey)));
    assert.deepEqual(outcomes.map((o) => o.status), Array(N).fill(200));
    await logFlushed();
    const loops = servedByLoop(gw, null);
    assert.equal(loops.size, 2, `both loops served requests: ${JSON.stringify([...loops])}`);
    // The registry is served by the main thread; every loop's requests are counted in it.
    const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
    const m = /skyway_requests_total\{model="mock-1",status="200",cache_hit="false"[^}]*\} (\d+)/.exec(text);
    assert.equal(Number(m?.[1]), N, 'requests_total counts every loop');
  });

  await t.test('limits: RPM 10 under 30 concurrent requests over both loops admits exactly 10', async () => {
    const created = await admin('POST', '/admin/keys', { alias: 'threads-rpm', models: ['mock-1'], limits: { rpm: 10 } });
    const out = await Promise.all(Array.from({ length: 30 }, () => chatOnNewConnection(gw, created.key)));
    const tally: Record<string, number> = {};
    for (const o of out) tally[`${o.status} ${o.code ?? ''}`.trim()] = (tally[`${o.status} ${o.code ?? ''}`.trim()] ?? 0) + 1;
    assert.deepEqual(tally, { '200': 10, '429 rate_limit_exceeded': 20 });
  });

  await t.test('key cache: revoked on the admin API → refused by every loop', async () => {
    const created = await admin('POST', '/admin/keys', { alias: 'threads-revoke', models: ['mock-1'] });
    // Warm both loops' caches with the key.
    const warm = await Promise.all(Array.from({ length: 24 }, () => chatOnNewConnection(gw, created.key)));
    assert.ok(warm.every((o) => o.status === 200));
    await logFlushed();
    const loops = servedByLoop(gw, created.id);
    assert.equal(loops.size, 2, `both loops cached and served the key: ${JSON.stringify([...loops])}`);
    await admin('POST', `/admin/keys/${created.id}/revoke`, { reason: 'threads test' });
    // The admin API answers after publishing the change; the fan-out to the loops is one message hop.
    let refused: { status: number; code: string | null }[] = [];
    for (let i = 0; i < 20; i++) {
      refused = await Promise.all(Array.from({ length: 24 }, () => chatOnNewConnection(gw, created.key)));
      if (refused.every((o) => o.status === 401)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      refused.map((o) => o.status),
      Array(24).fill(401),
      'no loop answers with the revoked key from its cache',
    );
  });

  await t.test('SIGTERM drains every loop, then the recorder writes every row', async () => {
    const before = servedByLoop(gw, null);
    const served = [...before.values()].reduce((a, b) => a + b, 0);
    assert.equal(await gw.signal('SIGTERM'), 0, gw.output().slice(-2000));
    assert.equal(requestLogRows(gw.dataDir), served, 'one request-log row per request served by either loop');
  });
});
