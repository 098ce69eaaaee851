import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { redis } from '../../../test-support/services.js';
import { buildKey } from '../../../shared/keys/key-format.js';
import type { Actor } from '../db/audit.js';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { GatewayError } from '../errors/catalogue.js';
import { RedisChangeBus } from '../keys/events.js';
import { KeyService } from '../keys/service.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import type { Principal } from './principal.js';
import { assertModelAllowed, VirtualKeyAuthenticator } from './virtual-keys.js';

const ACTOR: Actor = { id: 'test', kind: 'master' };
const secrets = parseSigningSecrets(TEST_SIGNING_SECRETS);

async function rejection(p: () => Principal | Promise<Principal>): Promise<GatewayError> {
  try {
    await p();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return err;
  }
  assert.fail('expected the key to be rejected');
}

test('virtual keys: create → authenticate → revoke → rejected on a second process sharing Redis', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const rh = await redis(t);
  if (!rh) return;
  t.after(() => rh.close());
  const channel = `${rh.prefix}changes`;
  const bus = new RedisChangeBus(rh.url, { channel });
  t.after(() => bus.close());
  const events: string[] = [];
  const keys = new KeyService({ db: pg.db, bus, secrets, onKeyChange: (e) => events.push(`${e.type}:${e.action}`) });
  const auth = new VirtualKeyAuthenticator({ db: pg.db, bus, secrets, masterKey: 'sk-master-test' });
  t.after(() => auth.close());
  await bus.ready();

  const heard: string[] = [];
  bus.subscribe((e) => heard.push(`${e.type}:${e.action}:${e.id}`));
  const { key, row } = await keys.create(ACTOR, { alias: 'app-1', models: ['mock-1'], limits: { rpm: 60, max_parallel: 2 }, budget: { max_usd: 5, period: 'monthly', alert_at: [0.5, 0.9] } });
  assert.match(key, /^sk-sky-/);
  // Let the creation event arrive first (an event during a load keeps that load out of the cache).
  for (let i = 0; i < 200 && !heard.includes(`key:created:${row.id}`); i++) await new Promise((r) => setTimeout(r, 10));

  // First use loads from Postgres (a promise); the next is a cache hit answered synchronously.
  const first = auth.authenticate(key);
  assert.ok(first instanceof Promise);
  const principal = await first;
  assert.equal(principal.kind, 'virtual');
  assert.equal(principal.keyId, row.id);
  assert.equal(principal.keyAlias, 'app-1');
  assert.deepEqual(principal.key?.limits, { rpm: 60, maxParallel: 2 });
  assert.deepEqual(principal.key?.budget, { maxUsd: 5, period: 'monthly', alertAt: [0.5, 0.9] });
  const second = auth.authenticate(key);
  assert.ok(!(second instanceof Promise), 'a cached key must be answered without a promise');
  assert.equal(second, principal);
  assertModelAllowed(principal, 'mock-1');
  const denied = await rejection(() => (assertModelAllowed(principal, 'gpt-4o'), principal));
  assert.equal(denied.status, 403);
  assert.equal(denied.code, 'model_not_allowed');
  assert.equal(auth.authenticate('sk-master-test'), auth.authenticate('sk-master-test'));
  assert.equal((auth.authenticate('sk-master-test') as Principal).kind, 'master');

  // The second gateway process.
  const probe = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), '../../../test-support/virtual-keys-probe.js')], {
    env: { ...process.env, DATABASE_URL: pg.url, REDIS_URL: rh.url, SKYWAY_KEY_SIGNING_SECRETS: TEST_SIGNING_SECRETS, CHANGE_CHANNEL: channel },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const killTimer = setTimeout(() => probe.kill('SIGKILL'), 30_000);
  t.after(() => {
    clearTimeout(killTimer);
    probe.kill('SIGKILL');
  });
  const lines = createInterface({ input: probe.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    assert.ok(!r.done, 'probe exited early');
    return r.value;
  };
  assert.equal(await next(), 'ready');
  const ask = async (token: string) => {
    probe.stdin!.write(token + '\n');
    return JSON.parse(await next()) as { ok: boolean; keyId?: string; status?: number; code?: string };
  };
  assert.deepEqual(await ask(key), { ok: true, keyId: row.id });
  assert.deepEqual(await ask(key), { ok: true, keyId: row.id }, 'now cached in the probe, with an hour-long TTL');

  const revokedAt = Date.now();
  await keys.revoke(ACTOR, row.id, 'leaked in a log');
  // This process hears the event over Redis too; until then its cache may still answer.
  for (let i = 0; i < 500 && !heard.includes(`key:revoked:${row.id}`); i++) await new Promise((r) => setTimeout(r, 10));
  const local = await rejection(() => auth.authenticate(key));
  assert.equal(local.status, 401);
  assert.equal(local.code, 'api_key_revoked');
  assert.match(local.message, /revoked at .*leaked in a log/);
  // Only the change event can evict the probe's cached entry; poll until it answers 401 (bounded).
  let answer = await ask(key);
  while (answer.ok && Date.now() - revokedAt < 10_000) {
    await new Promise((r) => setTimeout(r, 20));
    answer = await ask(key);
  }
  assert.deepEqual(answer, { ok: false, status: 401, code: 'api_key_revoked' });
  t.diagnostic(`second process rejected the revoked key ${Date.now() - revokedAt} ms after revocation`);
  probe.stdin!.end();

  assert.deepEqual(events, ['key:created', 'key:revoked']);
  const audit = await pg.db.query('select action, actor, entity_id, before, after from audit_log order by id');
  assert.deepEqual(audit.rows.map((r) => r.action), ['key.create', 'key.revoke']);
  assert.equal(audit.rows[1].before.revoked_at, null);
  assert.ok(audit.rows[1].after.revoked_at);
  assert.ok(!('key_hash' in audit.rows[0].after), 'the audit log never holds key material');
  await assert.rejects(pg.db.query('delete from audit_log'), /append-only/);
});

