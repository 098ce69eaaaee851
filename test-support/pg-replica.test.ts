/** The primary + hot standby pair that models a global database: replication, apply delay, read-only standby, faults. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { pgReplica } from './pg-replica.js';

async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function rowOnStandby(url: string, id: number): Promise<boolean> {
  const r = await query(url, 'select 1 from t where id = $1', [id]);
  return r.rowCount === 1;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

test('pg-replica: rows written on the primary appear on the standby, later with an apply delay; the standby refuses writes', { timeout: 120_000 }, async (t) => {
  const pair = await pgReplica(t);
  if (!pair) return;
  assert.equal((await query(pair.primaryUrl, 'select pg_is_in_recovery() as r')).rows[0].r, false);
  assert.equal((await query(pair.standbyUrl, 'select pg_is_in_recovery() as r')).rows[0].r, true);

  await query(pair.primaryUrl, 'create table t (id int primary key, v text)');
  await query(pair.primaryUrl, "insert into t values (1, 'one')");
  await pair.waitForReplay();
  assert.equal(await rowOnStandby(pair.standbyUrl, 1), true, 'row 1 replicated');

  await assert.rejects(query(pair.standbyUrl, "insert into t values (2, 'two')"), /read-only transaction/);

  // With a 1.5 s apply delay the row is not visible at once, and is after the delay.
  await pair.setApplyDelay(1500);
  await query(pair.primaryUrl, "insert into t values (3, 'three')");
  const committed = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await rowOnStandby(pair.standbyUrl, 3), false, 'row 3 must still be held back by the apply delay');
  assert.equal(await waitUntil(() => rowOnStandby(pair.standbyUrl, 3), 15_000), true, 'row 3 replicated after the delay');
  assert.ok(Date.now() - committed >= 1400, `row 3 appeared after ${Date.now() - committed} ms, before the 1.5 s delay`);

  await pair.setApplyDelay(0);
  await query(pair.primaryUrl, "insert into t values (4, 'four')");
  assert.equal(await waitUntil(() => rowOnStandby(pair.standbyUrl, 4), 5000), true, 'row 4 replicated without delay');
});

test('pg-replica: with the primary stopped the standby keeps serving reads; after a restart replication resumes', { timeout: 120_000 }, async (t) => {
  const pair = await pgReplica(t);
  if (!pair) return;
  await query(pair.primaryUrl, 'create table t (id int primary key, v text)');
  await query(pair.primaryUrl, "insert into t values (1, 'one')");
  await pair.waitForReplay();

  await pair.stopPrimary();
  await assert.rejects(query(pair.primaryUrl, 'select 1'));
  assert.equal(await rowOnStandby(pair.standbyUrl, 1), true, 'standby serves reads while the primary is down');

  await pair.startPrimary();
  await query(pair.primaryUrl, "insert into t values (2, 'two')");
  assert.equal(await waitUntil(() => rowOnStandby(pair.standbyUrl, 2), 15_000), true, 'replication resumed after the restart');

  // Paused: a connection attempt hangs (times out) rather than being refused.
  await pair.pausePrimary();
  const started = Date.now();
  await assert.rejects(query(pair.primaryUrl, 'select 1'));
  assert.ok(Date.now() - started >= 2500, 'a paused primary hangs until the client gives up');
  await pair.resumePrimary();
  await query(pair.primaryUrl, 'select 1');
});
