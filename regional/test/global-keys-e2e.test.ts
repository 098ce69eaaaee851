/**
 * One key store for every region (issue 14), with real streaming replication: region A's gateway has the config
 * store's primary, region B's gateway its hot standby (test-support/pg-replica.ts); each region has its own
 * regional store and its own Redis, so nothing reaches B but replication and the config-change feed.
 * Figures (commit → refusal in B, with and without an apply delay) are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { admin, adminOk, chat, chatOk, expectOpenAiError, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../../test-support/e2e-admin.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { pgReplica, type PgReplica } from '../../test-support/pg-replica.js';
import { postgres, privateRedis } from '../../test-support/services.js';

interface Regions {
  pair: PgReplica;
  a: GatewayProcess;
  b: GatewayProcess;
  regionalA: string;
  regionalB: string;
}

async function startRegions(t: TestContext): Promise<Regions | undefined> {
  const pair = await pgReplica(t);
  if (!pair) return undefined;
  const [pgA, pgB] = [await postgres(t), await postgres(t)];
  if (!pgA || !pgB) return undefined;
  t.after(() => pgA.close());
  t.after(() => pgB.close());
  const [redisA, redisB] = [await privateRedis(t), await privateRedis(t)];
  if (!redisA || !redisB) return undefined;
  t.after(() => redisA.close());
  t.after(() => redisB.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const common = {
    SKYWAY_ROLE: 'all',
    SKYWAY_MASTER_KEY: 'sk-gdb-master-' + Date.now(),
    SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
    SKYWAY_EDGE_KVS_ARN: '',
    SKYWAY_EDGE_KVS_FILE: '',
    SKYWAY_ORIGIN_VERIFY_SECRET: '',
  };
  const config = mockConfig(mock.url);
  // A first: its api role migrates the config store's primary; B's waits until the schema has replicated.
  const a = await startGatewayProcess({ config, env: { ...common, SKYWAY_REGION: 'region-a', CONFIG_DATABASE_URL: pair.primaryUrl, DATABASE_URL: pgA.url, REDIS_URL: redisA.url } });
  t.after(() => a.stop());
  const b = await startGatewayProcess({ config, env: { ...common, SKYWAY_REGION: 'region-b', CONFIG_DATABASE_URL: pair.standbyUrl, DATABASE_URL: pgB.url, REDIS_URL: redisB.url } });
  t.after(() => b.stop());
  await waitForAdmin(a);
  await waitForAdmin(b);
  return { pair, a, b, regionalA: pgA.url, regionalB: pgB.url };
}

async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Poll `check` every `everyMs` until it is true; the time it first was, or a failure after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function accepted(url: string, key: string): Promise<boolean> {
  const res = await chat(url, key);
  await res.text();
  return res.status === 200;
}

/** Revoke on A while B holds the key in its cache; returns [commit → on the standby, standby → refused by B] in ms. */
async function revokeAndMeasure(r: Regions, alias: string): Promise<{ toReplica: number; replicaToRefusal: number; total: number }> {
  const created = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias, models: ['mock-1'] }, 201);
  await until(() => accepted(r.b.url, created.key), 5000, 'new key accepted in B');
  await chatOk(r.b.url, created.key); // cached in B: only a change event can evict it in time
  // One open connection to the standby, polled every 5 ms: when the revocation became visible there.
  const standby = new pg.Client({ connectionString: r.pair.standbyUrl });
  await standby.connect();
  try {
    const sent = Date.now();
    await adminOk(r.a, 'POST', `/admin/keys/${created.id}/revoke`, { reason: 'global test' }, 200);
    const [onReplica, refused] = await Promise.all([
      until(async () => (await standby.query('select revoked_at is not null as r from virtual_keys where id = $1', [created.id])).rows[0]?.r === true, 10_000, 'revocation on the standby', 5),
      until(async () => !(await accepted(r.b.url, created.key)), 10_000, 'revocation refused in B', 20),
    ]);
    await expectOpenAiError(await chat(r.b.url, created.key), 401, 'api_key_revoked');
    // The revoke's commit time on the primary (track_commit_timestamp; same machine, same clock).
    const committed = ((await standby.query('select pg_xact_commit_timestamp(xmin) as at from virtual_keys where id = $1', [created.id])).rows[0].at as Date).getTime();
    return { toReplica: onReplica - committed, replicaToRefusal: refused - onReplica, total: refused - sent };
  } finally {
    await standby.end();
  }
}

