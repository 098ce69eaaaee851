/**
 * Where the global spend ledger is (notes of #14): `SKYWAY_LEDGER_DATABASE_URL` (in an AWS secondary region the
 * local config-store cluster with Aurora write forwarding; in the primary region its writer), unset →
 * `CONFIG_DATABASE_URL` → `DATABASE_URL`. Budget leases (leases.ts) are on when `SKYWAY_BUDGET_LEASES=on`, or
 * with `auto` (the default) when that URL is not the regional store's: one database for both (dev,
 * `npm start`, a single-region deployment) keeps today's path, where Redis holds the whole budget.
 */
import type pg from 'pg';
import { createPool } from '../db/pool.js';
import type { AdmissionConfig } from './config.js';
import { PostgresLeaseLedger } from './lease-ledger.js';

/** The ledger's connection URL, or undefined when no database is configured at all. */
export function ledgerUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.SKYWAY_LEDGER_DATABASE_URL || env.CONFIG_DATABASE_URL || env.DATABASE_URL || undefined;
}

/** The ledger URL when budgets should be leases of it, else undefined (the single-region path). */
export function leaseLedgerUrl(config: Pick<AdmissionConfig, 'leases' | 'redisUrl'>, env: NodeJS.ProcessEnv): string | undefined {
  const url = ledgerUrlFromEnv(env);
  if (!url || !config.redisUrl || config.leases === 'off') return undefined;
  if (config.leases === 'on') return url;
  return url !== env.DATABASE_URL ? url : undefined;
}

/**
 * The lease ledger for this process, or undefined on the single-region path. Reuses the config-store pool or
 * the regional one (`pools`) when the ledger is the same database (the primary region, where the config store
 * is the writer; SKYWAY_BUDGET_LEASES=on with one database).
 */
export function openLeaseLedger(
  config: Pick<AdmissionConfig, 'leases' | 'redisUrl'>,
  env: NodeJS.ProcessEnv,
  pools: { config?: pg.Pool | undefined; regional?: pg.Pool | undefined } = {},
): PostgresLeaseLedger | undefined {
  const url = leaseLedgerUrl(config, env);
  if (!url) return undefined;
  if (pools.config && url === (env.CONFIG_DATABASE_URL || env.DATABASE_URL)) return new PostgresLeaseLedger(pools.config);
  if (pools.regional && url === env.DATABASE_URL) return new PostgresLeaseLedger(pools.regional);
  return new PostgresLeaseLedger(createPool(url, { max: 4, applicationName: 'skyway-ledger' }), { ownsPool: true });
}
