/** Detecting whether the config store is writable, and which migrations belong to which store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratedDb } from '../../../test-support/test-db.js';
import { ConfigStoreProbe, detectConfigStoreRole, forcedConfigStoreRole } from './config-store.js';
import { migrationNames, pendingMigrations } from './migrate.js';
import { MIGRATION_STORES } from './migration-stores.js';

test('a writable Postgres is the primary; a failing one is unreachable; a forced role is answered without a query', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  assert.equal(await detectConfigStoreRole(pg.db), 'primary');
  assert.equal(await detectConfigStoreRole({ query: async () => Promise.reject(new Error('ECONNREFUSED')) } as never), 'unreachable');
  assert.equal(await detectConfigStoreRole({ query: () => new Promise(() => undefined) } as never, 50), 'unreachable', 'a hanging server is unreachable');
  let queries = 0;
  const counting = { query: async () => (queries++, { rows: [{ r: true }] }) };
  assert.equal(await new ConfigStoreProbe(counting as never, { forced: 'primary' }).role(), 'primary');
  assert.equal(queries, 0);
  let clock = 0;
  const probe = new ConfigStoreProbe(counting as never, { now: () => clock, cacheMs: 1000 });
  assert.equal(await probe.role(), 'replica');
  assert.equal(await probe.role(), 'replica');
  assert.equal(queries, 1, 'cached');
  clock = 1001;
  await probe.role();
  assert.equal(queries, 2);
  probe.invalidate();
  await probe.role();
  assert.equal(queries, 3);
});

test('SKYWAY_CONFIG_STORE_ROLE accepts primary, replica, auto or nothing', () => {
  assert.equal(forcedConfigStoreRole(undefined), undefined);
  assert.equal(forcedConfigStoreRole('auto'), undefined);
  assert.equal(forcedConfigStoreRole('replica'), 'replica');
  assert.throws(() => forcedConfigStoreRole('writer'), /primary, replica or auto/);
});

test('migrations by store: config-only ones are not in the regional share, and a migrated database has none pending', async (t) => {
  const all = migrationNames('all');
  const config = migrationNames('config');
  const regional = migrationNames('regional');
  for (const [name, store] of Object.entries(MIGRATION_STORES)) {
    assert.ok(all.includes(name), `${name} is listed in migration-stores.ts but no such migration exists`);
    assert.equal(config.includes(name), store === 'config');
    assert.equal(regional.includes(name), store === 'regional');
  }
  assert.ok(config.includes('1734100000001_config-changes'));
  assert.ok(!regional.includes('1734100000001_config-changes'));
  assert.deepEqual([...new Set([...config, ...regional])].sort(), all, 'every migration runs somewhere');
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  assert.deepEqual(await pendingMigrations(pg.db, 'config'), []);
  assert.deepEqual(await pendingMigrations(pg.db, 'all'), []);
});
