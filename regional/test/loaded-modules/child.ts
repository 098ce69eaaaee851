/**
 * Starts the api role with the embedded defaults (no database, Redis, ClickHouse, S3, Vertex or Bedrock) and
 * prints, as one JSON line, the npm packages the process loaded: through the ESM loader (reported by hooks.ts)
 * or through require (the CommonJS cache). With `--use-lazy` it first takes the code paths that load the
 * Bedrock codec and the Google auth library, so that the test can see the recorder notice a lazy load.
 *
 * Usage: node child.js <port> <adminPort> [--use-lazy]   (environment: only what the test passes)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => loaded.add(url));
port1.unref();
register(new URL('./hooks.js', import.meta.url), { data: { port: port2 }, transferList: [port2] });

/** The package a module path belongs to (`@scope/name` or `name`), or undefined outside node_modules. */
function packageOf(path: string): string | undefined {
  const at = path.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const parts = path.slice(at + '/node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const [port, adminPort, mode] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'skyway-loaded-modules-'));
const config = join(dir, 'config.yaml');
writeFileSync(config, ['models:', '  - name: m', '    deployments:', '      - provider: openai', '        model: m', '        api_base: http://127.0.0.1:9/v1', ''].join('\n'));
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  SKYWAY_ROLE: 'api',
  SKYWAY_CONFIG: config,
  SKYWAY_DATA_DIR: join(dir, 'data'),
  SKYWAY_MASTER_KEY: 'sk-loaded-modules-master-key-0123456789',
  HOST: '127.0.0.1',
  PORT: port,
  ADMIN_PORT: adminPort,
  SKYWAY_METRICS_PORT: '0',
  SKYWAY_THREADS: '1',
  LOG_LEVEL: 'warn',
};
const { startGateway } = await import('../../src/app.js');
const running = await startGateway(env);
try {
  if (mode === '--use-lazy') {
    const { eventStreamCodec } = await import('../../src/providers/bedrock/event-stream.js');
    eventStreamCodec();
    const { googleAccessToken } = await import('../../src/providers/vertex/google-token.js');
    await googleAccessToken('d', join(dir, 'no-such-credentials.json')).catch(() => undefined);
  }
  const paths = [...loaded].filter((u) => u.startsWith('file:')).map((u) => new URL(u).pathname);
  paths.push(...Object.keys(createRequire(import.meta.url).cache));
  const packages = [...new Set(paths.map(packageOf).filter((p): p is string => !!p))].sort();
  console.log(JSON.stringify({ packages }));
} finally {
  await running.shutdown();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
