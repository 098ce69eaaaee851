/**
 * Applies the schema with node-pg-migrate. Called by the `api` role at start (never by `admin`, which must be
 * able to run with a database user that cannot change the schema). Safe to call from several replicas at
 * once: each waits for a session advisory lock before running. (node-pg-migrate's own lock is a
 * `pg_try_advisory_lock` that throws "Another migration is already running" instead of waiting, which made
 * the second of two replicas starting together exit.)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

/** Advisory lock id for schema migrations ("skyway" in ASCII, as a bigint). */
const MIGRATION_LOCK_ID = '126913583003513';

/** The compiled migrations sit next to this file, in `migrations/`. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrateResult {
  /** Names of the migrations applied by this call (empty when the schema was current). */
  applied: string[];
}

/**
 * Bring the database at `databaseUrl` up to the newest schema.
 *
 * @example await migrate(process.env.DATABASE_URL!) // in the api role, before listening
 */
export async function migrate(databaseUrl: string, opts: { log?: (msg: string) => void } = {}): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return await runLocked(client, log);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function runLocked(dbClient: pg.Client, log: (msg: string) => void): Promise<MigrateResult> {
  const ran = await runner({
    dbClient,
    noLock: true,
    dir: MIGRATIONS_DIR,
    // Only compiled migrations: skip dotfiles, source maps, declaration files and TypeScript sources.
    ignorePattern: '(\\..*)|(.*\\.map)|(.*\\.d\\.ts)|(.*\\.ts)',
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    log,
    logger: { debug: log, info: log, warn: log, error: log },
  });
  return { applied: ran.map((m) => m.name) };
}
