/** Child processes of the local stack: started with a readiness probe, stopped with SIGTERM then SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  name: string;
  proc: ChildProcess;
  stop(timeoutMs?: number): Promise<void>;
}

export async function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: () => Promise<boolean>,
  opts: { inheritOutput: boolean; timeoutMs?: number } = { inheritOutput: true },
): Promise<Child> {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', opts.inheritOutput ? 'inherit' : 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const until = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode} during start-up`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`${name} did not become ready`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    proc,
    stop: async (timeoutMs = 35_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.ok;
}
