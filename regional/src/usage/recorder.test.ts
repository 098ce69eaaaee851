import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { UsageEvent } from './event.js';
import { UsageRecorder } from './recorder.js';
import type { UsageSink } from './sink.js';
import { makeEvent } from './test/events.js';

/** An in-memory sink that can be switched off; counts deliveries per request id. */
class FakeSink implements UsageSink {
  down = false;
  readonly seen = new Map<string, number>();
  writes = 0;
  maxBatch = 0;
  constructor(readonly name: string) {}
  async write(batch: readonly UsageEvent[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    if (this.down) throw new Error(`${this.name} is down`);
    this.writes++;
    this.maxBatch = Math.max(this.maxBatch, batch.length);
    for (const e of batch) this.seen.set(e.requestId, (this.seen.get(e.requestId) ?? 0) + 1);
  }
}

const fast = { flushIntervalMs: 50, minBackoffMs: 20, maxBackoffMs: 100 };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'skyway-usage-'));
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('delivers every event once, in batches of at most batchSize', async () => {
  const dir = tempDir();
  const sink = new FakeSink('a');
  const rec = new UsageRecorder({ sinks: [sink], dataDir: dir, batchSize: 100, ...fast });
  for (let i = 0; i < 1050; i++) rec.record(makeEvent(i));
  await rec.flush();
  await rec.close();
  assert.equal(sink.seen.size, 1050);
  assert.ok([...sink.seen.values()].every((n) => n === 1));
  assert.ok(sink.maxBatch <= 100);
  rmSync(dir, { recursive: true, force: true });
});

test('a failing sink spools to disk and catches up after recovery; other sinks are unaffected', async () => {
  const dir = tempDir();
  const flaky = new FakeSink('flaky');
  const steady = new FakeSink('steady');
  const rec = new UsageRecorder({ sinks: [flaky, steady], dataDir: dir, batchSize: 50, ...fast });
  flaky.down = true;
  for (let i = 0; i < 500; i++) rec.record(makeEvent(i));
  await rec.flush();
  const during = rec.stats().find((s) => s.sink === 'flaky')!;
  assert.equal(during.healthy, false);
  assert.equal(during.queuedRows, 0, 'nothing is held in memory for a failing sink');
  assert.ok(during.spoolRows > 0 && readdirSync(join(dir, 'spool', 'flaky')).length > 0);
  assert.equal(steady.seen.size, 500);
  flaky.down = false;
  await until(() => rec.stats().find((s) => s.sink === 'flaky')!.spoolRows === 0 && flaky.seen.size === 500);
  await rec.close();
  assert.equal(flaky.seen.size, 500);
  assert.deepEqual(rec.stats().map((s) => s.dropped), [0, 0]);
  rmSync(dir, { recursive: true, force: true });
});

test('close() spools what a dead sink could not take; the next recorder replays it', async () => {
  const dir = tempDir();
  const first = new FakeSink('s');
  first.down = true;
  const rec = new UsageRecorder({ sinks: [first], dataDir: dir, batchSize: 64, ...fast });
  for (let i = 0; i < 300; i++) rec.record(makeEvent(i));
  await rec.close(200);
  rec.record(makeEvent(999)); // after close: refused, counted, no throw
  assert.equal(rec.rejected, 1);
  assert.equal(rec.stats()[0]!.spoolRows, 300);

  const second = new FakeSink('s');
  const rec2 = new UsageRecorder({ sinks: [second], dataDir: dir, batchSize: 64, ...fast });
  await until(() => second.seen.size === 300);
  await rec2.close();
  assert.equal(readdirSync(join(dir, 'spool', 's')).length, 0);
  assert.ok([...second.seen.values()].every((n) => n === 1));
  rmSync(dir, { recursive: true, force: true });
});

test('record() never throws, even when a hook does', () => {
  const dir = tempDir();
  const rec = new UsageRecorder({
    sinks: [new FakeSink('x')],
    dataDir: dir,
    onEvent: () => {
      throw new Error('boom');
    },
  });
  assert.doesNotThrow(() => rec.record(makeEvent(1)));
  return rec.close().then(() => rmSync(dir, { recursive: true, force: true }));
});

test('a sink that hangs is abandoned at the write timeout and its batch spooled', async () => {
  const dir = tempDir();
  let calls = 0;
  const hung: UsageSink = { name: 'hung', write: () => (calls++, new Promise<void>(() => undefined)) };
  const rec = new UsageRecorder({ sinks: [hung], dataDir: dir, batchSize: 10, writeTimeoutMs: 100, ...fast });
  for (let i = 0; i < 25; i++) rec.record(makeEvent(i));
  await until(() => calls > 0 && rec.stats()[0]!.spoolRows >= 20);
  await rec.close(100);
  assert.equal(rec.stats()[0]!.spoolRows, 25);
  rmSync(dir, { recursive: true, force: true });
});
