import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseUsageSniffer, usageFromJson } from './usage.js';

describe('usage extraction', () => {
  it('reads usage from the end of a JSON response, including cached tokens', () => {
    const body = Buffer.from(
      JSON.stringify({ id: 'x', choices: [{ message: { content: 'the "usage" word {in} text' } }], usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12, prompt_tokens_details: { cached_tokens: 3 } } }),
    );
    assert.deepEqual(usageFromJson(body), { promptTokens: 7, completionTokens: 5, totalTokens: 12, cachedPromptTokens: 3 });
  });

  it('returns undefined for null or absent usage', () => {
    assert.equal(usageFromJson(Buffer.from('{"usage":null}')), undefined);
    assert.equal(usageFromJson(Buffer.from('{"choices":[]}')), undefined);
  });

  it('finds usage in an SSE stream even when the event is split across reads', () => {
    const event = 'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":9,"total_tokens":11}}\n\ndata: [DONE]\n\n';
    for (let cut = 1; cut < event.length; cut += 7) {
      const s = new SseUsageSniffer();
      s.observe(Buffer.from('data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n'));
      s.observe(Buffer.from(event.slice(0, cut)));
      s.observe(Buffer.from(event.slice(cut)));
      assert.deepEqual(s.usage, { promptTokens: 2, completionTokens: 9, totalTokens: 11 }, `cut at ${cut}`);
    }
  });
});
