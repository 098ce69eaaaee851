/**
 * Runs the real gateway process (dist/regional/src/main.js) for integration tests, with a generated config,
 * on a free loopback port. Always stop it (`stop()`), also when the test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distRoot } from './paths.js';
import { freePort } from './free-port.js';

export interface GatewayProcess {
  url: string;
  /** The admin listener, when the process plays the admin role. */
  adminUrl: string;
  port: number;
  masterKey: string;
  proc: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Send a signal and wait for the exit code. */
  signal(sig: NodeJS.Signals): Promise<number | null>;
  stop(): Promise<void>;
  dataDir: string;
}

export interface GatewayOptions {
  /** YAML text of the config file. */
  config: string;
  env?: Record<string, string>;
  /** Reuse a data dir (two processes sharing signing secrets and the edge KVS file). */
  dataDir?: string;
  /** Called with the child as soon as it is spawned (before it is ready), e.g. to kill it if the caller dies. */
  onSpawn?: (proc: ChildProcess) => void;
}

/** A config with one OpenAI-compatible model per name, all served by the mock at `mockUrl`. */
export function mockConfig(mockUrl: string, models: string[] = ['mock-1', 'mock-embed']): string {
  return (
    'models:\n' +
    models.map((m) => `  - name: ${m}\n    deployments:\n      - provider: openai\n        model: ${m}\n        api_base: ${mockUrl}/v1\n`).join('')
  );
}

/** Ports are picked free but bound later by the child: another process may take one in between; retry then. */
export async function startGatewayProcess(opts: GatewayOptions): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address in use|EADDRINUSE|cannot listen/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(opts: GatewayOptions): Promise<GatewayProcess> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skyway-gw-'));
  const port = await freePort();
  const adminPort = await freePort();
  const configFile = join(dataDir, `config-${port}.yaml`);
  writeFileSync(configFile, opts.config);
  const masterKey = opts.env?.SKYWAY_MASTER_KEY ?? 'sk-test-master-' + port;
  const proc = spawn(process.execPath, [join(distRoot(), 'regional/src/main.js')], {
    env: {
      ...process.env,
      SKYWAY_CONFIG: configFile,
      SKYWAY_DATA_DIR: dataDir,
      SKYWAY_MASTER_KEY: masterKey,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      SKYWAY_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  opts.onSpawn?.(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) {
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`gateway exited with ${proc.exitCode}: ${out}`);
    }
    try {
      const r = await fetch(url + '/health/readiness');
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error('gateway did not become ready: ' + out);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const signal = async (sig: NodeJS.Signals) => {
    if (proc.exitCode === null) proc.kill(sig);
    return exited;
  };
  return {
    url,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    port,
    masterKey,
    proc,
    dataDir,
    output: () => out,
    signal,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
