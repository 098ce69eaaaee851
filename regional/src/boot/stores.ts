/**
 * The stores a role needs, opened once at start: Postgres (keys, deployments, spend) when DATABASE_URL is set,
 * the change bus (Redis pub/sub when REDIS_URL is set, else in-process), and the key-signing secrets.
 * Only the `api` role migrates the schema.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { changeBus, type ChangeBus } from '../keys/events.js';
import { loadSigningSecrets, type SigningSecrets } from '../keys/signing-secrets.js';
import type { HealthCheck } from '../pipeline/context.js';

export interface Stores {
  db: pg.Pool | undefined;
  bus: ChangeBus;
  secrets: SigningSecrets | undefined;
  checks: HealthCheck[];
  close(): Promise<void>;
}

export async function openStores(env: NodeJS.ProcessEnv, dataDir: string, logger: Logger, opts: { migrate: boolean; bus?: ChangeBus }): Promise<Stores> {
  const databaseUrl = env.DATABASE_URL || undefined;
  const checks: HealthCheck[] = [];
  let db: pg.Pool | undefined;
  let secrets: SigningSecrets | undefined;
  if (databaseUrl) {
    if (opts.migrate) {
      const result = await migrate(databaseUrl);
      logger.info({ migrations: result }, 'database schema up to date');
    }
    db = createPool(databaseUrl);
    const pool = db;
    checks.push({ name: 'postgres', check: async () => void (await pool.query('select 1')) });
    secrets = loadSigningSecrets(env, dataDir);
  }
  const bus = opts.bus ?? changeBus(env.REDIS_URL || undefined);
  return {
    db,
    bus,
    secrets,
    checks,
    close: async () => {
      await bus.close().catch(() => undefined);
      await db?.end().catch(() => undefined);
    },
  };
}
