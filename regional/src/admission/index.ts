/**
 * Admission (rate limits, concurrency, budgets) for the request path.
 *
 * @example
 * const admission = await createAdmission(admissionConfigFromEnv(), { logger, metrics });
 * const ticket = await admission.admit({ requestId, principal, model, estimatedPromptTokens,
 *   maxCompletionTokens, estimatedCostUsd });          // throws RateLimited / BudgetExceeded / ServiceUnavailable
 * // ...call the provider, add ticket.headers to the response...
 * void ticket.settle({ promptTokens, completionTokens, costUsd }); // at the end, also on abort/failure
 */
import type pg from 'pg';
import type { AdmissionConfig } from './config.js';
import { PostgresLeaseLedger, type LeaseLedger } from './lease-ledger.js';
import { PostgresSpendLedger, type SpendLedger } from './ledger.js';
import { MemoryAdmission } from './memory.js';
import { RedisAdmission } from './redis.js';
import type { Admission, AdmissionLogger, AdmissionMetrics } from './types.js';

export { admissionConfigFromEnv, parsePolicy, DEFAULT_POLICY } from './config.js';
export type { AdmissionConfig, HashTagMode } from './config.js';
export { MemoryAdmission } from './memory.js';
export { RedisAdmission } from './redis.js';
export { PostgresSpendLedger, type SpendLedger } from './ledger.js';
export { PostgresLeaseLedger, type LeaseLedger } from './lease-ledger.js';
export { leaseLedgerUrl, ledgerUrlFromEnv, openLeaseLedger } from './ledger-env.js';
export type * from './types.js';

/**
 * Redis-backed when config.redisUrl is set, else the in-process implementation. `leases`: budgets become leases
 * of the global spend ledger (leases.ts; Redis only), `region` naming this region in it.
 */
export async function createAdmission(
  config: AdmissionConfig,
  deps: {
    logger: AdmissionLogger;
    metrics?: AdmissionMetrics;
    ledger?: pg.Pool | SpendLedger | undefined;
    leases?: { ledger: pg.Pool | LeaseLedger; region: string } | undefined;
  },
): Promise<Admission> {
  const ledger = deps.ledger && 'spentMicro' in deps.ledger ? deps.ledger : deps.ledger ? new PostgresSpendLedger(deps.ledger) : undefined;
  const l = deps.leases;
  const leases = l && {
    ledger: 'grant' in l.ledger ? l.ledger : new PostgresLeaseLedger(l.ledger),
    config: { region: l.region, fraction: config.leaseFraction ?? 0.1, timeoutMs: config.leaseTimeoutMs ?? 2000 },
  };
  if (config.redisUrl) return RedisAdmission.create({ config, logger: deps.logger, metrics: deps.metrics, ledger, leases });
  if (leases) deps.logger.warn({}, 'admission: budget leases need REDIS_URL; budgets hold in this process only');
  deps.logger.info({}, 'admission: no REDIS_URL, limits are enforced in this process only');
  return new MemoryAdmission({ leaseMs: config.leaseMs, metrics: deps.metrics });
}