test('global key store: primary in region A, hot standby in region B', { timeout: 240_000 }, async (t) => {
  const r = await startRegions(t);
  if (!r) return;

  await t.test('the schema is split: config_changes only in the config store, which B reads from its replica', async () => {
    const has = async (url: string) => (await query(url, "select to_regclass('config_changes') is not null as has")).rows[0].has as boolean;
    assert.equal(await has(r.pair.primaryUrl), true);
    assert.equal(await has(r.pair.standbyUrl), true, 'replicated');
    assert.equal(await has(r.regionalA), false, 'regional store of A has no config_changes');
    assert.equal(await has(r.regionalB), false, 'regional store of B has no config_changes');
    assert.equal((await query(r.regionalB, "select to_regclass('usage_events') is not null as has")).rows[0].has, true, 'B migrated its regional store');
  });

  await t.test('a key created in A works in B within 5 s (B never had it in its own database)', async () => {
    const created = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias: 'global-new', models: ['mock-1'] }, 201);
    const start = Date.now();
    const at = await until(() => accepted(r.b.url, created.key), 5000, 'key accepted in B');
    t.diagnostic(`new key: created in A → accepted in B after ${at - start} ms`);
    await chatOk(r.a.url, created.key);
    // B's admin API reads the same key (from its replica).
    const got = await adminOk<{ id: string }>(r.b, 'GET', `/admin/keys/${created.id}`, undefined, 200);
    assert.equal(got.id, created.id);
  });

  await t.test("usage stays in the region that served it: B's spend is in B's regional store, not in the config store", async () => {
    const created = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias: 'global-usage', models: ['mock-1'] }, 201);
    await until(() => accepted(r.b.url, created.key), 5000, 'key accepted in B');
    const spent = async (url: string) => Number((await query(url, 'select coalesce(sum(requests), 0)::int as n from spend_daily where key_id = $1', [created.id])).rows[0].n);
    await until(async () => (await spent(r.regionalB)) >= 1, 10_000, "B's usage in B's regional store", 200);
    assert.equal(await spent(r.regionalA), 0);
    assert.equal(await spent(r.pair.primaryUrl), 0, 'the config store holds no usage');
    const report = await adminOk<{ total: { requests: number } }>(r.b, 'GET', `/admin/spend?group_by=key&key_id=${created.id}`, undefined, 200);
    assert.ok(report.total.requests >= 1, "B's admin reports B's spend from its regional store");
  });

  await t.test('a revocation in A is refused in B within 1 s of reaching the replica (no apply delay)', async () => {
    const m = await revokeAndMeasure(r, 'global-revoke-0');
    t.diagnostic(`apply delay 0: commit → standby ${m.toReplica} ms, standby → refused in B ${m.replicaToRefusal} ms, revoke sent → refused ${m.total} ms`);
    assert.ok(m.replicaToRefusal <= 1000, `refused ${m.replicaToRefusal} ms after the replica had it`);
  });

  await t.test('with a 300 ms apply delay the refusal follows the replica, still within 1 s of it', async () => {
    await r.pair.setApplyDelay(300);
    const m = await revokeAndMeasure(r, 'global-revoke-300').finally(() => r.pair.setApplyDelay(0));
    t.diagnostic(`apply delay 300 ms: commit → standby ${m.toReplica} ms, standby → refused in B ${m.replicaToRefusal} ms, revoke sent → refused ${m.total} ms`);
    assert.ok(m.toReplica >= 300, `the standby showed the revocation ${m.toReplica} ms after the commit, before the apply delay`);
    assert.ok(m.replicaToRefusal <= 1000, `refused ${m.replicaToRefusal} ms after the replica had it`);
  });

  await t.test('admin writes in B answer 503 config_store_read_only; reads work', async () => {
    const res = await admin<{ error: { code: string; message: string } }>(r.b, 'POST', '/admin/keys', { alias: 'written-in-b' });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'config_store_read_only');
    assert.match(res.body.error.message, /read-only replica/);
    const teams = await admin(r.b, 'POST', '/admin/teams', { name: 'team-in-b' });
    assert.equal(teams.status, 503);
    const list = await admin<{ data: unknown[] }>(r.b, 'GET', '/admin/keys?limit=5');
    assert.equal(list.status, 200);
  });

  await t.test('primary region down: B keeps serving existing keys, writes are 503 in both regions, nothing is lost on return', async () => {
    const cached = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias: 'before-outage-cached', models: ['mock-1'] }, 201);
    const cold = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias: 'before-outage-cold', models: ['mock-1'] }, 201);
    await r.pair.waitForReplay();
    await chatOk(r.b.url, cached.key);

    await r.pair.stopPrimary();
    await chatOk(r.b.url, cached.key);
    await chatOk(r.b.url, cold.key); // never used in B: loaded from the replica during the outage
    const inB = await admin<{ error: { code: string } }>(r.b, 'POST', '/admin/keys', { alias: 'during-outage-b' });
    assert.equal(inB.status, 503);
    assert.equal(inB.body.error.code, 'config_store_read_only');
    const inA = await admin<{ error: { code: string } }>(r.a, 'POST', '/admin/keys', { alias: 'during-outage-a' });
    assert.equal(inA.status, 503);
    assert.equal(inA.body.error.code, 'primary_region_unavailable');
    // Still serving a while later (caches fall back to their short TTL while the feed is down: reloads hit the replica).
    await new Promise((res) => setTimeout(res, 1500));
    await chatOk(r.b.url, cached.key);

    await r.pair.startPrimary();
    const after = await until(async () => (await admin(r.a, 'POST', '/admin/keys', { alias: 'after-outage', models: ['mock-1'] })).status === 201, 15_000, 'admin writes in A after the restart', 250);
    assert.ok(after > 0);
    const keys = (await query(r.pair.primaryUrl, "select alias from virtual_keys where alias like '%outage%' order by alias")).rows.map((x) => x.alias as string);
    assert.deepEqual(keys, ['after-outage', 'before-outage-cached', 'before-outage-cold'], 'every key committed before the outage is there; nothing was written during it');
    const fresh = (await query(r.pair.primaryUrl, "select id from virtual_keys where alias = 'after-outage'")).rows[0].id as string;
    await until(async () => (await admin(r.b, 'GET', `/admin/keys/${fresh}`)).status === 200, 5000, 'the key created after the restart replicated to B');
    await chatOk(r.b.url, cached.key);
  });

  await t.test("B's replica down: the database outage path (cached keys keep working, others 503 key_store_unavailable); back: served again", async () => {
    const cached = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias: 'replica-outage-cached', models: ['mock-1'] }, 201);
    const cold = await adminOk<CreatedKey>(r.a, 'POST', '/admin/keys', { alias: 'replica-outage-cold', models: ['mock-1'] }, 201);
    await r.pair.waitForReplay();
    // B's feed delivers each creation event twice (redeliverAfterMs, 1000 ms) and each delivery drops the key from
    // B's cache: let both pass (a feed poll of 250 ms + 1000 ms) before the key is cached for the outage, or the
    // second delivery evicts it and the outage finds it uncached (a CI run: 503 key_store_unavailable).
    await new Promise((res) => setTimeout(res, 1500));
    await until(() => accepted(r.b.url, cached.key), 5000, 'key accepted in B');
    await r.pair.stopStandby();
    try {
      await chatOk(r.b.url, cached.key);
      await expectOpenAiError(await chat(r.b.url, cold.key), 503, 'key_store_unavailable');
      const write = await admin<{ error: { code: string } }>(r.b, 'POST', '/admin/keys', { alias: 'replica-outage-write' });
      assert.equal(write.status, 503);
      assert.equal(write.body.error.code, 'primary_region_unavailable');
    } finally {
      await r.pair.startStandby();
    }
    await until(() => accepted(r.b.url, cold.key), 15_000, 'the cold key accepted in B once its replica is back', 200);
  });
});
