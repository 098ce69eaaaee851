import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionText } from './completion-text.js';

const stream = [
  'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n',
  'data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n',
  'data: {"choices":[{"delta":{"content":", \\"world\\"\\n\\u00e9"}}]}\n\n',
  'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]}}]}\n\n',
  'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"Paris\\"}"}}]}}]}\n\n',
  'data: [DONE]\n\n',
].join('');

describe('CompletionText', () => {
  it('keeps the content and tool-argument text, wherever the stream is cut', () => {
    const expected = 'Hello, "world"\né{"city":"Paris"}';
    for (let cut = 1; cut < stream.length; cut += 3) {
      const t = new CompletionText();
      t.observe(Buffer.from(stream.slice(0, cut)));
      t.observe(Buffer.from(stream.slice(cut)));
      assert.equal(t.text(), expected, `cut at ${cut}`);
    }
  });
});
