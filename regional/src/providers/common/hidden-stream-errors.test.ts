/** In-band stream errors of a deployment that hides upstream error bodies: code kept, message replaced. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamTranslator, Usage } from '../adapter.js';
import { HiddenStreamErrors } from './hidden-stream-errors.js';

/** A pass-through translator: what the upstream sends is what the client would get. */
class PassThrough implements StreamTranslator {
  readonly usage: Usage | undefined = undefined;
  push(chunk: Buffer): Buffer {
    return chunk;
  }
  end(): string {
    return '';
  }
}

const SECRET = 'upstream at 10.0.3.7 says key sk-live-123 is over quota';

function run(pieces: string[]): string {
  const t = new HiddenStreamErrors(new PassThrough(), 'team-a/0');
  return pieces.map((p) => t.push(Buffer.from(p))).join('') + t.end();
}

test('an error event split across chunks keeps type and code and loses its message', () => {
  const content = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
  const error = `data: {"error":{"message":"${SECRET}","type":"upstream_error","code":"upstream_server_error","param":null}}\n\n`;
  const whole = content + error + 'data: [DONE]\n\n';
  for (const at of [5, content.length + 20, content.length + error.length - 3]) {
    const out = run([whole.slice(0, at), whole.slice(at)]);
    assert.ok(!out.includes('10.0.3.7') && !out.includes('sk-live'), out);
    assert.ok(out.startsWith(content), 'other events pass unchanged');
    const ev = JSON.parse(out.slice(content.length).split('\n')[0]!.slice(6)) as { error: { code: string; type: string; message: string } };
    assert.equal(ev.error.code, 'upstream_server_error');
    assert.equal(ev.error.type, 'upstream_error');
    assert.match(ev.error.message, /team-a\/0/);
    assert.ok(out.endsWith('data: [DONE]\n\n'));
  }
});

test("Anthropic's error event shape and CRLF framing are rewritten too", () => {
  const out = run([`event: error\r\ndata: {"type":"error","error":{"type":"overloaded_error","message":"${SECRET}"}}\r\n\r\n`]);
  assert.ok(!out.includes('sk-live'), out);
  assert.match(out, /"type":"overloaded_error"/);
  assert.match(out, /^event: error\r\n/);
});

test('content that merely mentions "error" is not altered', () => {
  const ev = 'data: {"choices":[{"delta":{"content":"the \\"error\\" word"}}]}\n\n';
  assert.equal(run([ev]), ev);
});

test('a character split across upstream chunks arrives whole', () => {
  const ev = Buffer.from('data: {"choices":[{"delta":{"content":"é😀"}}]}\n\n');
  const t = new HiddenStreamErrors(new PassThrough(), 'team-a/0');
  const at = ev.indexOf(Buffer.from('😀')) + 2;
  const out = t.push(ev.subarray(0, at)) + t.push(ev.subarray(at)) + t.end();
  assert.equal(out, ev.toString('utf8'));
});
