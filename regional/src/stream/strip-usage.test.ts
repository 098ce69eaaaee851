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
});
