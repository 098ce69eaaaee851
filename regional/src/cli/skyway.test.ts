import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { startAdminServer } from '../admin/server.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import { COMMON_FLAGS } from './command.js';
import { COMMANDS } from './commands/index.js';
import { usd } from './format.js';
import { main } from './skyway.js';

const here = dirname(fileURLToPath(import.meta.url));

async function run(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('help: the main help names every command; each command help lists every flag it accepts, its default and an example', async () => {
  const top = await run({}, '--help');
  assert.equal(top.code, 0);
  for (const c of COMMANDS) assert.ok(top.out.includes(c.path.join(' ')), c.path.join(' '));
  for (const c of COMMANDS) {
    const h = await run({}, ...c.path, '--help');
    assert.equal(h.code, 0, h.err);
    for (const [name, f] of Object.entries({ ...c.flags, ...COMMON_FLAGS })) {
      const line = h.out.split('\n').find((l) => new RegExp(`^\\s+(-\\w, )?--${name}(\\s|$)`).test(l));
      assert.ok(line, `${c.path.join(' ')} --help lists --${name}`);
      if (f.default !== undefined) assert.ok(line.includes(`(default: ${f.default})`), `--${name} shows its default: ${line}`);
    }
    assert.match(h.out, /examples:\n  skyway /);
    assert.ok(c.examples.every((e) => h.out.includes(e)));
  }
});

test('unknown flags are refused, naming the closest right one; commands refuse what they do not take', async () => {
  const env = { SKYWAY_ADMIN_URL: 'http://127.0.0.1:9', SKYWAY_MASTER_KEY: 'unused' };
  const typo = await run(env, 'keys', 'create', '--alias', 'x', '--model', 'mock-1');
  assert.equal(typo.code, 2);
  assert.match(typo.err, /skyway keys create has no option --model; did you mean --models\?/);
  assert.match((await run(env, 'keys', 'create', '--rmp', '5')).err, /did you mean --rpm\?/);
  assert.match((await run(env, 'keys', 'list', '--reason', 'x')).err, /keys list has no option --reason/);
  assert.match((await run(env, 'spend', '--models', 'a')).err, /did you mean --model\?/);
  assert.match((await run(env, 'keys', 'revoke')).err, /usage: skyway keys revoke <key id>/);
  assert.match((await run(env, 'keys', 'list', 'extra')).err, /takes no arguments; unexpected 'extra'/);
  assert.match((await run(env, 'keys', 'create', '--rpm')).err, /argument missing|requires|--rpm/);
  assert.equal((await run(env, 'keys', 'frobnicate')).code, 2);
  assert.match((await run(env, 'keys', 'create', '--rpm', 'many')).err, /--rpm must be a number/);
});

test('money prints with enough digits', () => {
  assert.equal(usd(0.005), '$0.005');
  assert.equal(usd(0.000123), '$0.000123');
  assert.equal(usd(0.123), '$0.1230');
  assert.equal(usd(12.5), '$12.50');
  assert.equal(usd(0), '$0.00');
});

test('skyway CLI against a real admin API: create, list with rotation, revoke, spend', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, db: pg.db, masterKey: 'sk-master-cli', signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS) });
  t.after(() => admin.close());
  const env = { SKYWAY_ADMIN_URL: admin.url + '/', SKYWAY_MASTER_KEY: 'sk-master-cli' };

  const created = await run(env, 'keys', 'create', '--alias', 'cli-app', '--models', 'mock-1,mock-embed', '--rpm', '30', '--budget', '0.005', '--json');
  assert.equal(created.code, 0, created.err);
  const key = JSON.parse(created.out) as { id: string; key: string; models: string[]; limits: { rpm: number }; budget: { max_usd: number; period: string } };
  assert.match(key.key, /^sk-sky-/);
  assert.deepEqual(key.models, ['mock-1', 'mock-embed']);
  assert.equal(key.limits.rpm, 30);
  assert.deepEqual(key.budget, { max_usd: 0.005, period: 'monthly', alert_at: [] });

  // The typo that used to create an unrestricted key creates nothing.
  assert.equal((await run(env, 'keys', 'create', '--alias', 'typo', '--model', 'mock-1')).code, 2);
  assert.equal((await pg.db.query("select count(*)::int as n from virtual_keys where alias = 'typo'")).rows[0].n, 0);

  const human = await run(env, 'keys', 'create', '--alias', 'second');
  assert.match(human.out, /^created key \w+ \(second\)\nkey: sk-sky-.*\nmodels: every model/);

  const listed = await run(env, 'keys', 'list');
  assert.equal(listed.code, 0);
  assert.match(listed.out, /^ID\s+ALIAS\s+STATUS/);
  assert.match(listed.out, new RegExp(`${key.id}\\s+cli-app\\s+active\\s+-\\s+mock-1,mock-embed\\s+\\$0\\.005/monthly`));

  // Rotation: the old key keeps the alias (marked old) while it works, and says where it went and until when.
  const rotated = await run(env, 'keys', 'rotate', key.id, '--grace', '3600', '--json');
  assert.equal(rotated.code, 0, rotated.err);
  const next = (JSON.parse(rotated.out) as { key: { id: string }; previous: { grace_expires_at: string } });
  const afterRotation = await run(env, 'keys', 'list');
  assert.match(afterRotation.out, new RegExp(`${key.id}\\s+cli-app \\(old\\)\\s+rotated \\(grace\\).*replaced by ${next.key.id}, works until ${next.previous.grace_expires_at}`));
  assert.match(afterRotation.out, new RegExp(`${next.key.id}\\s+cli-app\\s+active.*replaces ${key.id}`));
  const onlyRotated = await run(env, 'keys', 'list', '--status', 'rotated');
  assert.match(onlyRotated.out, new RegExp(`${key.id}\\s+cli-app \\(old\\)`));
  assert.equal(onlyRotated.out.split('\n').length, 2, onlyRotated.out);

  const revoked = await run(env, 'keys', 'revoke', next.key.id, '--reason', 'done');
  assert.match(revoked.out, new RegExp(`revoked key ${next.key.id} at \\d{4}-`));
  assert.match((await run(env, 'keys', 'list', '--status', 'revoked')).out, new RegExp(`${next.key.id}\\s+cli-app\\s+revoked`));

  await pg.db.query("insert into spend_daily (day, key_id, team_id, model, requests, total_tokens, cost_usd) values ('2030-02-01', $1, '', 'mock-1', 3, 300, 0.123), ('2030-02-02', $1, 't1', 'mock-1', 1, 10, 0.0004)", [key.id]);
  const spend = await run(env, 'spend', '--by', 'key', '--from', '2030-02-01', '--to', '2030-02-28');
  assert.match(spend.out, new RegExp(`${key.id}\\s+4\\s+310\\s+\\$0\\.1234`));
  assert.match(spend.out, /total: 4 requests, 310 tokens, \$0\.1234/);
  const byTeam = await run(env, 'spend', '--by', 'team', '--from', '2030-02-01', '--to', '2030-02-28');
  assert.match(byTeam.out, /\(no team\)\s+3\s+300\s+\$0\.1230/);
  assert.match(byTeam.out, /t1\s+1\s+10\s+\$0\.0004/);

  const missing = await run(env, 'keys', 'revoke', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /404 resource_not_found/);

  // The compiled file runs as the `skyway` bin from any directory (shebang, top-level entry, no repo files).
  const bin = join(here, 'skyway.js');
  const elsewhere = mkdtempSync(join(tmpdir(), 'skyway-cli-cwd-'));
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  const { stdout } = await promisify(execFile)(process.execPath, [bin, 'keys', 'list', '--json'], { cwd: elsewhere, env: { ...process.env, ...env }, timeout: 20_000 });
  assert.equal((JSON.parse(stdout) as { data: unknown[] }).data.length, 3);
});

test('the bin entry in package.json is this file, and the CLI imports nothing outside its folder', () => {
  let root = here;
  while (!(existsSync(join(root, 'package.json')) && readFileSync(join(root, 'package.json'), 'utf8').includes('"name": "skyway"'))) root = dirname(root);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(join(root, pkg.bin.skyway!), join(here, 'skyway.js'));
  assert.match(readFileSync(join(here, 'skyway.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const files = ['skyway.js', 'command.js', 'parse.js', 'help.js', 'format.js', 'admin-client.js', ...COMMANDS.map((c) => `commands/${c.path.join('-')}.js`), 'commands/index.js'];
  for (const f of files) {
    for (const m of readFileSync(join(here, f), 'utf8').matchAll(/from '([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      assert.ok(spec.startsWith('.'), `${f} imports the package ${spec}: the CLI must run with no dependencies installed`);
      assert.ok(!relative(here, join(dirname(join(here, f)), spec)).startsWith('..'), `${f} imports ${spec} from outside cli/`);
    }
  }
});
