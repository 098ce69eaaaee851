import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { clickhouse } from '../../../../test-support/clickhouse.js';
import type { UsageEvent } from '../../usage/event.js';
import { ClickHouseSink } from '../../usage/sinks/clickhouse.js';
import { LocalClickHouseFilesSink } from '../../usage/sinks/local-clickhouse.js';
import { clickHouseSource, localFilesSource } from './request-log-source.js';

const DAY = 86_400_000;

function events(): UsageEvent[] {
  const base = Date.parse(new Date().toISOString().slice(0, 10) + 'T12:00:00Z');
  return Array.from({ length: 40 }, (_, i) => ({
    requestId: `req-src-${String(i).padStart(2, '0')}`, time: base - (i % 3) * DAY + i * 1000, keyId: i % 2 ? 'key_odd' : 'key_even', teamId: 'team_1', userId: null,
    model: i % 4 ? 'mock-1' : 'mock-2', deployment: 'd', provider: 'openai', region: 'local', operation: 'chat', status: i % 10 === 0 ? 502 : 200, errorCode: i % 10 === 0 ? 'upstream_error' : null,
    latency: { totalMs: 10 + i, overheadMs: 1 + (i % 5), upstreamMs: 9 + i, ttfbMs: i % 2 ? 5 : null }, tokens: { prompt: i, completion: 1, cached: 0 }, costUsd: i / 1000, cacheHit: false, attempts: 1, stream: false,
  }));
}

test('request log sources: ClickHouse (chDB) and the local NDJSON files answer the same', async (t) => {
  const ch = await clickhouse(t);
  if (!ch) return;
  t.after(() => ch.close());
  const batch = events();
  const sink = new ClickHouseSink({ url: ch.url, username: ch.username, password: ch.password, database: ch.database });
  await sink.init();
  await sink.write(batch, new AbortController().signal);
  await sink.write(batch.slice(0, 5), new AbortController().signal); // replayed rows must not show twice
  const dir = mkdtempSync(join(tmpdir(), 'skyway-src-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await new LocalClickHouseFilesSink(join(dir, 'clickhouse')).write(batch, new AbortController().signal);

  const remote = clickHouseSource(createClient({ url: ch.url, username: ch.username, password: ch.password, database: ch.database }));
  t.after(() => remote.close());
  const local = localFilesSource(dir);
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 6 * DAY).toISOString().slice(0, 10);
  const filters = [
    { from, to: today },
    { from, to: today, key_id: 'key_odd' },
    { from, to: today, model: 'mock-2', status: 'error' },
    { from, to: today, status: '502' },
    { from: today, to: today, status: 'ok' },
  ];
  for (const f of filters) {
    for (const page of [{ limit: 7, offset: 0 }, { limit: 7, offset: 14 }, { limit: 100, offset: 0 }]) {
      const a = await remote.search(f, page);
      const b = await local.search(f, page);
      const ids = (r: typeof a) => r.rows.map((x) => [x.request_id, x.time, x.status, x.cost_usd, x.ttfb_ms]);
      assert.deepEqual(ids(a), ids(b), `${JSON.stringify(f)} ${JSON.stringify(page)}`);
      assert.equal(a.hasMore, b.hasMore);
    }
    assert.deepEqual(await remote.stats(f), await local.stats(f), JSON.stringify(f));
  }
  const all = await remote.stats({ from, to: today });
  assert.equal(all.count, 40);
  assert.equal(all.errors, 4);
});
