import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { VirtualKeyAuthenticator, assertModelAllowed } from '../auth/virtual-keys.js';
import { migratedDb } from '../../../test-support/test-db.js';
import { ensureDemoKey } from './demo.js';
import { localChangeBus } from './events.js';
import { loadSigningSecrets } from './signing-secrets.js';

test('ensureDemoKey: creates the demo team and key once, writes it 0600, and replaces it when revoked', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const dir = mkdtempSync(join(tmpdir(), 'skyway-demo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const saved = process.env.SKYWAY_KEY_SIGNING_SECRETS;
  delete process.env.SKYWAY_KEY_SIGNING_SECRETS;
  t.after(() => {
    if (saved !== undefined) process.env.SKYWAY_KEY_SIGNING_SECRETS = saved;
  });

  const key = await ensureDemoKey(pg.db, dir);
  assert.equal(readFileSync(join(dir, 'demo-key'), 'utf8').trim(), key);
  assert.equal(statSync(join(dir, 'demo-key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'key-signing-secret')).mode & 0o777, 0o600);
  assert.equal(await ensureDemoKey(pg.db, dir), key, 'second start reuses the key');

  const auth = new VirtualKeyAuthenticator({ db: pg.db, bus: localChangeBus, secrets: loadSigningSecrets({}, dir) });
  t.after(() => auth.close());
  const p = await auth.authenticate(key);
  assertModelAllowed(p, 'mock-1');
  assertModelAllowed(p, 'mock-embed');
  assert.throws(() => assertModelAllowed(p, 'gpt-4o'), /not allowed/);
  assert.equal(p.keyAlias, 'demo');

  await pg.db.query('update virtual_keys set revoked_at = now()');
  const replacement = await ensureDemoKey(pg.db, dir);
  assert.notEqual(replacement, key);
  writeFileSync(join(dir, 'demo-key'), 'garbage\n');
  assert.notEqual(await ensureDemoKey(pg.db, dir), replacement);
  const teams = await pg.db.query("select count(*)::int as n from teams where name = 'demo'");
  assert.equal(teams.rows[0].n, 1);
});
