/**
 * Applies the schema with node-pg-migrate. Called by the `api` role at start (never by `admin`, which must be
 * able to run with a database user that cannot change the schema). Safe to call from several replicas at
 * once: each waits for a session advisory lock before running. (node-pg-migrate's own lock is a
 * `pg_try_advisory_lock` that throws "Another migration is already running" instead of waiting, which made
 * the second of two replicas starting together exit.)
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { migrationStore } from './migration-stores.js';

/** Advisory lock id for schema migrations ("skyway" in ASCII, as a bigint). */
const MIGRATION_LOCK_ID = '126913583003513';

/** The compiled migrations sit next to this file, in `migrations/`. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrateResult {
  /** Names of the migrations applied by this call (empty when the schema was current). */
  applied: string[];
}

/**
 * Which migrations to apply: `all` (one database holds both classes: single region, dev, tests), or one
 * store's share (db/migration-stores.ts) when the config store and the regional store are apart.
 */
export type MigrationScope = 'all' | 'config' | 'regional';

/** Names (file names without extension) of the compiled migrations in `scope`, in file order. */
export function migrationNames(scope: MigrationScope): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort()
    .filter((name) => scope === 'all' || migrationStore(name) === 'both' || migrationStore(name) === scope);
}

/**
 * node-pg-migrate's ignorePattern: compiled files only, and only those of `scope` — plus any the database has
 * already recorded (a store that ran everything while it was the only database, then became one of two): its
 * order check compares the recorded names with the file list and would refuse a list with holes.
 */
function ignorePatternFor(scope: MigrationScope, recorded: ReadonlySet<string>): string {
  const base = '(\\..*)|(.*\\.map)|(.*\\.d\\.ts)|(.*\\.ts)';
  if (scope === 'all') return base;
  const all = migrationNames('all');
  const keep = new Set([...migrationNames(scope), ...recorded]);
  const skip = all.filter((n) => !keep.has(n)).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\.js');
  return skip.length ? `${base}|${skip.map((s) => `(${s})`).join('|')}` : base;
}

/**
 * Bring the database at `databaseUrl` up to the newest schema (or `scope`'s share of it).
 *
 * @example await migrate(process.env.DATABASE_URL!) // in the api role, before listening
 */
export async function migrate(databaseUrl: string, opts: { log?: (msg: string) => void; scope?: MigrationScope } = {}): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  // Loaded here, not at start: a process without a database (the embedded api) never needs them (+3 MB RSS).
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return await runLocked(client, log, opts.scope ?? 'all');
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function runLocked(dbClient: pg.Client, log: (msg: string) => void, scope: MigrationScope): Promise<MigrateResult> {
  const recorded = scope === 'all' ? new Set<string>() : await recordedMigrations(dbClient);
  const { runner } = await import('node-pg-migrate');
  const ran = await runner({
    dbClient,
    noLock: true,
    dir: MIGRATIONS_DIR,
    // Only compiled migrations: skip dotfiles, source maps, declaration files and TypeScript sources.
    ignorePattern: ignorePatternFor(scope, recorded),
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    log,
    logger: { debug: log, info: log, warn: log, error: log },
  });
  return { applied: ran.map((m) => m.name) };
}

/**
 * The names of `scope`'s migrations that the database at `q` has not recorded (empty = its schema is current).
 * On a config-store replica this is how a starting gateway waits for the schema to arrive by replication.
 */
export async function pendingMigrations(q: Pick<pg.Pool, 'query'>, scope: MigrationScope): Promise<string[]> {
  const done = await recordedMigrations(q);
  return migrationNames(scope).filter((n) => !done.has(n));
}

/** Names in the database's pgmigrations table (empty when it has none yet). */
async function recordedMigrations(q: Pick<pg.Pool, 'query'>): Promise<Set<string>> {
  try {
    return new Set(((await q.query('select name from pgmigrations')).rows as Array<{ name: string }>).map((r) => r.name));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return new Set(); // no pgmigrations table yet
    throw err;
  }
}
