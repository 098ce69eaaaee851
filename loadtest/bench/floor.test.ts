/**
 * The floor must be a correct proxy, or every ratio in the benchmark is against the wrong thing: JSON and
 * streamed answers pass through byte for byte, bad JSON is refused, and two loops share the port.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { distRoot } from '../../test-support/paths.js';
import { startMockUpstream } from '../mock/server.js';
import { spawnNode, waitForLine } from '../support/processes.js';
import { chatBody } from './bodies.js';

test('floor proxy: JSON and SSE pass through unchanged, bad JSON gets 400, --threads 2 serves on one port', async (t) => {
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const p = spawnNode({ args: [join(distRoot(), 'loadtest/bench/floor.js'), '--upstream', mock.url, '--threads', '2'] });
  t.after(() => p.stop());
  const url = (await waitForLine(p, /floor listening on (http:\/\/\S+?)\/v1 \(2 loops\)/, 10_000))[1]!;

  for (const stream of [false, true]) {
    const body = chatBody(1024, stream);
    assert.equal(Buffer.byteLength(body), 1024);
    const direct = await (await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body })).text();
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', stream ? /text\/event-stream/ : /application\/json/);
    // The mock is deterministic but for its `created` second, which may tick between the two calls.
    const sameSecond = (text: string) => text.replace(/"created":\d+/g, '"created":0');
    assert.equal(sameSecond(await res.text()), sameSecond(direct), 'the answer arrives unchanged');
  }
  const bad = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: '{"model":' });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_json');
});
