/**
 * The durable spool against real services: a gateway's recorder (a child process, built from env like the
 * gateway's) accepts events while Postgres is unreachable, spools them to S3 (s3rver) and is killed with
 * SIGKILL. Two fresh recorder processes with empty data dirs — two tasks of the region — replay the spool once
 * Postgres is back: every event is in `usage_events` exactly once, spend_daily adds up, the spool is empty.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { s3 } from '../../../../test-support/s3.js';
import { postgres } from '../../../../test-support/services.js';
import { makeEvent } from './events.js';
import { migrateForUsage } from './migrate.js';
import { TcpProxy } from './tcp-proxy.js';

const COUNT = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ChildReport {
  accepted: number;
  lastAt: number;
  now: number;
  queued: number;
  inS3: number;
  onDisk: number;
  healthy: boolean;
}

for (const outage of ['refused', 'hangs'] as const) {
test(`events accepted while Postgres ${outage === 'refused' ? 'refuses connections' : 'hangs (partition)'} survive SIGKILL of the task and are replayed exactly once by fresh tasks`, { timeout: 120_000 }, async (t) => {
  const db = await postgres(t);
  if (!db) return;
  const store = await s3(t, { private: true });
  if (!store) return db.close();
  const dbUrl = new URL(db.url);
  const proxy = new TcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
  await proxy.start();
  // Postgres unreachable from the gateway until the proxy forwards again: the port refuses, or accepts and
  // never answers (the pool's 5 s connection timeout, then the channel's 15 s write timeout, apply).
  if (outage === 'refused') await proxy.stop();
  else proxy.hanging = true;
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'skyway-durable-'));
    dirs.push(d);
    return d;
  };
  const env = (dir: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    DATABASE_URL: viaProxy.toString(),
    SKYWAY_DATA_DIR: dir,
    SKYWAY_S3_BUCKET: store.bucket,
    S3_ENDPOINT: store.endpoint,
    AWS_REGION: store.region,
    AWS_ACCESS_KEY_ID: store.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
    SKYWAY_USAGE_BATCH_SIZE: '500',
    SKYWAY_USAGE_SPOOL_SCAN_MS: '500',
  });
  const runId = `d${Date.now().toString(36)}`;
  const check = new pg.Pool({ connectionString: db.url, max: 1 });
  const tasks: { exited: Promise<unknown>; stop: () => void }[] = [];
  try {
    await migrateForUsage(db.url);

    // The task: accepts every event, cannot reach Postgres, spools; then SIGKILL (no shutdown hook runs).
    const childEnv = { ...env(dataDir()), SKYWAY_TEST_EVENTS: String(COUNT), SKYWAY_TEST_RUN: runId };
    const script = join(fileURLToPath(new URL('.', import.meta.url)), 'spool-child.js');
    const child = spawn(process.execPath, [script], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    let durableAfterMs = -1;
    let last: ChildReport | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      last = JSON.parse(line) as ChildReport;
      // Everything accepted is out of memory and in the S3 spool (local disk would not survive the task).
      if (last.accepted === COUNT && last.inS3 === COUNT) {
        durableAfterMs = last.now - last.lastAt;
        child.kill('SIGKILL');
        break;
      }
    }
    assert.equal(await exited, 'SIGKILL');
    // Refused: the sink failed fast and the batches were spooled. Hanging: normally no delivery has failed yet
    // (the pool's 5 s connection timeout has not passed) and the batches reached S3 by write-ahead; on a machine
    // slow enough that feeding the events took longer than that timeout, the failure path spooled the rest (a CI
    // run at load average 18). Either way everything accepted must be in S3, which is what is asserted below.
    assert.ok(last, 'the child reported');
    if (outage === 'refused') assert.equal(last.healthy, false, 'the child saw Postgres as down');
    else if (!last.healthy) t.diagnostic('hangs: the connection timeout passed before the last batch reached S3 (slow machine): spooled by the failure path');
    assert.equal(last.onDisk, 0, 'nothing on the task disk that dies with it');
    t.diagnostic(`${outage}: last event accepted → in the S3 spool after ${durableAfterMs} ms (flush interval 1000 ms, spill after 1000 ms)`);
    const spoolKeys = await store.listKeys('spool/postgres/');
    assert.ok(spoolKeys.length > 0, 'batches are in the S3 spool');
    assert.equal(await check.query('select 1 from usage_events limit 1').then((r) => r.rowCount), 0);

    // Postgres is back; two fresh tasks with empty disks replay the spool concurrently.
    await proxy.stop();
    proxy.hanging = false;
    await proxy.start();
    const started = Date.now();
    for (let k = 0; k < 2; k++) {
      const task = spawn(process.execPath, [script], { env: { ...env(dataDir()), SKYWAY_TEST_EVENTS: '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
      tasks.push({ exited: new Promise((r) => task.once('exit', r)), stop: () => task.kill('SIGTERM') });
    }
    const until = Date.now() + 60_000;
    let n = 0;
    while ((n = Number((await check.query<{ n: string }>('select count(*) as n from usage_events')).rows[0]!.n)) < COUNT) {
      if (Date.now() > until) assert.fail(`only ${n} of ${COUNT} events replayed`);
      await sleep(50);
    }
    const replayMs = Date.now() - started;
    while ((await store.listKeys('spool/postgres/')).length > 0) {
      if (Date.now() > until) assert.fail('spool objects left after replay');
      await sleep(100);
    }
    t.diagnostic(`replayed ${COUNT} events from ${spoolKeys.length} S3 objects in ${replayMs} ms (2 task processes, start-up included)`);

    const expected = Array.from({ length: COUNT }, (_, i) => makeEvent(i, runId).requestId).sort();
    const ledger = await check.query<{ request_id: string }>('select request_id from usage_events order by request_id');
    assert.deepEqual(ledger.rows.map((r) => r.request_id), expected);
    const agg = await check.query<{ requests: string; cost: string }>('select sum(requests) as requests, sum(cost_usd) as cost from spend_daily');
    assert.equal(Number(agg.rows[0]!.requests), COUNT, 'spend_daily counts each event once');
    const cost = Array.from({ length: COUNT }, (_, i) => makeEvent(i, runId).costUsd).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(Number(agg.rows[0]!.cost) - cost) < 1e-6);
  } finally {
    for (const task of tasks) task.stop();
    await Promise.all(tasks.map((task) => task.exited));
    await check.end();
    await proxy.stop();
    await store.close();
    await db.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
}
