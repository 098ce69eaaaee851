/** The Postgres connection pool shared by the key store, the admin API and the spend reports. */
import { createRequire } from 'node:module';
import type pg from 'pg';

// pg loads with the first pool (DATABASE_URL set): the embedded api, which has no database, never needs it.
const require = createRequire(import.meta.url);

export interface PoolOptions {
  /** Connections per process. Admin traffic and cache misses are light; keep RDS max_connections in mind. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * A pool for `databaseUrl`. Errors on idle clients (a restarted server) are swallowed here so that they do not
 * crash the process; the next query reconnects.
 *
 * @example const db = createPool(process.env.DATABASE_URL!, { applicationName: 'skyway-admin' });
 */
export function createPool(databaseUrl: string, opts: PoolOptions = {}): pg.Pool {
  const { Pool } = require('pg') as typeof import('pg');
  const pool = new Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: opts.applicationName ?? 'skyway',
  });
  pool.on('error', () => undefined);
  return pool;
}

/** Run `fn` in one transaction on one client; rolls back when it throws. */
export async function inTransaction<T>(db: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Anything that can run a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;
