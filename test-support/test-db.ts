/** Test helper: a fresh, migrated database on a real Postgres (see test-support/services.ts). */
import type { TestContext } from 'node:test';
import type pg from 'pg';
import { postgres } from './services.js';
import { migrate } from '../regional/src/db/migrate.js';
import { createPool } from '../regional/src/db/pool.js';

export interface MigratedDb {
  url: string;
  db: pg.Pool;
  close(): Promise<void>;
}

/** Undefined when no Postgres can be had (the test was skipped). */
export async function migratedDb(t: TestContext): Promise<MigratedDb | undefined> {
  const pgh = await postgres(t);
  if (!pgh) return undefined;
  await migrate(pgh.url);
  const db = createPool(pgh.url, { max: 4 });
  return {
    url: pgh.url,
    db,
    close: async () => {
      await db.end();
      await pgh.close();
    },
  };
}

export const TEST_SIGNING_SECRETS = '1:test-signing-secret-version-one-0000000,2:test-signing-secret-version-two-0000000';
