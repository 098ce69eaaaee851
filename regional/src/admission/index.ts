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
import { PostgresSpendLedger, type SpendLedger } from './ledger.js';
import { MemoryAdmission } from './memory.js';
import { RedisAdmission } from './redis.js';
import type { Admission, AdmissionLogger, AdmissionMetrics } from './types.js';

export { admissionConfigFromEnv, parsePolicy, DEFAULT_POLICY } from './config.js';
export type { AdmissionConfig, HashTagMode } from './config.js';
export { MemoryAdmission } from './memory.js';
export { RedisAdmission } from './redis.js';
export { PostgresSpendLedger, type SpendLedger } from './ledger.js';
export type * from './types.js';

/** Redis-backed when config.redisUrl is set, else the in-process implementation. */
export async function createAdmission(
  config: AdmissionConfig,
  deps: { logger: AdmissionLogger; metrics?: AdmissionMetrics; ledger?: pg.Pool | SpendLedger | undefined },
): Promise<Admission> {
  const ledger = deps.ledger && 'spentMicro' in deps.ledger ? deps.ledger : deps.ledger ? new PostgresSpendLedger(deps.ledger) : undefined;
  if (config.redisUrl) return RedisAdmission.create({ config, logger: deps.logger, metrics: deps.metrics, ledger });
  deps.logger.info({}, 'admission: no REDIS_URL, limits are enforced in this process only');
  return new MemoryAdmission({ leaseMs: config.leaseMs, metrics: deps.metrics });
}
