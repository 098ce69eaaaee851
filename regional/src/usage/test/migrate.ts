/** Apply the project's Postgres migrations plus the usage ledger's to a test database. */
import { runner } from 'node-pg-migrate';
import { MIGRATIONS_DIR } from '../../db/migrate.js';
import { USAGE_MIGRATIONS_DIR } from '../sinks/postgres.js';

export async function migrateForUsage(databaseUrl: string): Promise<void> {
  const quiet = () => undefined;
  await runner({
    databaseUrl,
    dir: [`${MIGRATIONS_DIR}/*.js`, `${USAGE_MIGRATIONS_DIR}/*.js`],
    useGlob: true,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: false,
    singleTransaction: true,
    log: quiet,
    logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}
