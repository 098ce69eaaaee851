/**
 * The fuzz harness judges the gateway; these tests judge the harness: its response parser and invariants must
 * reject what a broken server sends, and accept what a correct one sends (no gateway needed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FuzzCase } from '../../test-support/fuzz/generators.js';
import { checkExchange, expectsAnswer, routeOf } from '../../test-support/fuzz/invariants.js';
import { createServer, type AddressInfo } from 'node:net';
import { parseResponse, send, type Exchange } from '../../test-support/fuzz/raw-client.js';
import { abbreviate, renderBody, renderRequest } from '../../test-support/fuzz/request.js';

const chat: FuzzCase = {
  method: 'POST',
  target: '/v1/chat/completions',
  auth: 'key',
  headers: [],
  contentType: 'application/json',
  body: { kind: 'json', value: { model: 'mock-1', messages: [] } },
  framing: 'content-length',
  pieces: 1,
  abort: { at: 'never' },
};

function answered(raw: string, headRequest = false): Exchange {
  const p = parseResponse(Buffer.from(raw, 'latin1'), headRequest, true);
  if ('error' in p) return { kind: 'malformed', reason: p.error, raw: Buffer.from(raw) };
  assert.ok(p.done);
  return { kind: 'answered', response: p.response, extra: [] };
}

const json = (status: string, body: string) => `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const OPENAI_ERROR = '{"error":{"message":"bad","type":"invalid_request_error","code":"invalid_body","param":null}}';

test('accepts an OpenAI error, a chat completion and a well-formed stream', () => {
  assert.equal(checkExchange(chat, answered(json('400 Bad Request', OPENAI_ERROR))), undefined);
  assert.equal(checkExchange(chat, answered(json('200 OK', '{"object":"chat.completion","choices":[]}'))), undefined);
  const sse = 'data: {"object":"chat.completion.chunk"}\n\ndata: [DONE]\n\n';
  const stream = `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${sse.length.toString(16)}\r\n${sse}\r\n0\r\n\r\n`;
  assert.equal(checkExchange(chat, answered(stream)), undefined);
  assert.equal(checkExchange({ ...chat, abort: { at: 'after-send', ms: 0 } }, { kind: 'closed' }), undefined);
});

test('rejects 500, wrong error shapes, bodies on HEAD, truncated bodies and silence', () => {
  assert.equal(checkExchange(chat, answered(json('500 Internal Server Error', OPENAI_ERROR)))?.kind, 'server-error-5xx');
  assert.equal(checkExchange(chat, answered(json('502 Bad Gateway', OPENAI_ERROR))), undefined);
  assert.equal(checkExchange(chat, answered(json('400 Bad Request', '{"error":"bad"}')))?.kind, 'bad-error-shape');
  assert.equal(checkExchange(chat, answered(json('404 Not Found', '{"type":"error","error":{"type":"x","message":"y"}}')))?.kind, 'bad-error-shape', 'the Anthropic shape only on /v1/messages');
  assert.equal(checkExchange({ ...chat, target: '/v1/messages' }, answered(json('404 Not Found', '{"type":"error","error":{"type":"x","message":"y"}}'))), undefined);
  // The router answers in Anthropic's shape for every method and sub-path under /messages.
  assert.equal(checkExchange({ ...chat, method: 'DELETE', target: '/messages/x%20y?a' }, answered(json('404 Not Found', '{"type":"error","error":{"type":"x","message":"y"}}'))), undefined);
  assert.equal(checkExchange({ ...chat, target: '/v1/messagesx' }, answered(json('404 Not Found', '{"type":"error","error":{"type":"x","message":"y"}}')))?.kind, 'bad-error-shape');
  assert.equal(checkExchange(chat, answered(json('200 OK', '{"object":"list","data":[]}')))?.kind, 'bad-success-shape');
  assert.equal(checkExchange({ ...chat, method: 'HEAD' }, answered(json('404 Not Found', OPENAI_ERROR), true)), undefined, 'the head alone is read');
  const truncated = 'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"object"';
  assert.equal(checkExchange(chat, answered(truncated))?.kind, 'malformed-http');
  assert.equal(checkExchange(chat, { kind: 'timeout', partial: Buffer.alloc(0) })?.kind, 'no-answer');
  assert.equal(checkExchange({ ...chat, target: '/v1/chat completions' }, { kind: 'timeout', partial: Buffer.alloc(0) }), undefined, 'an invalid request line may go unanswered');
  assert.equal(checkExchange({ ...chat, framing: 'conflicting-content-length' }, answered(json('200 OK', '{"object":"chat.completion","choices":[]}')))?.kind, 'ambiguous-framing-accepted');
});

test('routes, request rendering and reproducers', () => {
  assert.equal(routeOf('GET', '/v1/models/%ZZ'), 'model');
  assert.equal(routeOf('POST', '/chat/completions?x=1'), 'chat');
  assert.equal(routeOf('GET', '/v1/chat/completions'), undefined);
  assert.equal(expectsAnswer(chat), true);
  assert.equal(expectsAnswer({ ...chat, headers: [['x', 'a\nb']] }), false);
  const deep = renderBody({ kind: 'splice', value: { model: 'm' }, field: 'x', raw: { nest: '[', depth: 3 } });
  assert.equal(deep.toString(), '{"model":"m","x":[[[1]]]}');
  const wire = renderRequest({ ...chat, framing: 'chunked', pieces: 2 }, { key: 'k', masterKey: 'm' });
  const text = Buffer.concat(wire.pieces).toString();
  assert.match(text, /^POST \/v1\/chat\/completions HTTP\/1\.1\r\nhost: 127\.0\.0\.1\r\nauthorization: Bearer k\r\n/);
  assert.match(text, /transfer-encoding: chunked\r\n\r\n[0-9a-f]+\r\n/);
  assert.ok(text.endsWith('0\r\n\r\n'));
  assert.equal(abbreviate('['.repeat(200_000)), '⟨"[" × 200000⟩');
});

test('a close after only an interim 100 Continue counts as a close without an answer, a cut final answer does not', async () => {
  const replies = ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 50\r\n\r\n{"err'];
  const server = createServer((sock) => {
    sock.once('data', () => sock.end(replies.shift() ?? ''));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const opts = { port, pieces: [Buffer.from('POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 1\r\n\r\nx')], headRequest: false, abort: { at: 'never' } as const, timeoutMs: 2000 };
    assert.equal((await send(opts)).kind, 'closed');
    assert.equal((await send(opts)).kind, 'malformed');
  } finally {
    server.close();
  }
});
