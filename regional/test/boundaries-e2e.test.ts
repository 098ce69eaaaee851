/**
 * Issue 12, findings 1–6: no request can take the gateway down, leak a reservation, or spend past a key's
 * model list or budget. One real gateway process (api + admin) with Postgres (virtual keys) and a private
 * Redis (shared limits), the mock upstream, and a fake upstream for what the mock will not do.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { waitForAdmin } from '../../test-support/e2e-admin.js';
import { freePort } from '../../test-support/free-port.js';
import { startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { startFakeUpstream, type FakeUpstream } from '../../test-support/providers-fake-upstream.js';
import { postgres, privateRedis } from '../../test-support/services.js';

function config(mockUrl: string, fakeUrl: string): string {
  const mock = (m: string) => `      - provider: openai\n        model: ${m}\n        api_base: ${mockUrl}/v1\n`;
  const fake = (m: string) => `      - provider: openai\n        model: ${m}\n        api_base: ${fakeUrl}/v1\n`;
  return [
    'models:',
    `  - name: mock-1\n    deployments:\n${mock('mock-1')}`,
    // Answers 200 with a body that is not JSON.
    `  - name: not-json\n    deployments:\n${fake('not-json')}`,
    // Always fails (500), falls back to a model the key may not use.
    `  - name: fails\n    fallbacks: [secret]\n    deployments:\n${fake('fails')}`,
    `  - name: secret\n    deployments:\n${mock('mock-1')}`,
    // Cheap, with a pricey fallback: the reservation must cover the fallback.
    `  - name: cheap\n    fallbacks: [pricey]\n    deployments:\n${mock('mock-1')}        options:\n          pricing: { input: 1, output: 1 }`,
    `  - name: pricey\n    deployments:\n${mock('mock-1')}        options:\n          pricing: { input: 1000000, output: 1000000 }`,
    // No price anywhere (not in the built-in table either).
    `  - name: unpriced\n    deployments:\n${mock('no-such-priced-model')}`,
    'router:\n  retry:\n    max_attempts: 4\n    same_deployment_retries: 0\n    base_delay_ms: 1\n    max_delay_ms: 2\n',
  ].join('\n');
}

function post(gw: GatewayProcess, path: string, key: string, body: string | Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(gw.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

async function errorOf(res: Response): Promise<{ status: number; code: string | null; type: string }> {
  const text = await res.text();
  const body = JSON.parse(text) as { error?: { code: string | null; type: string; message: string; param: unknown } };
  assert.ok(body.error, `an OpenAI-shape error: ${res.status} ${text.slice(0, 300)}`);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  return { status: res.status, code: body.error.code, type: body.error.type };
}

async function alive(gw: GatewayProcess): Promise<void> {
  assert.equal(gw.proc.exitCode, null, `the process is still running: ${gw.output().slice(-2000)}`);
  const r = await fetch(gw.url + '/health/liveliness');
  assert.equal(r.status, 200);
  await r.body?.cancel();
}

const hello = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4, ...extra });

test('request boundaries (issue 12 findings 1–5)', { timeout: 120_000 }, async (t) => {
  const pg = await postgres(t);
  if (!pg) return;
  const redis = await privateRedis(t);
  if (!redis) return void (await pg.close());
  let mock: MockUpstream | undefined;
  let fake: FakeUpstream | undefined;
  let gw: GatewayProcess | undefined;
  try {
    mock = await startMockUpstream({ port: 0 });
    fake = await startFakeUpstream((req) =>
      req.path.startsWith('/v1/chat') && (req.json().model as string) === 'not-json'
        ? { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>upstream proxy says hi</html>' }
        : { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":{"message":"boom","type":"server_error"}}' },
    );
    gw = await startGatewayProcess({
      config: config(mock.url, fake.url),
      env: {
        SKYWAY_ROLE: 'all',
        DATABASE_URL: pg.url,
        REDIS_URL: redis.url,
        SKYWAY_KEY_SIGNING_SECRETS: `1:${randomBytes(32).toString('hex')}`,
        // Admissions wait for a paused Redis instead of falling back (finding 3).
        SKYWAY_REDIS_COMMAND_TIMEOUT_MS: '5000',
      },
    });
    await waitForAdmin(gw);
    const g = gw;
    const createKey = async (body: Record<string, unknown>): Promise<string> => {
      const res = await fetch(g.adminUrl + '/admin/keys', {
        method: 'POST',
        headers: { authorization: `Bearer ${g.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { key?: string };
      assert.equal(res.status, 201, JSON.stringify(json));
      return json.key!;
    };

    await t.test('GET /v1/models/%ZZ (a malformed escape, no key) is answered and the process lives', async () => {
      for (const path of ['/v1/models/%ZZ', '/models/%E0%A4%A', '/v1/models/%']) {
        const res = await fetch(g.url + path);
        assert.ok(res.status === 404 || res.status === 401, `${path}: ${res.status}`);
        await errorOf(res);
      }
      const res = await fetch(g.url + '/v1/models/%ZZ', { headers: { authorization: `Bearer ${g.masterKey}` } });
      assert.equal((await errorOf(res)).code, 'model_not_found');
      await alive(g);
    });

    await t.test('a body nested 200k deep on a limited key, streaming without include_usage: answered, process lives', async () => {
      const key = await createKey({ alias: 'deep', limits: { rpm: 1000 } });
      const depth = 200_000;
      const body = `{"model":"mock-1","stream":true,"messages":[{"role":"user","content":"hi"}],"metadata_blob":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const res = await post(g, '/v1/chat/completions', key, body);
      const e = await errorOf(res);
      assert.ok([400, 500].includes(e.status), `400 invalid_body or 500 internal_error, got ${e.status} ${e.code}`);
      await alive(g);
      assert.equal((await post(g, '/v1/chat/completions', key, hello('mock-1'))).status, 200);
    });

    await t.test('a client that aborts while admission is pending does not keep its in-flight slot', async () => {
      const key = await createKey({ alias: 'parallel-1', limits: { max_parallel: 1 } });
      assert.equal((await post(g, '/v1/chat/completions', key, hello('mock-1'))).status, 200, 'the key works');
      const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await admin.connect();
      try {
        await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
        const ac = new AbortController();
        const pending = post(g, '/v1/chat/completions', key, hello('mock-1'), ac.signal).catch((err: Error) => err);
        await new Promise((r) => setTimeout(r, 300));
        ac.abort();
        assert.ok((await pending) instanceof Error, 'the request was aborted before an answer');
        // Redis answers the admission after the pause; the reservation must be released right away.
        await new Promise((r) => setTimeout(r, 1800));
      } finally {
        admin.disconnect();
      }
      const res = await post(g, '/v1/chat/completions', key, hello('mock-1'));
      const text = await res.text();
      assert.equal(res.status, 200, `the slot was released: ${text}`);
    });

    await t.test('/v1/messages answers (502) when the upstream returns a 2xx that is not JSON', async () => {
      const res = await fetch(g.url + '/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': g.masterKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'not-json', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, 502);
      const body = (await res.json()) as { type: string; error: { type: string } };
      assert.equal(body.type, 'error');
      const chatRes = await post(g, '/v1/chat/completions', g.masterKey, hello('not-json'), AbortSignal.timeout(10_000));
      const e = await errorOf(chatRes);
      assert.equal(e.status, 502);
      assert.equal(e.code, 'upstream_invalid_response');
      await alive(g);
    });

    await t.test('a fallback the key may not use is not attempted', async () => {
      const key = await createKey({ alias: 'fails-only', models: ['fails'] });
      const res = await post(g, '/v1/chat/completions', key, hello('fails'));
      const text = await res.text();
      assert.notEqual(res.status, 200, `served by a model outside the key's list: ${res.headers.get('x-skyway-fallback-model')} ${text}`);
      assert.equal(res.headers.get('x-skyway-fallback-model'), null);
      // The master key (every model) does get the fallback.
      const master = await post(g, '/v1/chat/completions', g.masterKey, hello('fails'));
      assert.equal(master.status, 200);
      assert.equal(master.headers.get('x-skyway-fallback-model'), 'secret');
    });

    await t.test('unknown model: 404 model_not_found for every key; model_not_allowed only for one that exists', async () => {
      const key = await createKey({ alias: 'mock-only', models: ['mock-1'] });
      assert.deepEqual(await errorOf(await post(g, '/v1/chat/completions', key, hello('no-such-model'))), { status: 404, code: 'model_not_found', type: 'invalid_request_error' });
      assert.equal((await errorOf(await post(g, '/v1/chat/completions', key, hello('secret')))).code, 'model_not_allowed');
      assert.equal((await errorOf(await post(g, '/v1/chat/completions', g.masterKey, hello('no-such-model')))).code, 'model_not_found');
      const get = (id: string) => fetch(`${g.url}/v1/models/${id}`, { headers: { authorization: `Bearer ${key}` } });
      assert.deepEqual(await errorOf(await get('no-such-model')), { status: 404, code: 'model_not_found', type: 'invalid_request_error' });
      assert.equal((await errorOf(await get('secret'))).code, 'model_not_allowed');
      assert.equal((await get('mock-1')).status, 200);
    });

    await t.test('a budget key reserves the worst case of the fallbacks, and cannot use a model without a price', async () => {
      // $0.5: the cheap model's worst case (~$0.00001) fits, the pricey fallback's (~$4+) does not.
      const key = await createKey({ alias: 'budget', budget: { max_usd: 0.5, period: 'none' } });
      const res = await post(g, '/v1/chat/completions', key, hello('cheap'));
      const e = await errorOf(res);
      assert.equal(e.status, 429);
      assert.equal(e.code, 'budget_exceeded');
      const unpriced = await errorOf(await post(g, '/v1/chat/completions', key, hello('unpriced')));
      assert.deepEqual(unpriced, { status: 403, code: 'model_price_unknown', type: 'permission_error' });
      // Without a budget the unpriced model is served.
      assert.equal((await post(g, '/v1/chat/completions', g.masterKey, hello('unpriced'))).status, 200);
    });
    await alive(g);
  } finally {
    await gw?.stop();
    await fake?.close();
    await mock?.close();
    await redis.close();
    await pg.close();
  }
});

test('Redis unreachable at start: the gateway starts degraded, says so, and recovers', { timeout: 60_000 }, async (t) => {
  const redisPort = await freePort();
  const metricsPort = await freePort();
  const mock = await startMockUpstream({ port: 0 });
  let gw: GatewayProcess | undefined;
  const redis = await privateRedis(t);
  if (!redis) return void (await mock.close());
  await redis.close(); // only to learn that redis-server exists; the test starts its own on `redisPort` later
  const { spawn } = await import('node:child_process');
  let server: ReturnType<typeof spawn> | undefined;
  try {
    gw = await startGatewayProcess({
      config: `models:\n  - name: mock-1\n    deployments:\n      - provider: openai\n        model: mock-1\n        api_base: ${mock.url}/v1\n`,
      env: { REDIS_URL: `redis://127.0.0.1:${redisPort}`, SKYWAY_METRICS_PORT: String(metricsPort) },
    });
    const ready = (await (await fetch(gw.url + '/health/readiness')).json()) as { status: string; checks: Record<string, string> };
    assert.equal(ready.status, 'degraded');
    assert.match(ready.checks.limits ?? '', /degraded/);
    const res = await post(gw, '/v1/chat/completions', gw.masterKey, hello('mock-1'));
    assert.equal(res.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /^skyway_limits_degraded(\{[^}]*\})? 1$/m);

    server = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const until = Date.now() + 20_000;
    for (;;) {
      const r = (await (await fetch(gw.url + '/health/readiness')).json()) as { status: string };
      if (r.status === 'ok') break;
      assert.ok(Date.now() < until, `readiness did not recover: ${JSON.stringify(r)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(after, /^skyway_limits_degraded(\{[^}]*\})? 0$/m);
  } finally {
    await gw?.stop();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGKILL');
      await exited;
    }
    await mock.close();
  }
});
