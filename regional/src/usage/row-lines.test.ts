/**
 * The embedded ClickHouse files' lines, built by hand (row-lines.ts), are byte for byte the JSON of the row
 * objects the ClickHouse client sink inserts (rows.ts): the console's request-log reader and `clickhouse local`
 * read those files, and a replayed batch must rewrite the same bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UsageEvent } from './event.js';
import { requestLogLine, traceLine } from './row-lines.js';
import { createHash } from 'node:crypto';
import { batchToken, genAiSpan, requestLogRow, spanIds, traceRow } from './rows.js';
import { makeEvent } from './test/events.js';

const T0 = Date.UTC(2026, 10, 30, 14, 0, 0, 7);

const base: UsageEvent = {
  requestId: 'req_0123456789abcdef',
  time: T0,
  keyId: null,
  teamId: null,
  userId: null,
  model: 'mock-1',
  deployment: 'mock-1/0',
  provider: 'openai',
  upstreamModel: 'mock-1-2024',
  region: 'eu-west-1',
  operation: 'chat',
  status: 200,
  errorCode: null,
  latency: { totalMs: 3.217, overheadMs: 0.204, upstreamMs: 3.013, ttfbMs: null },
  tokens: { prompt: 12, completion: 7, cached: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 },
  costUsd: 0,
  cacheHit: false,
  attempts: 1,
  stream: false,
};

/** Every kind of event the request path emits, and the odd ones a spool may hold. */
const cases: Record<string, UsageEvent> = {
  'JSON chat, master key, no price': base,
  'streamed chat with a virtual key, price and cache tokens': {
    ...base,
    requestId: 'req_stream_1',
    keyId: 'key_1',
    teamId: 'team_a',
    userId: 'user_b',
    stream: true,
    latency: { totalMs: 812.5, overheadMs: 0.731, upstreamMs: 811.769, ttfbMs: 95.25 },
    tokens: { prompt: 2048, completion: 512, cached: 1024, cacheWrite: 512, cacheWrite1h: 256, reasoning: 128 },
    costUsd: 0.012345,
    costByKind: { input: 0.001, cachedInput: 0.0005, cacheWrite: 0.002, output: 0.008, reasoning: 0.000845 },
    attemptLog: [{ deployment: 'mock-1/0', model: 'mock-1', status: 200, errorCode: null, durationMs: 811.7 }],
  },
  'failed after a retry and a fallback': {
    ...base,
    requestId: 'req_failed_1',
    status: 502,
    errorCode: 'upstream_error',
    attempts: 3,
    provider: 'bedrock',
    upstreamModel: null,
    tokens: { prompt: 0, completion: 0, cached: 0 },
    attemptLog: [
      { deployment: 'a/0', model: 'mock-1', status: 500, errorCode: 'upstream_error', durationMs: 12 },
      { deployment: 'a/1', model: 'mock-1', status: 0, errorCode: 'upstream_timeout', durationMs: 30000 },
      { deployment: 'b/0', model: 'mock-fallback', status: 503, errorCode: 'upstream_unavailable', durationMs: 4.5 },
    ],
  },
  'client gone (499), nothing sent': { ...base, requestId: 'req_gone', status: 499, errorCode: 'client_closed_request', deployment: null, provider: null, upstreamModel: null, attempts: 1 },
  'gateway cache hit': { ...base, requestId: 'req_cached', cacheHit: true, attempts: 0, deployment: null, provider: null, latency: { totalMs: 0.3, overheadMs: 0.3, upstreamMs: 0, ttfbMs: 0.29 } },
  'transcription (media units)': {
    ...base,
    requestId: 'req_audio',
    operation: 'transcriptions',
    model: 'whisper-1',
    provider: 'azure',
    units: { audioSeconds: 3.5 },
    tokens: { prompt: 0, completion: 0, cached: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 },
    costUsd: 0.00035,
  },
  'speech (characters), streamed': { ...base, requestId: 'req_speech', operation: 'speech', model: 'tts-1', stream: true, units: { characters: 120 }, costUsd: 0.0018 },
  'embeddings on vertex': { ...base, requestId: 'req_embed', operation: 'embeddings', provider: 'vertex', model: 'text-embedding-005' },
  'completions, client trace id, fractional start': { ...base, requestId: 'req_trace', operation: 'completions', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', time: T0 + 0.123456 },
  'invalid client trace id is replaced': { ...base, requestId: 'req_badtrace', traceId: 'NOT-HEX' },
  'strings that need escaping': {
    ...base,
    requestId: 'req_"quoted"\\',
    model: 'gpt-"4o"\n\u0001é\ud800',
    keyId: 'ключ',
    deployment: 'd\t1',
    errorCode: 'weird"code',
    status: 400,
    region: 'eu-"west"',
  },
  'non-finite and negative numbers': { ...base, requestId: 'req_nan', costUsd: Number.NaN, latency: { totalMs: Number.POSITIVE_INFINITY, overheadMs: -0, upstreamMs: -1.5, ttfbMs: 1e21 } },
  'old spooled event: optional fields absent': (() => {
    const e = { ...base, requestId: 'req_old', tokens: { prompt: 3, completion: 4, cached: 1 } } as Partial<UsageEvent>;
    delete e.upstreamModel;
    return e as UsageEvent;
  })(),
  'no request id (a damaged spool line)': (() => {
    const e = { ...base } as Partial<UsageEvent>;
    delete e.requestId;
    return e as UsageEvent;
  })(),
  'time in another second and year boundaries': { ...base, requestId: 'req_year', time: Date.UTC(2030, 0, 1, 0, 0, 0, 999) },
  'time at the epoch': { ...base, requestId: 'req_epoch', time: 0 },
};

test('row lines: the request-log line is JSON.stringify(requestLogRow(e)), byte for byte', () => {
  for (const [name, e] of Object.entries(cases)) {
    assert.equal(requestLogLine(e), JSON.stringify(requestLogRow(e)), name);
    assert.equal(requestLogLine(e, spanIds(e)), JSON.stringify(requestLogRow(e)), name);
  }
});

test('row lines: the trace line is JSON.stringify(traceRow(genAiSpan(e))), byte for byte', () => {
  for (const [name, e] of Object.entries(cases)) {
    for (const service of ['skyway-gateway', 'svc "x"']) {
      assert.equal(traceLine(e, service), JSON.stringify(traceRow(genAiSpan(e, service), e.requestId)), `${name} (${service})`);
    }
  }
});

test('row lines: synthetic batches over many seconds and days match the row objects', () => {
  let start = Date.UTC(2026, 0, 31, 23, 59, 58, 500);
  for (let i = 0; i < 3000; i++) {
    const e = makeEvent(i, 'lines', start);
    start += 7 + (i % 3) * 331; // crosses seconds, the day and the month
    assert.equal(requestLogLine(e), JSON.stringify(requestLogRow(e)), e.requestId);
    assert.equal(traceLine(e, 'skyway-gateway'), JSON.stringify(traceRow(genAiSpan(e, 'skyway-gateway'), e.requestId)), e.requestId);
  }
});

test('row lines: an event without a time fails as the row objects do (the batch goes to the spool, not a bad file)', () => {
  const e = { ...base, time: Number.NaN };
  assert.throws(() => requestLogRow(e), RangeError);
  assert.throws(() => requestLogLine(e), RangeError);
  assert.throws(() => traceLine(e, 'x'), RangeError);
});

test('batch token: the sha256 of the request ids, each followed by a newline (object keys and dedup tokens stay as they were)', () => {
  const batch = Array.from({ length: 500 }, (_, i) => makeEvent(i, 'tok'));
  const h = createHash('sha256');
  for (const e of batch) h.update(e.requestId).update('\n');
  assert.equal(batchToken(batch), h.digest('hex').slice(0, 32));
  assert.equal(batchToken([]), createHash('sha256').digest('hex').slice(0, 32));
  assert.equal(batchToken([{ ...base, requestId: 'ключ "x"' }]), createHash('sha256').update('ключ "x"').update('\n').digest('hex').slice(0, 32));
});
