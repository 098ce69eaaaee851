/**
 * recordUsage's two outputs keep their bytes: the usage event's JSON (spool, archive) is what the earlier
 * spread-built event gave, and the access-log line written from the request's state (`infoFields`) is the line
 * pino writes for the same fields.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Principal } from '../auth/principal.js';
import { accessLogOf, infoLine, registerAccessLog } from '../logging/access-log.js';
import type { LineBuffer } from '../logging/line-buffer.js';
import type { Deployment } from '../providers/adapter.js';
import type { UsageEvent } from './event.js';
import { accessLogFields, accessLogObject, eventTokens, recordUsage, type RequestEnd, type RequestFacts, type RequestOutcome } from './usage-event.js';

const deployment = { id: 'mock-1/0', provider: 'anthropic', upstreamModel: 'claude-x' } as Deployment;
const principal = { kind: 'key', keyId: 'key_1', team: { id: 'team_a' }, user: { id: 'user_b' } } as unknown as Principal;

const json: RequestFacts = {
  op: 'chat', model: 'mock-1', principal: undefined, deployment, errorCode: undefined, stream: false, attempts: 1, cacheHit: false,
  usageCounted: false, usage: { promptTokens: 12, completionTokens: 7, totalTokens: 19 }, costUsd: 0,
  attemptLog: [{ deployment: 'mock-1/0', model: 'mock-1', status: 200, errorCode: null, durationMs: 3.01 }],
};

/** Representative requests: JSON, streamed with every token kind and a price, failed, media, cache hit, odd strings. */
const cases: Record<string, [RequestFacts, RequestEnd]> = {
  'JSON chat, master key': [json, { requestId: 'req_1', status: 200, totalMs: 3.2174, overheadMs: 0.2041, upstreamMs: 3.0133, ttfbMs: null }],
  'streamed, virtual key, cache and reasoning tokens, priced, counted by the gateway': [
    {
      ...json, principal, stream: true, usageCounted: true,
      usage: { promptTokens: 2048, completionTokens: 512, totalTokens: 2560, cachedPromptTokens: 1024, cacheWriteTokens: 512, cacheWrite1hTokens: 256, reasoningTokens: 128 },
      costUsd: 0.012345, costByKind: { input: 0.001, cachedInput: 0.0005, cacheWrite: 0.002, output: 0.008, reasoning: 0.000845 },
    },
    { requestId: 'req_2', status: 200, totalMs: 812.5, overheadMs: 0.7312, upstreamMs: 811.77, ttfbMs: 95.2519 },
  ],
  'failed after retries, no usage': [
    { ...json, errorCode: 'upstream_error', attempts: 3, usage: undefined, attemptLog: [
      { deployment: 'a/0', model: 'mock-1', status: 500, errorCode: 'upstream_error', durationMs: 12 },
      { deployment: 'a/1', model: 'mock-1', status: 0, errorCode: 'upstream_timeout', durationMs: 30000 },
    ] },
    { requestId: 'req_3', status: 502, totalMs: 30012.1, overheadMs: 0.3, upstreamMs: 30011.8, ttfbMs: null },
  ],
  'transcription with audio seconds': [
    { ...json, op: 'transcriptions', model: 'whisper-1', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, audioSeconds: 3.5 }, costUsd: 0.00035, attemptLog: undefined },
    { requestId: 'req_4', status: 200, totalMs: 40, overheadMs: 1, upstreamMs: 39, ttfbMs: 39.5 },
  ],
  'speech (characters) and images together': [
    { ...json, op: 'speech', model: 'tts-1', stream: true, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, characters: 120, images: 2 }, attemptLog: [] },
    { requestId: 'req_5', status: 200, totalMs: 40, overheadMs: 1, upstreamMs: 39, ttfbMs: 2 },
  ],
  'gateway cache hit, payload archived': [
    { ...json, principal, attempts: 0, cacheHit: true, deployment: undefined, payload: { request: { messages: [] }, response: { id: 'x' } }, attemptLog: undefined },
    { requestId: 'req_6', status: 200, totalMs: 0.3, overheadMs: 0.3, upstreamMs: 0, ttfbMs: 0.29 },
  ],
  'no model named, client gone, odd strings': [
    { ...json, model: '', errorCode: 'bad "code"\n', principal: { kind: 'key', keyId: 'ключ' } as unknown as Principal },
    { requestId: 'req_"7"', status: 499, totalMs: Number.NaN, overheadMs: 1e21, upstreamMs: -0, ttfbMs: 0 },
  ],
};