test('virtual keys: rotation with a grace period, expiry, and rejections without a lookup', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const { localChangeBus } = await import('../keys/events.js');
  let clock = Date.now();
  const keys = new KeyService({ db: pg.db, bus: localChangeBus, secrets });
  const auth = new VirtualKeyAuthenticator({ db: pg.db, bus: localChangeBus, secrets, now: () => clock });
  t.after(() => auth.close());

  const team = (await pg.db.query("insert into teams (id, name, allowed_models, limits) values ('team_a', 'a', '{mock-1,mock-embed}', '{\"tpm\": 1000}') returning id")).rows[0].id as string;
  const { key: oldKey, row: oldRow } = await keys.create(ACTOR, { team_id: team, alias: 'svc', models: ['mock-1', 'gpt-4o'] });
  const p = await auth.authenticate(oldKey);
  assert.deepEqual([...p.allowedModels!], ['mock-1'], 'key models ∩ team models');
  assert.deepEqual(p.team, { id: 'team_a', limits: { tpm: 1000 } });

  const { key: newKey, row: newRow, previous } = await keys.rotate(ACTOR, oldRow.id, 3600);
  assert.equal(newRow.rotated_from, oldRow.id);
  assert.equal(newRow.alias, 'svc');
  assert.equal(previous.replaced_by, newRow.id);
  assert.equal((await auth.authenticate(oldKey)).keyId, oldRow.id, 'old key works during the grace period');
  assert.equal((await auth.authenticate(newKey)).keyId, newRow.id);
  await assert.rejects(keys.rotate(ACTOR, oldRow.id, 0), /already rotated/);

  clock += 3601_000;
  const rotated = await rejection(() => auth.authenticate(oldKey));
  assert.equal(rotated.code, 'api_key_rotated');
  assert.equal((await auth.authenticate(newKey)).keyId, newRow.id);

  const { key: shortKey } = await keys.create(ACTOR, { expires_at: new Date(clock + 1000).toISOString() });
  await auth.authenticate(shortKey);
  clock += 2000;
  const expired = await rejection(() => auth.authenticate(shortKey));
  assert.equal(expired.code, 'api_key_expired');
  assert.equal(expired.status, 401);

  // Updates reach the cache through the change event.
  await keys.update(ACTOR, newRow.id, { models: ['mock-embed'] });
  assert.deepEqual([...(await auth.authenticate(newKey)).allowedModels!], ['mock-embed']);

  // Rejected before any lookup: missing, typo, forged MAC, unknown version; then an unknown key id.
  assert.equal((await rejection(() => auth.authenticate(undefined))).code, 'missing_api_key');
  const typo = newKey.slice(0, 20) + (newKey[20] === 'a' ? 'b' : 'a') + newKey.slice(21);
  assert.match((await rejection(() => auth.authenticate(typo))).message, /checksum/);
  const forged = buildKey(newRow.id, 'A'.repeat(32), 1, 'some-other-signing-secret-0000000000');
  assert.match((await rejection(() => auth.authenticate(forged))).message, /signature/);
  const unknownVersion = buildKey(newRow.id, 'A'.repeat(32), 9, 'some-other-signing-secret-0000000000');
  assert.match((await rejection(() => auth.authenticate(unknownVersion))).message, /signing-secret version/);
  const stranger = buildKey(randomBytes(6).toString('hex'), 'B'.repeat(32), 2, 'test-signing-secret-version-two-0000000');
  assert.equal((await rejection(() => auth.authenticate(stranger))).code, 'invalid_api_key');
  // A valid MAC for an existing key id with the wrong secret part fails on the hash.
  const wrongSecret = buildKey(newRow.id, 'C'.repeat(32), 2, 'test-signing-secret-version-two-0000000');
  assert.equal((await rejection(() => auth.authenticate(wrongSecret))).code, 'invalid_api_key');

  const actions = (await pg.db.query('select action, entity_id from audit_log order by id')).rows.map((r) => `${r.action}:${r.entity_id === oldRow.id ? 'old' : r.entity_id === newRow.id ? 'new' : 'other'}`);
  assert.deepEqual(actions, ['key.create:old', 'key.rotate:old', 'key.create:new', 'key.create:other', 'key.update:new']);
});
