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
    latency: { totalMs: 10 + i, overheadMs: 1 + (i % 5), upstreamMs: 9 + i, ttfbMs: i % 2 ? 5 : null }, tokens: { prompt: i, completion: 1, cached: 0 }, costUsd: i / 1000, cacheHit: false, attempts: i % 10 === 0 ? 2 : 1, stream: false,
    // Every tenth request fell back from a failing deployment to another model.
    ...(i % 10 === 0
      ? { attemptLog: [{ deployment: 'bad', model: i % 4 ? 'mock-1' : 'mock-2', status: 500, errorCode: 'upstream_server_error', durationMs: 3.5 }, { deployment: 'd', model: 'rescue', status: 200, errorCode: null, durationMs: 6 }] }
      : { attemptLog: [{ deployment: 'd', model: i % 4 ? 'mock-1' : 'mock-2', status: 200, errorCode: null, durationMs: 9 + i }] }),
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

test('request log sources: one request by id and the bucketed series agree between ClickHouse (chDB) and the local files', async (t) => {
  const ch = await clickhouse(t);
  if (!ch) return;
  t.after(() => ch.close());
  const batch = events().map((e) => ({ ...e, requestId: e.requestId.replace('req-src', 'req-det') }));
  const sink = new ClickHouseSink({ url: ch.url, username: ch.username, password: ch.password, database: ch.database });
  await sink.init();
  await sink.write(batch, new AbortController().signal);
  await sink.write(batch.slice(0, 3), new AbortController().signal);
  const dir = mkdtempSync(join(tmpdir(), 'skyway-det-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await new LocalClickHouseFilesSink(join(dir, 'clickhouse')).write(batch, new AbortController().signal);
  const remote = clickHouseSource(createClient({ url: ch.url, username: ch.username, password: ch.password, database: ch.database }));
  t.after(() => remote.close());
  const local = localFilesSource(dir);

  for (const id of ['req-det-00', 'req-det-07', 'req-det-30']) {
    const a = await remote.get(id);
    const b = await local.get(id);
    assert.ok(a && b, id);
    const { inserted_at: _ignored, ...aRow } = a as Record<string, unknown>;
    assert.deepEqual(aRow, b, id);
    const day = a.time.slice(0, 10);
    assert.deepEqual(await remote.get(id, day), a, 'narrowed to its day');
    assert.equal(await local.get(id, '2001-01-01'), undefined, 'not on another day');
  }
  const fellBack = (await local.get('req-det-30'))!;
  assert.deepEqual(fellBack.attempt_log!.map((x) => [x.deployment, x.model, x.status, x.error_code]), [['bad', 'mock-1', 500, 'upstream_server_error'], ['d', 'rescue', 200, null]]);
  assert.equal(fellBack.region, 'local');
  assert.equal(fellBack.cached_tokens, 0);
  assert.equal(await remote.get('req-det-missing'), undefined);
  assert.equal(await local.get('req-det-missing'), undefined);

  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 6 * DAY).toISOString().slice(0, 10);
  for (const q of [{ bucket: 'day' as const, groupBy: 'model' as const, top: 8 }, { bucket: 'hour' as const, groupBy: 'team' as const, top: 8 }, { bucket: 'day' as const, groupBy: 'model' as const, top: 1 }]) {
    const f = q.bucket === 'hour' ? { from: today, to: today } : { from, to: today };
    const a = await remote.series(f, q);
    const b = await local.series(f, q);
    assert.deepEqual(a, b, JSON.stringify(q));
    assert.equal(a.t.length, q.bucket === 'hour' ? 24 : 7);
    const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);
    assert.equal(sum(a.totals.requests), q.bucket === 'hour' ? batch.filter((e) => new Date(e.time).toISOString().startsWith(today)).length : 40);
    assert.equal(sum(a.groups.flatMap((g) => g.requests)), sum(a.totals.requests), 'groups add up to the totals');
    if (q.top === 1) assert.deepEqual(a.groups.map((g) => g.group), ['mock-1', 'other']);
    // Today's noon bucket (hourly) or today's bucket (daily) holds points.
    const i = a.t.indexOf(Date.parse(today + (q.bucket === 'hour' ? 'T12:00:00Z' : 'T00:00:00Z')) / 1000);
    assert.ok(a.totals.requests[i]! > 0 && a.totals.p95_ms[i]! >= a.totals.p50_ms[i]!, 'percentiles per bucket');
  }
});
