import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { startAdminServer } from '../admin/server.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import { main } from './skyway.js';

test('skyway CLI: create, list, revoke keys and show spend', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, db: pg.db, masterKey: 'sk-master-cli', signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS) });
  t.after(() => admin.close());
  const env = { SKYWAY_ADMIN_URL: admin.url, SKYWAY_MASTER_KEY: 'sk-master-cli' };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  const created = await run('keys', 'create', '--alias', 'cli-app', '--models', 'mock-1,mock-embed', '--rpm', '30', '--budget', '12.5', '--json');
  assert.equal(created.code, 0, created.err);
  const key = JSON.parse(created.out) as { id: string; key: string; models: string[]; limits: { rpm: number }; budget: { max_usd: number; period: string } };
  assert.match(key.key, /^sk-sky-/);
  assert.deepEqual(key.models, ['mock-1', 'mock-embed']);
  assert.equal(key.limits.rpm, 30);
  assert.deepEqual(key.budget, { max_usd: 12.5, period: 'monthly', alert_at: [] });

  const human = await run('keys', 'create', '--alias', 'second');
  assert.match(human.out, /^created key \w+ \(second\)\nkey: sk-sky-/);

  const listed = await run('keys', 'list');
  assert.equal(listed.code, 0);
  assert.match(listed.out, /^ID\s+ALIAS\s+STATUS/);
  assert.match(listed.out, new RegExp(`${key.id}\\s+cli-app\\s+active`));

  const revoked = await run('keys', 'revoke', key.id, '--reason', 'done');
  assert.match(revoked.out, new RegExp(`revoked key ${key.id} at \\d{4}-`));
  assert.match((await run('keys', 'list', '--status', 'revoked')).out, new RegExp(`${key.id}\\s+cli-app\\s+revoked`));

  await pg.db.query("insert into spend_daily (day, key_id, model, requests, total_tokens, cost_usd) values ('2030-02-01', $1, 'mock-1', 3, 300, 0.123)", [key.id]);
  const spend = await run('spend', '--by', 'key', '--from', '2030-02-01', '--to', '2030-02-28');
  assert.match(spend.out, new RegExp(`${key.id}\\s+3\\s+300\\s+0\\.1230`));
  assert.match(spend.out, /total: 3 requests, 300 tokens, \$0\.1230/);

  const missing = await run('keys', 'revoke', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /404 resource_not_found/);
  assert.equal((await run('keys', 'frobnicate')).code, 2);

  // The compiled file runs as the `skyway` bin (shebang, top-level entry).
  const bin = join(dirname(fileURLToPath(import.meta.url)), 'skyway.js');
  const { stdout } = await promisify(execFile)(process.execPath, [bin, 'keys', 'list', '--json'], { env: { ...process.env, ...env }, timeout: 20_000 });
  assert.equal((JSON.parse(stdout) as { data: unknown[] }).data.length, 2);
});
