/** Apply the project's Postgres migrations (the usage ledger's included) to a test database. */
import { migrate } from '../../db/migrate.js';

export async function migrateForUsage(databaseUrl: string): Promise<void> {
  await migrate(databaseUrl);
}
