/**
 * Every validator, fed valid bodies with one value somewhere replaced by junk, either accepts the body or throws
 * a catalogue 400 — never a TypeError or anything else that would become a 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../errors/catalogue.js';
import { validateAnthropicMessages, validateOpenAIRequest } from './index.js';

type J = unknown;

const JUNK: J[] = [null, undefined, 0, -1, 1.5, 1e308, -1e308, '', 'x', 'user', 'function', 'text', true, false, [], [null], [{}], {}, { type: 'text' }, { type: 'function' }, '\ud800', '__proto__'];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Paths of every value in `v` (object keys and array indices). */
function paths(v: J, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function mutate(body: Record<string, unknown>, rand: () => number): Record<string, unknown> {
  const copy = structuredClone(body);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[Math.floor(rand() * all.length)]!;
  let parent = copy as Record<string | number, J>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, J>;
  const last = path.at(-1)!;
  const junk = JUNK[Math.floor(rand() * JUNK.length)];
  if (junk === undefined) delete parent[last];
  else parent[last] = structuredClone(junk);
  return copy;
}

const chat = {
  model: 'm', temperature: 1, top_p: 0.5, n: 2, max_tokens: 9, logprobs: true, top_logprobs: 2, seed: 1, stream: true, stream_options: { include_usage: true }, stop: ['a'],
  messages: [
    { role: 'system', content: [{ type: 'text', text: 's' }] },
    { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'u', detail: 'low' } }, { type: 'input_audio', input_audio: { data: 'A', format: 'wav' } }, { type: 'file', file: { file_id: 'f' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c', content: 'r' },
  ],
  tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true } }],
  tool_choice: { type: 'function', function: { name: 'f' } },
  response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'object' } } },
};
const anthropic = {
  model: 'c', max_tokens: 4000, temperature: 0.5, top_k: 3, stop_sequences: ['x'], system: [{ type: 'text', text: 's' }], metadata: { user_id: 'u' },
  thinking: { type: 'enabled', budget_tokens: 2000 },
  tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'f' },
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A' } }] },
    { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'tool_use', id: 't', name: 'f', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'r' }], is_error: false }] },
  ],
};

const VALIDATORS: Array<[string, Record<string, unknown>, (b: Record<string, unknown>) => unknown]> = [
  ['chat', chat, (b) => validateOpenAIRequest(b, 'chat')],
  ['completions', { model: 'm', prompt: [[1, 2], [3]], n: 2, best_of: 3, logprobs: 2, echo: true }, (b) => validateOpenAIRequest(b, 'completions')],
  ['embeddings', { model: 'm', input: ['a', 'b'], dimensions: 3, encoding_format: 'float' }, (b) => validateOpenAIRequest(b, 'embeddings')],
  ['anthropic', anthropic, (b) => validateAnthropicMessages(b)],
];

describe('validators under mutation', () => {
  for (const [name, body, validate] of VALIDATORS) {
    it(`${name}: 3,000 mutated bodies end in acceptance or a 400`, () => {
      assert.doesNotThrow(() => validate(body), 'the base body is valid');
      const rand = seeded(name.length * 7919);
      let refused = 0;
      for (let i = 0; i < 3000; i++) {
        const m = mutate(body, rand);
        try {
          validate(m);
        } catch (err) {
          assert.ok(err instanceof GatewayError, `${String(err)} for ${JSON.stringify(m)}`);
          assert.equal(err.status, 400);
          refused++;
        }
      }
      assert.ok(refused > 1000, `only ${refused} of 3,000 refused`);
    });
  }
});
