/**
 * Routing through the real gateway process with mock upstreams on 127.0.0.1: one of two deployments returns
 * 500s or hangs and every request still succeeds; the failing deployment is cooled down, then probed back in
 * once it recovers; fallbacks to another model; streams retried only before their first byte; a 400 is not
 * retried. Counts come from the mocks' own statistics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream, type Faults, type MockUpstream } from '../../loadtest/mock/server.js';
import { startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

/** Failures that open a circuit, and how long it stays open. Long enough that a burst of local requests fits. */
const THRESHOLD = 2;
const COOLDOWN_MS = 1000;
const HANG_TIMEOUT_MS = 300;

const MOCKS = ['a500', 'b500', 'aHang', 'bHang', 'primary', 'rescue', 'aStream', 'bStream', 'aCut', 'bCut'] as const;
type MockName = (typeof MOCKS)[number];
const mocks = {} as Record<MockName, MockUpstream>;
let gw: GatewayProcess;
let client: OpenAI;

/** A model with deployments `<name>-a` (weighted a million to one, so it is tried first) and `<name>-b`. */
function pair(name: string, a: MockName, b: MockName, aExtra = ''): string {
  const dep = (id: string, m: MockName, weight: number, extra: string) =>
    `      - id: ${id}\n        provider: openai\n        model: mock-1\n        api_base: ${mocks[m].url}/v1\n        weight: ${weight}\n${extra}`;
  return `  - name: ${name}\n    deployments:\n${dep(`${name}-a`, a, 1_000_000, aExtra)}${dep(`${name}-b`, b, 1, '')}`;
}

before(async () => {
  for (const m of MOCKS) mocks[m] = await startMockUpstream({ port: 0 });
  const config =
    `router:\n  retry: { max_attempts: 4, same_deployment_retries: 0, base_delay_ms: 10, max_delay_ms: 50 }\n` +
    `  cooldown: { failure_threshold: ${THRESHOLD}, window_ms: 60000, cooldown_ms: ${COOLDOWN_MS}, probe_timeout_ms: 5000 }\n` +
    'models:\n' +
    pair('duo', 'a500', 'b500') +
    pair('slow', 'aHang', 'bHang', `        timeout_ms: ${HANG_TIMEOUT_MS}\n`) +
    // Both deployments of `primary` on one failing mock; `rescue` is its fallback.
    `  - name: primary\n    fallbacks: [rescue]\n    deployments:\n` +
    `      - { id: primary-a, provider: openai, model: mock-1, api_base: "${mocks.primary.url}/v1" }\n` +
    `      - { id: primary-b, provider: openai, model: mock-1, api_base: "${mocks.primary.url}/v1" }\n` +
    `  - name: rescue\n    deployments:\n      - { id: rescue-a, provider: openai, model: mock-1, api_base: "${mocks.rescue.url}/v1" }\n` +
    pair('streamy', 'aStream', 'bStream') +
    pair('cut', 'aCut', 'bCut');
  gw = await startGatewayProcess({ config });
  client = new OpenAI({ apiKey: gw.masterKey, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 15_000 });
});

after(async () => {
  await gw?.stop();
  for (const m of MOCKS) await mocks[m]?.close();
});

interface Served {
  status: number;
  deployment: string | null;
  attempts: number;
  fallback: string | null;
  body: string;
}

/** One chat request with the gateway's routing headers; `mock` faults travel in the body to the upstream. */
async function chat(model: string, extra: { stream?: boolean; mock?: Faults } = {}): Promise<Served> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'route me' }], max_tokens: 5, ...extra }),
  });
  return {
    status: res.status,
    deployment: res.headers.get('x-skyway-deployment'),
    attempts: Number(res.headers.get('x-skyway-attempts')),
    fallback: res.headers.get('x-skyway-fallback-model'),
    body: await res.text(),
  };
}

const total = (m: MockName) => mocks[m].stats().requests['/v1/chat/completions'] ?? 0;

/**
 * A failing deployment of two: requests succeed on B, A opens its circuit after THRESHOLD failures, and
 * after it recovers and the cooldown passes the next request probes it and it serves again.
 */
