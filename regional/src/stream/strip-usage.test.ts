import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageChunkFilter } from './strip-usage.js';

const events = [
  'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n',
  'data: {"choices":[{"delta":{},"finish_reason":"stop"}],"usage":null}\n\n',
  'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n',
  'data: [DONE]\n\n',
].join('');

describe('UsageChunkFilter', () => {
  it('drops only the usage-only event, wherever the stream is cut', () => {
    const expected = events.replace(/data: \{"choices":\[\],"usage":\{[^\n]*\n\n/, '');
    for (let cut = 1; cut < events.length; cut += 5) {
      const f = new UsageChunkFilter();
      const out = Buffer.concat([f.push(Buffer.from(events.slice(0, cut))), f.push(Buffer.from(events.slice(cut))), f.end('')]).toString();
      assert.equal(out, expected, `cut at ${cut}`);
    }
  });

  it('passes whole events through without copying when nothing is held', () => {
    const f = new UsageChunkFilter();
    const chunk = Buffer.from('data: {"choices":[{"delta":{"content":"x"}}]}\n\n');
    assert.equal(f.push(chunk), chunk);
  });

  it('frames CRLF events as they arrive, and drops the usage event among them', () => {
    const crlf = events.replaceAll('\n', '\r\n');
    const f = new UsageChunkFilter();
    const first = f.push(Buffer.from(crlf.slice(0, crlf.indexOf('\r\n\r\n') + 4)));
    assert.equal(first.toString(), 'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\r\n\r\n', 'a complete CRLF event is passed on at once');
    const rest = Buffer.concat([f.push(Buffer.from(crlf.slice(first.length))), f.end('')]).toString();
    assert.equal(first.toString() + rest, crlf.replace(/data: \{"choices":\[\],"usage":\{[^\r]*\r\n\r\n/, ''));
  });

  it('holds a long unframed stream whole until its boundary (many small chunks)', () => {
    const f = new UsageChunkFilter();
    const piece = Buffer.from('x'.repeat(64));
    let held = 0;
    // 40,000 chunks (2.5 MB): quadratic concatenation would copy ~50 GB.
    for (let i = 0; i < 40_000; i++) held += f.push(piece).length;
    const out = f.end('\n\n');
    assert.equal(held + out.length, 40_000 * 64 + 2);
  });
});
