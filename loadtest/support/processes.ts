/**
 * Child processes for the local stack (mock upstream, gateway), optionally pinned to CPUs with taskset, each
 * stopped by its handle: SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync } from 'node:fs';

let tasksetPath: string | null | undefined;

/** The taskset binary, or null when this machine has none. */
export function taskset(): string | null {
  if (tasksetPath !== undefined) return tasksetPath;
  tasksetPath = null;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/bin'])) {
    try {
      accessSync(`${dir}/taskset`, constants.X_OK);
      tasksetPath = `${dir}/taskset`;
      break;
    } catch {
      /* keep looking */
    }
  }
  return tasksetPath;
}

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  /** True when the process runs under taskset on the CPUs asked for. */
  pinned: boolean;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnNodeOptions {
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** CPU list for taskset (`0`, `1`, `0-1`); ignored when taskset is missing. */
  cpus?: string;
  /** File that receives stdout and stderr; stdout is piped to the caller when absent. */
  logFile?: string;
  nodeFlags?: string[];
}

/** Starts `node <args>`; taskset execs node, so the pid is node's own (for /proc/<pid>/stat). */
export function spawnNode(opts: SpawnNodeOptions): NodeProcess {
  const nodeArgs = [...(opts.nodeFlags ?? []), ...opts.args];
  const ts = opts.cpus !== undefined ? taskset() : null;
  const [cmd, args] = ts ? [ts, ['-c', opts.cpus!, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  let fd: number | undefined;
  if (opts.logFile) fd = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    stdio: fd !== undefined ? ['ignore', fd, fd] : ['ignore', 'pipe', 'inherit'],
  });
  if (fd !== undefined) closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    child,
    pid: child.pid ?? -1,
    pinned: ts !== null,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the first stdout line matching `pattern`, or rejects when the process exits or time runs out. */
export function waitForLine(p: NodeProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const out = p.child.stdout;
    if (!out) return reject(new Error('stdout is not piped'));
    let buf = '';
    const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const m = pattern.exec(buf);
      if (m) done(undefined, m);
    };
    const onExit = (code: number | null) => done(new Error(`process exited (${code}) before printing ${pattern}: ${buf.slice(-500)}`));
    const done = (err?: Error, m?: RegExpExecArray) => {
      clearTimeout(timer);
      out.off('data', onData);
      p.child.off('exit', onExit);
      out.resume(); // keep draining so the child never blocks on a full pipe
      if (err) reject(err);
      else resolve(m!);
    };
    out.on('data', onData);
    p.child.once('exit', onExit);
  });
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitForHttp200(url: string, timeoutMs: number, headers: Record<string, string> = {}, isAlive = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (!isAlive()) throw new Error(`process exited while waiting for ${url}`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