/** The event exactly as recordUsage built it before it had one fixed shape (spreads for the optional fields). */
function spreadEvent(o: RequestOutcome, region: string, time: number): UsageEvent {
  const round3 = (ms: number) => Math.round(ms * 1000) / 1000;
  const u = o.usage;
  const p = o.principal;
  return {
    requestId: o.requestId, time, keyId: p?.keyId ?? null, teamId: p?.team?.id ?? null, userId: p?.user?.id ?? null, model: o.model,
    deployment: o.deployment?.id ?? null, provider: o.deployment?.provider ?? null, upstreamModel: o.deployment?.upstreamModel ?? null,
    region, operation: o.op, status: o.status, errorCode: o.errorCode ?? null,
    latency: { totalMs: round3(o.totalMs), overheadMs: round3(o.overheadMs), upstreamMs: round3(o.upstreamMs), ttfbMs: o.ttfbMs === null ? null : round3(o.ttfbMs) },
    tokens: eventTokens(u),
    ...(u && (u.audioSeconds !== undefined || u.characters !== undefined || u.images !== undefined)
      ? { units: { ...(u.audioSeconds !== undefined ? { audioSeconds: u.audioSeconds } : {}), ...(u.characters !== undefined ? { characters: u.characters } : {}), ...(u.images !== undefined ? { images: u.images } : {}) } }
      : {}),
    costUsd: o.costUsd,
    ...(o.costByKind ? { costByKind: o.costByKind } : {}),
    cacheHit: o.cacheHit, attempts: o.attempts, stream: o.stream,
    ...(o.attemptLog?.length ? { attemptLog: o.attemptLog } : {}),
    ...(o.payload ? { payload: o.payload } : {}),
  };
}

/** A pino logger with the fast access-log writer, both writing into `lines`. */
function logger(): { lines: string[]; log: pino.Logger } {
  const lines: string[] = [];
  const dest = { write: (l: string) => (lines.push(l), true) } as unknown as LineBuffer;
  const log = pino({ level: 'info', base: { role: 'api', pid: 42, loop: 0 } }, dest as unknown as pino.DestinationStream);
  registerAccessLog(log, dest);
  return { lines, log };
}

test('usage event: the same JSON as the spread-built event, from one object or from facts and end', () => {
  for (const [name, [facts, end]] of Object.entries(cases)) {
    const events: UsageEvent[] = [];
    const to = { usage: { record: (e: UsageEvent) => void events.push(e) }, logger: { info: () => undefined }, region: 'eu-west-1', accessLog: false };
    recordUsage(to, facts, end);
    recordUsage(to, { ...facts, ...end });
    assert.equal(events.length, 2, name);
    for (const e of events) {
      assert.equal(JSON.stringify(e), JSON.stringify(spreadEvent({ ...facts, ...end }, 'eu-west-1', e.time)), name);
      // Same properties, same order, for every event: one shape.
      assert.deepEqual(Object.keys(e), Object.keys(events[0]!), name);
    }
    assert.deepEqual(Object.keys(events[0]!), Object.keys(recordedOnce(cases['JSON chat, master key']!)), `${name}: one shape for every event`);
  }
});

function recordedOnce([facts, end]: [RequestFacts, RequestEnd]): UsageEvent {
  let out: UsageEvent | undefined;
  recordUsage({ usage: { record: (e) => void (out = e) }, logger: { info: () => undefined }, region: 'r', accessLog: false }, facts, end);
  return out!;
}

test('access log: the fields text is the text infoLine makes of the fields object, byte for byte', () => {
  for (const [name, [facts, end]] of Object.entries(cases)) {
    assert.equal('{"level":30,"time":5,"x":1' + accessLogFields(facts, end) + '}', infoLine(',"x":1', 5, accessLogObject(facts, end)), name);
  }
});

test('access log: recordUsage writes the line pino writes for the same fields (registered writer and plain logger alike)', () => {
  for (const [name, [facts, end]] of Object.entries(cases)) {
    const { lines, log } = logger();
    recordUsage({ usage: undefined, logger: accessLogOf(log), region: 'r', accessLog: true }, facts, end);
    log.info(accessLogObject(facts, end));
    const plain: object[] = [];
    recordUsage({ usage: undefined, logger: { info: (o) => void plain.push(o) }, region: 'r', accessLog: true }, facts, end);
    assert.equal(lines.length, 2, name);
    const [fast, fromPino] = lines.map((l) => l.replace(/"time":\d+/, '"time":0'));
    assert.equal(fast, fromPino, name);
    assert.deepEqual(plain, [accessLogObject(facts, end)], name);
  }
  const { lines, log } = logger();
  log.level = 'warn';
  recordUsage({ usage: undefined, logger: accessLogOf(log), region: 'r', accessLog: true }, ...cases['JSON chat, master key']!);
  assert.equal(lines.length, 0, 'below the level: no line');
});