async function failThenRecover(model: string, a: MockName, b: MockName, fault: Faults): Promise<void> {
  mocks[a].setFaults(fault);
  const started = Date.now();
  const served: Served[] = [];
  for (let i = 0; i < 6; i++) served.push(await chat(model));
  const burstMs = Date.now() - started;
  for (const s of served) {
    assert.equal(s.status, 200, s.body);
    assert.equal(s.deployment, `${model}-b`);
    assert.ok(s.attempts >= 1);
  }
  // The weight sends the first requests to A: they fail over to B within the same request.
  assert.equal(served[0]!.attempts, 2);
  assert.equal(total(a), THRESHOLD, `A should have been taken out after ${THRESHOLD} failures`);
  if (burstMs < COOLDOWN_MS) {
    // Still inside the cooldown: the rest went straight to B.
    assert.deepEqual(served.slice(THRESHOLD).map((s) => s.attempts), new Array(served.length - THRESHOLD).fill(1));
  }
  assert.equal(total(b), served.length);

  mocks[a].setFaults({});
  const completedBefore = mocks[a].stats().completed;
  await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
  const probe = await chat(model);
  assert.equal(probe.status, 200, probe.body);
  assert.equal(probe.deployment, `${model}-a`, 'the first request after the cooldown probes A');
  assert.equal(probe.attempts, 1);
  const after = await chat(model);
  assert.equal(after.deployment, `${model}-a`, 'A closed its circuit and takes its (weighted) share again');
  assert.equal(mocks[a].stats().completed, completedBefore + 2);
}

describe('routing through the gateway process', () => {
  it('one deployment returning 500s: every request succeeds, A cools down and is probed back in', async () => {
    await failThenRecover('duo', 'a500', 'b500', { status: 500 });
    assert.equal(mocks.a500.stats().faulted, THRESHOLD);
  });

  it('one deployment hanging past its timeout: the same, through the upstream timeout', async () => {
    await failThenRecover('slow', 'aHang', 'bHang', { hang: true });
    // The gateway gave up on the hung requests (the mock saw its client leave).
    assert.equal(mocks.aHang.stats().aborted, THRESHOLD);
  });

  it('falls back to the next model when every deployment of the first fails', async () => {
    mocks.primary.setFaults({ status: 503 });
    const s = await chat('primary');
    assert.equal(s.status, 200, s.body);
    assert.equal(s.fallback, 'rescue');
    assert.equal(s.deployment, 'rescue-a');
    assert.equal(s.attempts, 3);
    assert.equal(total('primary'), 2, 'each deployment of primary tried once');
    assert.equal(total('rescue'), 1);
    assert.equal((JSON.parse(s.body) as { object: string }).object, 'chat.completion');
  });

  it('a stream is retried on another deployment before its first byte', async () => {
    mocks.aStream.setFaults({ status: 500 });
    const stream = await client.chat.completions
      .create({ model: 'streamy', messages: [{ role: 'user', content: 'stream' }], max_tokens: 4, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    assert.equal(stream.response.headers.get('x-skyway-deployment'), 'streamy-b');
    assert.equal(stream.response.headers.get('x-skyway-attempts'), '2');
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream.data) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    assert.equal(text.trim().split(/\s+/).length, 4);
    assert.equal(usage?.completion_tokens, 4);
    assert.equal(total('aStream'), 1);
    assert.equal(total('bStream'), 1);
  });

  it('a stream that broke after its first byte is not retried', async () => {
    const s = await chat('cut', { stream: true, mock: { chunks: 20, error_after_chunks: 2, chunk_delay_ms: 5 } });
    assert.equal(s.status, 200);
    assert.equal(s.deployment, 'cut-a');
    const events = s.body.split('\n\n').filter((e) => e.startsWith('data: '));
    const content = events.filter((e) => e.includes('"delta"'));
    assert.ok(content.length >= 1, `the client got the first chunks: ${s.body}`);
    const last = events.at(-1)!;
    assert.ok(last.includes('"error"'), `the stream ends with an in-band error: ${last}`);
    assert.ok(!s.body.includes('data: [DONE]'), 'a broken stream is not reported as complete');
    assert.equal(total('aCut') + total('bCut'), 1, 'exactly one upstream request');
  });

  it('a 400 from the upstream is passed on, not retried', async () => {
    mocks.aCut.reset();
    mocks.bCut.reset();
    const s = await chat('cut', { mock: { status: 400 } });
    assert.equal(s.status, 400, s.body);
    const err = (JSON.parse(s.body) as { error: { type: string; message: string } }).error;
    assert.equal(err.type, 'invalid_request_error');
    assert.equal(total('aCut') + total('bCut'), 1, 'exactly one upstream request');
  });
});
