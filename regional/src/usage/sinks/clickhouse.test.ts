import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clickhouse } from '../../../../test-support/clickhouse.js';
import { makeEvent } from '../test/events.js';
import { ClickHouseSink } from './clickhouse.js';

test('ClickHouse sink: versioned DDL, GenAI spans, request log, idempotent replay', async (t) => {
  const ch = await clickhouse(t);
  if (!ch) return;
  const sink = new ClickHouseSink({ url: ch.url, username: ch.username, password: ch.password, database: ch.database });
  try {
    const batch = Array.from({ length: 300 }, (_, i) => makeEvent(i, 'ch'));
    await sink.init();
    await sink.init(); // second init is a no-op
    const signal = new AbortController().signal;
    await sink.write(batch, signal);
    await sink.write(batch, signal); // a replayed batch
    await sink.write(batch.slice(0, 10), signal); // a different batch with repeated ids
    const [log] = await ch.query<{ n: string; u: string }>('SELECT count() AS n, uniqExact(request_id) AS u FROM request_log FINAL');
    assert.equal(Number(log!.n), 300);
    assert.equal(Number(log!.u), 300);
    const [raw] = await ch.query<{ n: string }>('SELECT count() AS n FROM request_log');
    // The exact replay is dropped at insert by its dedup token; the re-batched repeats wait for FINAL/merges.
    if (!process.env.CLICKHOUSE_URL) assert.equal(Number(raw!.n), 310);
    const [tr] = await ch.query<{ n: string }>('SELECT count() AS n FROM traces FINAL');
    assert.equal(Number(tr!.n), 300);
    const [span] = await ch.query<{ SpanName: string; a: Record<string, string> }>(
      `SELECT SpanName, SpanAttributes AS a FROM traces FINAL WHERE RequestId = '${batch[1]!.requestId}'`,
    );
    assert.equal(span!.SpanName, `chat ${batch[1]!.model}`);
    assert.equal(span!.a['gen_ai.operation.name'], 'chat');
    assert.equal(span!.a['gen_ai.request.model'], batch[1]!.model);
    assert.equal(span!.a['gen_ai.usage.input_tokens'], String(batch[1]!.tokens.prompt));
    const versions = await ch.query<{ version: number }>('SELECT version FROM skyway_schema_versions FINAL ORDER BY version');
    assert.deepEqual(versions.map((v) => Number(v.version)), [1, 2, 3]);
    // The README's example query runs.
    const p95 = await ch.query<{ model: string; p95_ms: number }>(
      `SELECT model, quantile(0.95)(total_ms) AS p95_ms, count() AS requests FROM request_log FINAL
       WHERE time > now() - INTERVAL 1 DAY GROUP BY model ORDER BY p95_ms DESC`,
    );
    assert.equal(p95.length, 3);
  } finally {
    await sink.close();
    await ch.close();
  }
});
