/**
 * The CPU cost of request validation (`npm run bench:validation`): µs per body for the bounded parse (depth
 * scan + JSON.parse) plus the endpoint's validator, next to plain JSON.parse of the same bytes, for a typical
 * 1.2 KB chat body and for 1 MB bodies (one long message; thousands of small ones).
 */
import { jsonDepth, parseRequestBody, validateAnthropicMessages, parseJsonObject } from '../regional/src/validation/index.js';

function typicalChat(): Buffer {
  const body = {
    model: 'gpt-4o-mini',
    temperature: 0.7,
    max_tokens: 256,
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: 'You are a helpful assistant for a travel company. Answer briefly and cite the booking rules when relevant.' },
      { role: 'user', content: 'I need to change my flight from Lisbon to Berlin next Tuesday. What are my options, and what will it cost me?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'find_booking', arguments: '{"route":"LIS-BER","date":"2025-03-11"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc123', content: '{"booking":"XK29F","fare":"light","change_fee_eur":70,"alternatives":["2025-03-12T07:10","2025-03-12T18:45"]}' },
      { role: 'user', content: 'The morning one please, and can I add a checked bag?' },
    ],
    tools: [
      { type: 'function', function: { name: 'find_booking', description: 'Look up a booking by route and date', parameters: { type: 'object', properties: { route: { type: 'string' }, date: { type: 'string' } }, required: ['route', 'date'] } } },
      { type: 'function', function: { name: 'add_bag', description: 'Add a checked bag to a booking', parameters: { type: 'object', properties: { booking: { type: 'string' } }, required: ['booking'] } } },
    ],
  };
  return Buffer.from(JSON.stringify(body));
}

function oneLongMessage(bytes: number): Buffer {
  const words = 'the quick brown fox jumps over the lazy dog and keeps on running through the field ';
  const text = words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes);
  return Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text }] }));
}

function manyMessages(bytes: number): Buffer {
  const messages: unknown[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const m = i % 2 === 0 ? { role: 'user', content: [{ type: 'text', text: `question number ${i} about the harbour` }] } : { role: 'assistant', content: `answer number ${i}, briefly` };
    size += JSON.stringify(m).length + 1;
    messages.push(m);
  }
  return Buffer.from(JSON.stringify({ model: 'm', messages }));
}

/** Median µs per call over `rounds` timed batches. */
function measure(fn: () => void, budgetMs: number): number {
  for (let i = 0; i < 20; i++) fn();
  const samples: number[] = [];
  const stopAt = performance.now() + budgetMs;
  while (performance.now() < stopAt || samples.length < 5) {
    const t = performance.now();
    let n = 0;
    do {
      fn();
      n++;
    } while (performance.now() - t < 20);
    samples.push(((performance.now() - t) * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const cases: Array<[string, Buffer]> = [
  ['typical chat', typicalChat()],
  ['1 MB, one message', oneLongMessage(1024 * 1024)],
  ['1 MB, many messages', manyMessages(1024 * 1024)],
];

const fmt = (x: number) => (x < 100 ? x.toFixed(1) : x.toFixed(0)).padStart(9);
console.log(`${'body'.padEnd(22)}${'bytes'.padStart(9)}${'JSON.parse'.padStart(12)}${'depth scan'.padStart(12)}${'validated'.padStart(12)}   (µs per body, median)`);
for (const [name, raw] of cases) {
  const plain = measure(() => JSON.parse(raw.toString('utf8')), 600);
  const scan = measure(() => jsonDepth(raw), 600);
  const full = measure(() => parseRequestBody(raw, 'chat'), 600);
  console.log(`${name.padEnd(22)}${String(raw.length).padStart(9)}   ${fmt(plain)}   ${fmt(scan)}   ${fmt(full)}`);
}
const anthropic = Buffer.from(JSON.stringify({ model: 'claude', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'I need to change my flight from Lisbon to Berlin next Tuesday.' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'find_booking', input: { route: 'LIS-BER' } }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"fare":"light"}' }] }] }));
const a = measure(() => validateAnthropicMessages(parseJsonObject(anthropic)), 600);
console.log(`${'anthropic messages'.padEnd(22)}${String(anthropic.length).padStart(9)}   ${fmt(measure(() => JSON.parse(anthropic.toString('utf8')), 600))}   ${fmt(measure(() => jsonDepth(anthropic), 600))}   ${fmt(a)}`);
