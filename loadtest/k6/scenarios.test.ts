/**
 * Keeps the k6 scripts honest: runs each scenario's logic (setup, a few iterations of every scenario's exec
 * function, thresholds) through the k6 stand-in against the local stack — the mock upstream and, when it is
 * built, the gateway in front of it — and checks that the checks pass, and that they fail when they should.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { distRoot } from '../../test-support/paths.js';
import { gatewayAvailable, startGatewayProcess, startMockProcess, type GatewayProcess, type MockProcess } from '../support/stack.js';
import { runScript, type RunResult } from './standin/runner.js';

const dist = distRoot();
let mock: MockProcess;
let gateway: GatewayProcess | undefined;
let baseUrl: string;
let apiKey: string;

before(async () => {
  mock = await startMockProcess(dist);
  if (gatewayAvailable(dist)) {
    gateway = await startGatewayProcess(dist, { mockUrl: mock.url, logLevel: 'warn' });
    baseUrl = gateway.url;
    apiKey = gateway.masterKey;
  } else {
    console.warn(`\n*** k6 scenarios run against the mock directly: no gateway at ${dist}/regional/src/main.js ***\n`);
    baseUrl = mock.url;
    apiKey = 'sk-mock';
  }
});

after(async () => {
  await gateway?.stop();
  await mock.stop();
});

const script = (name: string) => new URL(`./${name}.js`, import.meta.url);

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { BASE_URL: baseUrl, API_KEY: apiKey, MODEL: 'mock-1', MODELS: 'mock-1', REGION: 'test-region', RATE: '5', DURATION: '1m', ...extra };
}

async function setMockFaults(faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: JSON.stringify(faults) });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

function assertClean(r: RunResult): void {
  assert.ok(r.checks.size > 0, 'the script ran checks');
  assert.deepEqual(r.failedChecks, [], 'every check passed');
  assert.deepEqual(r.crossed, [], 'no threshold was crossed');
  const reqs = r.metrics.get('http_reqs')?.samples ?? [];
  assert.ok(reqs.length > 0);
  assert.ok(reqs.every((s) => s.tags.region === 'test-region'), 'every sample carries the region tag');
}

describe('k6 scenarios through the stand-in', () => {
  for (const name of ['steady-chat', 'spike', 'soak']) {
    it(`${name}: checks pass and thresholds hold`, async () => {
      const r = await runScript(script(name), env(), 3);
      assertClean(r);
      assert.ok(r.options.scenarios && Object.keys(r.options.scenarios).length === 1);
    });
  }

  it('streaming: records time to first token and inter-token latency', async () => {
    const r = await runScript(script('streaming'), env(), 3);
    assertClean(r);
    assert.equal(r.metrics.get('time_to_first_token')?.samples.length, 3);
    assert.equal(r.metrics.get('inter_token_latency')?.samples.length, 3);
    assert.ok(r.thresholds.some((t) => t.metric === 'time_to_first_token' && Number.isFinite(t.value)));
  });

  it('mixed: runs chat, stream and embeddings scenarios, each tagged', async () => {
    const r = await runScript(script('mixed'), env({ EMBED_MODEL: 'mock-embed' }), 2);
    assertClean(r);
    const scenarios = new Set((r.metrics.get('http_reqs')?.samples ?? []).filter((s) => s.tags.name !== 'models').map((s) => s.tags.scenario));
    assert.deepEqual([...scenarios].sort(), ['chat', 'embeddings', 'stream']);
    assert.ok(r.thresholds.some((t) => t.metric === 'http_req_duration{scenario:embeddings}' && Number.isFinite(t.value)));
  });

  it('checks and the error-rate threshold fail when the upstream fails', async () => {
    await setMockFaults({ status: 500 });
    try {
      const r = await runScript(script('steady-chat'), env(), 2);
      assert.ok(r.failedChecks.includes('chat: status 200'));
      assert.ok(r.crossed.some((t) => t.metric === 'http_req_failed'));
    } finally {
      await setMockFaults({});
    }
  });

  if (process.env.K6_STANDIN_SKIP_AUTH !== '1') {
    it('setup stops the run when the key is refused', { skip: gatewayAvailable(dist) ? false : 'the mock does not check keys' }, async () => {
      await assert.rejects(runScript(script('steady-chat'), env({ API_KEY: 'sk-wrong' }), 1), /models answered 401/);
    });
  }
});

/**
 * The limit check against the mock directly, which answers 429 on demand. (The gateway's own limiter needs a
 * key with an RPM limit; point BASE_URL/API_KEY at one to run it for real.)
 */
describe('k6 limit-enforcement check', () => {
  const limitEnv = () => ({ ...env(), BASE_URL: mock.url, API_KEY: 'sk-mock', LIMIT_RPM: '2', DURATION: '1m' });

  it('detects 429s answered once the limit is spent', async () => {
    await setMockFaults({ fail_rate: 0.5, status: 429 });
    try {
      const r = await runScript(script('limits'), limitEnv(), 6);
      assert.deepEqual(r.failedChecks, []);
      assert.deepEqual(r.crossed, []);
      assert.equal(r.metrics.get('rate_limited')?.samples.filter((s) => s.value === 1).length, 3);
    } finally {
      await setMockFaults({});
    }
  });

  it('reports a key that is never limited', async () => {
    const r = await runScript(script('limits'), limitEnv(), 6);
    const crossed = r.crossed.map((t) => t.metric).sort();
    assert.deepEqual(crossed, ['accepted_requests', 'rate_limited']);
  });

  it('with EXPECT_LIMITED=0, passes a key under its limit and flags one that is limited', async () => {
    const under = await runScript(script('limits'), { ...limitEnv(), EXPECT_LIMITED: '0', LIMIT_RPM: '100' }, 4);
    assert.deepEqual(under.crossed, []);
    await setMockFaults({ fail_rate: 0.5, status: 429 });
    try {
      const over = await runScript(script('limits'), { ...limitEnv(), EXPECT_LIMITED: '0', LIMIT_RPM: '100' }, 4);
      assert.deepEqual(over.crossed.map((t) => t.metric), ['rate_limited']);
    } finally {
      await setMockFaults({});
    }
  });
});
