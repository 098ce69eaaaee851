/**
 * `npm start`: the whole stack on this machine, bound to 127.0.0.1, on embedded defaults.
 *
 *   local edge (EDGE_PORT 8080) → regional API gateway (PORT 4000) → mock upstream (MOCK_PORT 9000)
 *                                  ├─ admin API (ADMIN_PORT 4001), metrics (SKYWAY_METRICS_PORT 9464)
 *                                  └─ embedded Postgres (SKYWAY_PG_PORT 5433) unless DATABASE_URL is set
 *
 * Data (master key, encryption key, config, Postgres, KVS file, spool) lives in SKYWAY_DATA_DIR (default .skyway/).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalEdge, type LocalEdge } from '../edge/local/server.js';
import { resolveMasterKey } from '../regional/src/auth/master-key.js';
import { createPool } from '../regional/src/db/pool.js';
import { ensureDemoKey } from '../regional/src/keys/demo.js';
import { resolveLocalEncryptionKey } from '../regional/src/keys/local-encryption-key.js';
import { httpOk, startChild, type Child } from './local/children.js';
import { writeDefaultConfig } from './local/config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './local/postgres.js';

const dist = resolve(fileURLToPath(import.meta.url), '../..');
const env = process.env;
const host = env.HOST || '127.0.0.1';
const port = (name: string, fallback: number) => Number(env[name] || fallback);
const ports = {
  edge: port('EDGE_PORT', 8080),
  api: port('PORT', 4000),
  admin: port('ADMIN_PORT', 4001),
  metrics: port('SKYWAY_METRICS_PORT', 9464),
  mock: port('MOCK_PORT', 9000),
  pg: port('SKYWAY_PG_PORT', 5433),
};
const dataDir = resolve(env.SKYWAY_DATA_DIR || '.skyway');

const stops: Array<() => Promise<void>> = [];

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const master = resolveMasterKey(env, dataDir);
  // Deployment credentials added through the admin API are envelope-encrypted with this key (KMS in production).
  const encryption = resolveLocalEncryptionKey(env, dataDir);

  const mockUrl = `http://${host}:${ports.mock}`;
  const mock: Child = await startChild('mock upstream', [join(dist, 'loadtest/mock/main.js'), '--port', String(ports.mock), '--host', host], env, () => httpOk(`${mockUrl}/v1/models`), {
    inheritOutput: false,
  });
  stops.unshift(() => mock.stop());

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const pg: EmbeddedPostgres = await startEmbeddedPostgres(dataDir, ports.pg);
    stops.push(() => pg.stop());
    databaseUrl = pg.url;
  }

  const config = env.SKYWAY_CONFIG ? { file: env.SKYWAY_CONFIG, models: [] as string[] } : writeDefaultConfig(dataDir, mockUrl, env);
  const apiUrl = `http://${host}:${ports.api}`;
  // One process plays both roles locally, so a revocation through the admin API reaches the API's key cache
  // at once without Redis (in production they are separate services sharing Redis pub/sub).
  const api = await startChild(
    'regional gateway',
    [join(dist, 'regional/src/main.js')],
    {
      ...env,
      SKYWAY_ROLE: env.SKYWAY_ROLE || 'all',
      HOST: host,
      PORT: String(ports.api),
      ADMIN_PORT: String(ports.admin),
      SKYWAY_METRICS_PORT: String(ports.metrics),
      SKYWAY_CONFIG: config.file,
      SKYWAY_DATA_DIR: dataDir,
      SKYWAY_MASTER_KEY: master.key,
      DATABASE_URL: databaseUrl,
      // Local mode: admin-added deployments may use loopback upstreams over http (the mock, a local model server).
      SKYWAY_LOCAL: '1',
      ...(encryption ? { SKYWAY_ENCRYPTION_KEY: encryption.key } : {}),
    },
    () => httpOk(`${apiUrl}/health/readiness`),
  );
  stops.unshift(() => api.stop());

  const db = createPool(databaseUrl, { max: 1, applicationName: 'skyway-start' });
  const demoKey = await ensureDemoKey(db, dataDir);
  await db.end();

  const edge: LocalEdge = await startLocalEdge({ host, port: ports.edge, originUrl: apiUrl, kvsFile: join(dataDir, 'edge-kvs.json') });
  stops.unshift(() => edge.close());

  const models = config.models.length ? config.models.join(', ') : `(from ${config.file})`;
  console.log(`
Skyway is running (data in ${dataDir}):
  edge (use this)     http://${host}:${ports.edge}/v1   (EDGE_PORT)
  regional gateway    ${apiUrl}/v1   (PORT)
  mock upstream       ${mockUrl}/v1   (MOCK_PORT)
  admin API           http://${host}:${ports.admin}/admin   (ADMIN_PORT; OpenAPI: /admin/openapi.json; CLI: npx skyway --help)
  console             http://${host}:${ports.admin}/console/   (sign in with the master key below)
  metrics             http://${host}:${ports.metrics}/metrics   (SKYWAY_METRICS_PORT)
  postgres            ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}
  models              ${models}
  master key          ${master.key}${master.generated ? `   (generated; kept in ${master.file})` : ''}
  encryption key      ${encryption ? `${encryption.file}${encryption.generated ? ' (generated)' : ''}: deployment credentials are encrypted with it` : 'from SKYWAY_ENCRYPTION_KEY / SKYWAY_KMS_KEY_ID'}
  demo key            ${demoKey}   (also in ${join(dataDir, 'demo-key')})

Try:
  curl http://${host}:${ports.edge}/v1/chat/completions -H "authorization: Bearer $(cat ${join(dataDir, 'demo-key')})" \\
    -H 'content-type: application/json' -d '{"model":"mock-1","messages":[{"role":"user","content":"hello"}]}'
`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const stop of stops) await stop().catch((err) => console.error(err));
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  console.error(`npm start failed: ${(err as Error).message}`);
  await shutdown(1);
});
