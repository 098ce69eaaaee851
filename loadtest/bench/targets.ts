/**
 * Starting what the benchmark measures: a gateway configuration (dist/regional/src/main.js) or the floor proxy
 * (bench/floor.ts), pinned to the gateway CPUs, each returned as a Target the load steps can aim at.
 */
import { join } from 'node:path';
import { spawnNode, waitForLine } from '../support/processes.js';
import { startGatewayProcess, type MockProcess } from '../support/stack.js';
import type { BenchConfiguration } from './configurations.js';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The measured process (CPU and RSS from /proc); absent for direct-to-mock. */
  pid?: number;
  stop(): Promise<void>;
}

export interface TargetOptions {
  dist: string;
  mock: MockProcess;
  /** taskset CPU list for the gateway, or undefined (no pinning). */
  cpus: string | undefined;
  /** SKYWAY_THREADS for the gateway, --threads for the floor; undefined = the gateway's default. */
  threads: number | undefined;
  /** Directory for --cpu-prof, when profiling. */
  cpuProfDir: string | undefined;
  /** Extra node flags for the gateways and the floor (heap sizing experiments: `--max-semi-space-size=4`). */
  nodeFlags: string[];
}

const profFlags = (o: TargetOptions, name: string): string[] => [
  ...o.nodeFlags,
  ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`] : []),
];

async function startFloor(cfg: BenchConfiguration, o: TargetOptions): Promise<Target> {
  const p = spawnNode({
    args: [join(o.dist, 'loadtest/bench/floor.js'), '--upstream', o.mock.url, '--port', '0', '--threads', String(o.threads ?? 1)],
    cpus: o.cpus,
    nodeFlags: profFlags(o, cfg.name),
  });
  try {
    const m = await waitForLine(p, /floor listening on (http:\/\/\S+?)\/v1/, 10_000);
    return { name: cfg.name, url: m[1]!, headers: {}, pid: p.pid, stop: () => p.stop() };
  } catch (err) {
    await p.stop();
    throw err;
  }
}

/** Starts one configuration; undefined when its stores are not available on this machine. */
export async function startTarget(cfg: BenchConfiguration, o: TargetOptions): Promise<Target | undefined> {
  if (cfg.program === 'floor') return startFloor(cfg, o);
  const env = typeof cfg.env === 'function' ? await cfg.env() : cfg.env;
  if (!env) return undefined;
  const gw = await startGatewayProcess(o.dist, {
    mockUrl: o.mock.url,
    extraEnv: { ...env, ...(o.threads !== undefined ? { SKYWAY_THREADS: String(o.threads) } : {}) },
    extraYaml: cfg.yaml,
    cpus: o.cpus,
    logLevel: process.env.LOG_LEVEL ?? 'info',
    nodeFlags: profFlags(o, cfg.name),
  });
  try {
    const apiKey = cfg.setup ? await cfg.setup(gw) : gw.masterKey;
    return { name: cfg.name, url: gw.url, headers: { authorization: `Bearer ${apiKey}` }, pid: gw.process.pid, stop: () => gw.stop() };
  } catch (err) {
    await gw.stop();
    throw err;
  }
}
