import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startLocalEdge, type LocalEdge } from './server.js';

// A tiny function in the CloudFront style: answers /blocked from the KVS, tags everything else.
const FUNCTION = `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const r = event.request;
  if (r.uri === '/kvs') {
    let v = 'none';
    try { v = await kvs.get('flag'); } catch (e) { v = 'missing'; }
    return { statusCode: 200, headers: { 'x-flag': { value: v } }, body: { encoding: 'text', data: v } };
  }
  r.headers['x-edge-tag'] = { value: 'tagged' };
  if (r.uri === '/other') cf.selectRequestOriginById('other');
  return r;
}
`;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let dir: string;
let origin: Server;
let other: Server;
let edge: LocalEdge;
let base: string;
const seen: Seen[] = [];
let sseClosed: Promise<void>;
let resolveSseClosed: () => void;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyway-edge-'));
  writeFileSync(join(dir, 'fn.js'), FUNCTION);
  sseClosed = new Promise((r) => (resolveSseClosed = r));
  origin = createServer((req, res) => {
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      // Never ends by itself: the test reads one event, goes away, and expects this request to be aborted.
      res.on('close', () => resolveSseClosed());
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(201, { 'content-type': 'application/json', 'x-origin': 'main' });
      res.end(JSON.stringify({ echoed: Buffer.concat(chunks).length }));
    });
  });
  other = createServer((_req, res) => res.end('other origin'));
  const originUrl = await listen(origin);
  const otherUrl = await listen(other);
  edge = await startLocalEdge({
    host: '127.0.0.1', port: 0, originUrl, kvsFile: join(dir, 'kvs.json'), functionFile: join(dir, 'fn.js'),
    origins: { other: otherUrl },
  });
  base = `http://127.0.0.1:${edge.port}`;
});

after(async () => {
  await edge.close();
  origin.closeAllConnections();
  other.closeAllConnections();
  await new Promise((r) => origin.close(r));
  await new Promise((r) => other.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('proxies method, path, query, headers and body; adds what the function added', async () => {
  const body = JSON.stringify({ hello: 'x'.repeat(100_000) });
  const res = await request(`${base}/v1/chat/completions?a=1&a=2&b`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2' },
  });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['x-origin'], 'main');
  assert.deepEqual(await res.body.json(), { echoed: body.length });
  const s = seen.at(-1)!;
  assert.equal(s.method, 'POST');
  assert.equal(s.url, '/v1/chat/completions?a=1&a=2&b');
  assert.equal(s.headers['x-edge-tag'], 'tagged');
  assert.equal(s.headers['cookie'], 'c1=v1; c2=v2');
  assert.equal(s.body, body);
});

test('the function answers from the KVS file, re-read when it changes', async () => {
  const r1 = await request(`${base}/kvs`);
  assert.equal(await r1.body.text(), 'missing');
  writeFileSync(join(dir, 'kvs.json'), JSON.stringify({ flag: 'on' }));
  const r2 = await request(`${base}/kvs`);
  assert.equal(r2.headers['x-flag'], 'on');
  assert.equal(await r2.body.text(), 'on');
  writeFileSync(join(dir, 'kvs.json'), JSON.stringify({ flag: 'off!' }));
  assert.equal(await (await request(`${base}/kvs`)).body.text(), 'off!');
});

test('selectRequestOriginById picks the origin', async () => {
  const res = await request(`${base}/other`);
  assert.equal(await res.body.text(), 'other origin');
});

test('SSE streams through before the origin ends, and a viewer abort aborts the origin request', async () => {
  const ac = new AbortController();
  const res = await request(`${base}/sse`, { signal: ac.signal });
  assert.equal(res.headers['content-type'], 'text/event-stream');
  for await (const chunk of res.body) {
    assert.match(String(chunk), /data: one/);
    break; // first event arrived while the origin keeps the stream open
  }
  ac.abort();
  await sseClosed; // the origin saw its request go away (the test would time out otherwise)
});

test('an unreachable origin gives a 502 marked as the edge', async () => {
  const e2 = await startLocalEdge({ host: '127.0.0.1', port: 0, originUrl: 'http://127.0.0.1:1', kvsFile: join(dir, 'none.json'), functionFile: join(dir, 'fn.js') });
  try {
    const res = await request(`http://127.0.0.1:${e2.port}/x`);
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['x-skyway-edge'], '1');
    assert.equal(((await res.body.json()) as { error: { code: string } }).error.code, 'origin_unreachable');
  } finally {
    await e2.close();
  }
});
