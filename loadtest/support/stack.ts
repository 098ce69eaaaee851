/**
 * The local stack for load tests and the benchmark: the mock upstream and the gateway as separate processes,
 * bound to 127.0.0.1 on free ports. The gateway is the compiled `regional/src/main.js` under a dist root;
 * callers check gatewayAvailable() first (the gateway may not be built yet).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test-support/free-port.js';
import { spawnNode, waitForHttp200, waitForLine, type NodeProcess } from './processes.js';

export interface MockProcess {
  url: string;
  process: NodeProcess;
  stop(): Promise<void>;
}

/** Starts `<dist>/loadtest/mock/main.js` on a free port. */
export async function startMockProcess(distRoot: string, opts: { cpus?: string; latencyMs?: number } = {}): Promise<MockProcess> {
  const p = spawnNode({
    args: [join(distRoot, 'loadtest/mock/main.js'), '--port', '0', '--latency-ms', String(opts.latencyMs ?? 0)],
    cpus: opts.cpus,
  });
  try {
    const m = await waitForLine(p, /listening on (http:\/\/\S+?)\/v1/, 10_000);
    return { url: m[1]!, process: p, stop: () => p.stop() };
  } catch (err) {
    await p.stop();
    throw err;
  }
}

export function gatewayEntry(distRoot: string): string {
  return join(distRoot, 'regional/src/main.js');
}

export function gatewayAvailable(distRoot: string): boolean {
  return existsSync(gatewayEntry(distRoot));
}

/** The config file for a gateway in front of the mock: `mock-1` and `mock-embed`, plus any extra YAML. */
export function mockGatewayConfig(mockUrl: string, extraYaml = ''): string {
  const model = (name: string) =>
    [`  - name: ${name}`, '    deployments:', '      - provider: openai', `        model: ${name}`, `        api_base: ${mockUrl}/v1`].join('\n');
  return ['models:', model('mock-1'), model('mock-embed'), extraYaml.trim()].join('\n') + '\n';
}

export interface GatewayProcess {
  url: string;
  /** The admin listener (answers when the process plays the admin role: SKYWAY_ROLE=all). */
  adminUrl: string;
  masterKey: string;
  process: NodeProcess;
  dataDir: string;
  logFile: string;
  /** The last lines of the gateway's log, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  mockUrl: string;
  extraEnv?: Record<string, string>;
  extraYaml?: string;
  cpus?: string;
  logLevel?: string;
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

export async function startGatewayProcess(distRoot: string, opts: GatewayOptions): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-loadtest-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, mockGatewayConfig(opts.mockUrl, opts.extraYaml));
  const port = await freePort();
  const adminPort = await freePort();
  const masterKey = 'sk-loadtest-master-key-0123456789';
  const logFile = join(dir, 'gateway.log');
  const p = spawnNode({
    args: [gatewayEntry(distRoot)],
    cpus: opts.cpus,
    logFile,
    nodeFlags: opts.nodeFlags,
    env: {
      ...process.env,
      SKYWAY_CONFIG: configPath,
      PORT: String(port),
      HOST: '127.0.0.1',
      SKYWAY_MASTER_KEY: masterKey,
      SKYWAY_DATA_DIR: join(dir, 'data'),
      SKYWAY_METRICS_PORT: '0',
      ADMIN_PORT: String(adminPort),
      LOG_LEVEL: opts.logLevel ?? 'info',
      ...opts.extraEnv,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp200(`${url}/health/readiness`, opts.readyTimeoutMs ?? 30_000, {}, () => p.child.exitCode === null);
  } catch (err) {
    const tail = logTail();
    await stop();
    throw new Error(`gateway did not become ready: ${(err as Error).message}\n${tail}`);
  }
  return { url, adminUrl: `http://127.0.0.1:${adminPort}`, masterKey, process: p, dataDir: join(dir, 'data'), logFile, logTail, stop };
}
