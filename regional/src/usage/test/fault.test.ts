/**
 * Fault test of the usage pipeline against real services: Postgres (behind a cuttable TCP proxy), ClickHouse
 * (chDB behind its HTTP endpoint), S3 (s3rver) and an OTLP receiver. 2,000 events are recorded while each sink in
 * turn is taken down and brought back; then the recorder is closed mid-run (SIGTERM) with one sink down, and a
 * new recorder on the same data dir replays the spool and takes the rest. Afterwards every sink holds exactly
 * one record per event, compared by request id.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { clickhouse } from '../../../../test-support/clickhouse.js';
import { s3 } from '../../../../test-support/s3.js';
import { postgres } from '../../../../test-support/services.js';
import type { UsageEvent } from '../event.js';
import { S3ObjectStore } from '../object-store.js';
import { UsageRecorder, type UsageRecorderOptions } from '../recorder.js';
import type { UsageSink } from '../sink.js';
import { ArchiveSink } from '../sinks/archive.js';
import { ClickHouseSink } from '../sinks/clickhouse.js';
import { OtlpTraceSink } from '../sinks/otlp.js';
import { PostgresSpendSink } from '../sinks/postgres.js';
import { makeEvent } from './events.js';
import { migrateForUsage } from './migrate.js';
import { OtlpCollector } from './otlp-collector.js';
import { TcpProxy } from './tcp-proxy.js';

const TOTAL = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('every sink holds exactly one record per event through outages, SIGTERM and restart', { timeout: 90_000 }, async (t) => {
  const db = await postgres(t);
  if (!db) return;
  const ch = await clickhouse(t, { private: true });
  if (!ch) return db.close();
  const store = await s3(t, { private: true });
  if (!store) return Promise.all([db.close(), ch.close()]).then(() => undefined);

  const dbUrl = new URL(db.url);
  const proxy = new TcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
  await proxy.start();
  dbUrl.hostname = '127.0.0.1';
  dbUrl.port = String(proxy.port);
  const collector = new OtlpCollector();
  await collector.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'skyway-usage-fault-'));
  const pools: pg.Pool[] = [];
  const checkPool = new pg.Pool({ connectionString: db.url, max: 1 });

  const makeSinks = (): UsageSink[] => {
    const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2, connectionTimeoutMillis: 2000 });
    pool.on('error', () => undefined);
    pools.push(pool);
    return [
      new PostgresSpendSink(pool, { ownsPool: true }),
      new ClickHouseSink({ url: ch.url, requestTimeoutMs: 3000 }),
      new ArchiveSink(new S3ObjectStore({ bucket: store.bucket, endpoint: store.endpoint, region: store.region, credentials: store.credentials })),
      new OtlpTraceSink({ url: collector.url }),
    ];
  };
  const opts: Omit<UsageRecorderOptions, 'sinks'> = {
    dataDir,
    batchSize: 100,
    flushIntervalMs: 100,
    minBackoffMs: 100,
    maxBackoffMs: 400,
    writeTimeoutMs: 4000,
  };

  try {
    await migrateForUsage(db.url);
    const runId = Date.now().toString(36);
    const events: UsageEvent[] = Array.from({ length: TOTAL }, (_, i) => makeEvent(i, runId));
    let next = 0;
    /** Record `n` events at a steady pace (about 20 per 10 ms), as a gateway under load would. */
    const feed = async (rec: UsageRecorder, n: number) => {
      for (const end = next + n; next < end; ) {
        for (let k = 0; k < 20 && next < end; k++) rec.record(events[next++]!);
        await sleep(10);
      }
    };

    let rec = new UsageRecorder({ sinks: makeSinks(), ...opts });
    const outages: [string, () => Promise<void>, () => Promise<void>][] = [
      ['postgres', () => proxy.stop(), () => proxy.start()],
      ['clickhouse', ch.stop!, ch.start!],
      ['archive', store.stop!, store.start!],
      ['otlp', () => collector.stop(), () => collector.start()],
    ];
    for (const [name, down, up] of outages) {
      await feed(rec, 100);
      await down();
      await feed(rec, 200);
      await sleep(150);
      const during = rec.stats().find((s) => s.sink === name)!;
      assert.equal(during.healthy, false, `${name} is seen as down`);
      assert.ok(during.spoolRows > 0, `${name} spooled during its outage`);
      await up();
      await feed(rec, 100);
    }
    assert.equal(next, 1600);

    // SIGTERM mid-run, with ClickHouse down: what it cannot take goes to the spool.
    await feed(rec, 100);
    await ch.stop!();
    await feed(rec, 100);
    await rec.close(1000);
    assert.ok(rec.stats().find((s) => s.sink === 'clickhouse')!.spoolRows > 0);
    assert.deepEqual(rec.stats().map((s) => s.dropped), [0, 0, 0, 0]);
    await ch.start!();

    // The restarted process: replays the spool and takes the rest of the traffic.
    rec = new UsageRecorder({ sinks: makeSinks(), ...opts });
    await feed(rec, TOTAL - next);
    await rec.flush();
    const until = Date.now() + 30_000;
    while (rec.stats().some((s) => s.spoolRows > 0 || s.queuedRows > 0)) {
      if (Date.now() > until) assert.fail(`spools not drained: ${JSON.stringify(rec.stats())}`);
      await sleep(50);
    }
    await rec.close();
    assert.deepEqual(rec.stats().map((s) => s.dropped), [0, 0, 0, 0]);

    const expected = events.map((e) => e.requestId).sort();

    // Postgres: one ledger row per event, and aggregates that add up to the events.
    const ledger = await checkPool.query<{ request_id: string }>('select request_id from usage_events order by request_id');
    assert.deepEqual(ledger.rows.map((r) => r.request_id), expected);
    const agg = await checkPool.query<{ requests: string; cost: string }>('select sum(requests) as requests, sum(cost_usd) as cost from spend_daily');
    assert.equal(Number(agg.rows[0]!.requests), TOTAL);
    assert.ok(Math.abs(Number(agg.rows[0]!.cost) - events.reduce((s, e) => s + e.costUsd, 0)) < 1e-6);

    // ClickHouse: one row per event in both tables (FINAL collapses replays).
    const log = await ch.query<{ request_id: string }>('SELECT request_id FROM request_log FINAL ORDER BY request_id');
    assert.deepEqual(log.map((r) => r.request_id), expected);
    const spans = await ch.query<{ RequestId: string }>('SELECT RequestId FROM traces FINAL ORDER BY RequestId');
    assert.deepEqual(spans.map((r) => r.RequestId), expected);

    // S3: every event in exactly one object line — no copies across objects.
    const archived: string[] = [];
    for (const key of await store.listKeys('usage/')) {
      for (const line of gunzipSync(await store.getObject(key)).toString().split('\n')) {
        if (line) archived.push((JSON.parse(line) as UsageEvent).requestId);
      }
    }
    assert.deepEqual(archived.sort(), expected);

    // OTLP: every span arrived (an OTLP receiver has no idempotency; the ids are stable for it to dedupe).
    assert.deepEqual([...new Set(collector.requestIds)].sort(), expected);
  } finally {
    await checkPool.end();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await collector.stop();
    await proxy.stop();
    await store.close();
    await ch.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
