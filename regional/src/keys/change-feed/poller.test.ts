/** The cross-region change feed: rows written with each audited change, polled in id order, late commits caught, pruned. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../../test-support/test-db.js';
import { SYSTEM_ACTOR } from '../../db/audit.js';
import { changeFromAudit, pruneChanges, recordChange } from '../../db/config-changes.js';
import { TeamService } from '../../admin/directory.js';
import { localChangeBus, type ChangeEvent } from '../events.js';
import { KeyService } from '../service.js';
import { parseSigningSecrets } from '../signing-secrets.js';
import { FeedChangeBus } from './bus.js';
import { ChangeFeedPoller } from './poller.js';

test('changeFromAudit: the event each audited action announces', () => {
  const expires = new Date('2030-01-01T00:00:00Z');
  assert.deepEqual(changeFromAudit({ action: 'key.revoke', entityType: 'key', entityId: 'k1', before: {}, after: { expires_at: expires } }), { type: 'key', id: 'k1', action: 'revoked', expiresAt: expires.toISOString() });
  assert.deepEqual(changeFromAudit({ action: 'key.rotate', entityType: 'key', entityId: 'k1', before: {}, after: { replaced_by: 'k2', grace_expires_at: expires } }), { type: 'key', id: 'k1', action: 'rotated', replacedBy: 'k2', graceExpiresAt: expires.toISOString() });
  assert.deepEqual(changeFromAudit({ action: 'key.create', entityType: 'key', entityId: 'k3', before: null, after: { expires_at: null } }), { type: 'key', id: 'k3', action: 'created', expiresAt: null });
  assert.deepEqual(changeFromAudit({ action: 'team.update', entityType: 'team', entityId: 't1', before: {}, after: {} }), { type: 'team', id: 't1', action: 'updated' });
  assert.deepEqual(changeFromAudit({ action: 'deployment.delete', entityType: 'deployment', entityId: 'd1', before: {}, after: null }), { type: 'deployment', id: 'd1', action: 'deleted' });
  assert.equal(changeFromAudit({ action: 'key.inspect', entityType: 'key', entityId: 'k1', before: null, after: null }), undefined);
});

test('every admin change writes its feed row in the same transaction, and the poller delivers them in order', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const got: ChangeEvent[] = [];
  const poller = new ChangeFeedPoller({ db: pg.db, deliver: (e) => got.push(e), intervalMs: 60_000 });
  await poller.start();
  t.after(() => poller.stop());

  const keys = new KeyService({ db: pg.db, bus: localChangeBus, secrets: parseSigningSecrets(TEST_SIGNING_SECRETS) });
  const teams = new TeamService(pg.db, localChangeBus);
  const team = await teams.create(SYSTEM_ACTOR, { name: 'feed-team' });
  const { row } = await keys.create(SYSTEM_ACTOR, { alias: 'feed-key', team_id: team.id });
  await keys.revoke(SYSTEM_ACTOR, row.id, 'test');
  assert.equal(await poller.pollOnce(), 3);
  assert.deepEqual(got.map((e) => `${e.type}:${e.action}`), ['team:created', 'key:created', 'key:revoked']);
  assert.equal(got[2]!.id, row.id);

  // A change whose transaction fails leaves no feed row (a conflicting alias rolls the insert back).
  await assert.rejects(keys.create(SYSTEM_ACTOR, { alias: 'feed-key' }));
  assert.equal(await poller.pollOnce(), 0);
  assert.equal(poller.healthy, true);
});

test('a change committed late with a smaller id (a slow transaction) is still delivered', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const got: string[] = [];
  const poller = new ChangeFeedPoller({ db: pg.db, deliver: (e) => got.push(e.id), intervalMs: 60_000 });
  await poller.start();
  t.after(() => poller.stop());
  const slow = await pg.db.connect();
  try {
    await slow.query('begin');
    await recordChange(slow, { type: 'team', id: 'slow', action: 'updated' }); // takes the smaller id, commits later
    await recordChange(pg.db, { type: 'team', id: 'fast', action: 'updated' });
    await poller.pollOnce();
    assert.deepEqual(got, ['fast']);
    await slow.query('commit');
  } finally {
    slow.release();
  }
  await poller.pollOnce();
  assert.deepEqual(got, ['fast', 'slow']);
  await poller.pollOnce();
  assert.deepEqual(got, ['fast', 'slow'], 'delivered once');
});

test('a feed that cannot be read is reported; its recovery resyncs the caches (changes were missed meanwhile)', async () => {
  let failing = false;
  const db = {
    query: async (sql: string) => {
      if (failing) throw new Error('connection refused');
      return { rows: sql.includes('max(id)') ? [{ id: '0' }] : [], rowCount: 0 };
    },
  };
  let errors = 0;
  const bus = new FeedChangeBus(localChangeBus, { db: db as never, intervalMs: 60_000, onError: () => errors++ });
  let resyncs = 0;
  const off = bus.onResync(() => resyncs++);
  await bus.start();
  assert.equal(bus.poller.healthy, true);
  failing = true;
  await bus.poller.pollOnce();
  await bus.poller.pollOnce();
  assert.equal(bus.poller.healthy, false);
  assert.equal(resyncs, 0);
  failing = false;
  await bus.poller.pollOnce();
  assert.equal(bus.poller.healthy, true);
  assert.equal(resyncs, 1, 'one resync after the outage');
  assert.equal(errors, 1, 'reported once per outage');
  off();
  await bus.close();
});

test('pruneChanges deletes rows past the retention only', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  await recordChange(pg.db, { type: 'team', id: 'old', action: 'updated' });
  await pg.db.query("update config_changes set created_at = now() - interval '2 days'");
  await recordChange(pg.db, { type: 'team', id: 'new', action: 'updated' });
  assert.equal(await pruneChanges(pg.db, 24 * 3_600_000), 1);
  const left = (await pg.db.query('select entity_id from config_changes')).rows.map((r) => r.entity_id as string);
  assert.deepEqual(left, ['new']);
});
