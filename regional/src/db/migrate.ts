/**
 * Applies the schema with node-pg-migrate. Called by the `api` role at start (never by `admin`, which must be
 * able to run with a database user that cannot change the schema). Safe to call from several replicas at
 * once: node-pg-migrate holds an advisory lock while it runs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

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
  const ran = await runner({
    databaseUrl,
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
