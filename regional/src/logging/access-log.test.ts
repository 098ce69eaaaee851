import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { accessLogOf, infoLine, registerAccessLog } from './access-log.js';
import type { LineBuffer } from './line-buffer.js';

/** A destination that keeps the lines (pino and the fast writer both call write(line)). */
function sink(): { lines: string[]; dest: LineBuffer } {
  const lines: string[] = [];
  return { lines, dest: { write: (l: string) => (lines.push(l), true) } as unknown as LineBuffer };
}

const outcome = {
  requestId: 'req-1',
  op: 'chat',
  model: 'gpt-"4o"\n\u0001é\\\ud800',
  plain: 'mock-1',
  deployment: undefined,
  keyId: 'k1',
  status: 200,
  error: undefined,
  stream: false,
  attempts: 1,
  latencyMs: 1.234,
  overheadMs: Number.NaN,
  promptTokens: 0,
  costUsd: undefined,
  cacheHit: true,
  nested: { a: [1, 'x'] },
  fn: () => 1,
};

test('access log: the fast line is the line pino writes for the same object (bindings, skipped fields, escapes)', () => {
  const { lines, dest } = sink();
  const logger = pino({ level: 'info', base: { role: 'api', pid: 42, loop: 0 } }, dest as unknown as pino.DestinationStream);
  registerAccessLog(logger, dest);
  logger.info(outcome);
  accessLogOf(logger).info(outcome);
  assert.equal(lines.length, 2);
  const [fromPino, fast] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines[1]!.endsWith('}\n'));
  delete fromPino!.time;
  const time = fast!.time;
  delete fast!.time;
  assert.equal(typeof time, 'number');
  assert.deepEqual(fast, fromPino);
  assert.deepEqual(Object.keys(fast!), Object.keys(fromPino!), 'same field order');
});

test('access log: respects the logger level; an unregistered logger is used as it is', () => {
  const { lines, dest } = sink();
  const logger = pino({ level: 'warn' }, dest as unknown as pino.DestinationStream);
  registerAccessLog(logger, dest);
  accessLogOf(logger).info({ a: 1 });
  assert.equal(lines.length, 0);
  logger.level = 'info';
  accessLogOf(logger).info({ a: 1 });
  assert.equal(lines.length, 1);
  const plain = { info: () => undefined };
  assert.equal(accessLogOf(plain), plain);
  assert.equal(infoLine(',"x":1', 5, { b: 'c', u: undefined }), '{"level":30,"time":5,"x":1,"b":"c"}');
});
