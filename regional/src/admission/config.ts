/**
 * Admission settings from the environment. Documented in README.md next to this file.
 *
 *   REDIS_URL                         redis://host:port (rediss:// for TLS); unset = in-process limits
 *   SKYWAY_REDIS_CLUSTER=1            connect with the cluster client (ElastiCache cluster mode)
 *   SKYWAY_LIMITS_FAILURE_POLICY      e.g. "requests=local,tokens=local,parallel=local,budget=closed" (defaults)
 *   SKYWAY_REPLICAS                   replica count; local fallback limits are divided by it (default 1)
 *   SKYWAY_LIMITS_HASH_TAG            global (default) | team: how scopes map to cluster slots
 *   SKYWAY_ADMISSION_LEASE_MS         lifetime of an unsettled in-flight slot/reservation (default 600000)
 *   SKYWAY_REDIS_COMMAND_TIMEOUT_MS   a Redis call slower than this counts as Redis down (default 250)
 *   SKYWAY_REDIS_PREFIX               key prefix (default "skyway:")
 *   SKYWAY_BUDGET_SEED_TIMEOUT_MS     a ledger query rebuilding a budget slower than this fails (default 5000)
 *   SKYWAY_BUDGET_LEASES              auto (default) | on | off: budgets as leases of the global ledger (leases.ts);
 *                                     auto = on when the ledger URL (ledger-env.ts) is not DATABASE_URL
 *   SKYWAY_BUDGET_LEASE_FRACTION      one lease chunk as a fraction of the budget (default 0.1)
 *   SKYWAY_BUDGET_LEASE_TIMEOUT_MS    a ledger call for a lease slower than this fails (default 2000)
 *   SKYWAY_RATE_LIMIT_REGIONS         regions sharing RPM/TPM limits: each enforces ceil(limit / n) (default 1)
 */
import type { FailurePolicy, LimitKind } from './types.js';

export type HashTagMode = 'global' | 'team';

export interface AdmissionConfig {
  redisUrl: string | undefined;
  cluster: boolean;
  policy: Record<LimitKind, FailurePolicy>;
  replicas: number;
  hashTag: HashTagMode;
  leaseMs: number;
  commandTimeoutMs: number;
  prefix: string;
  /** Timeout of the ledger query that rebuilds a budget's spend (budget-seed.ts). @default 5000 */
  seedTimeoutMs?: number;
  /** Budget leases of the global ledger: `auto` decides from the ledger URL (ledger-env.ts). @default 'auto' */
  leases?: 'auto' | 'on' | 'off';
  /** A lease chunk as a fraction of the budget. @default 0.1 */
  leaseFraction?: number;
  /** Timeout of a ledger call for a lease. @default 2000 */
  leaseTimeoutMs?: number;
  /** Regions that share each RPM/TPM limit: this one enforces ceil(limit / n). @default 1 */
  rateRegions?: number;
}

export const DEFAULT_POLICY: Readonly<Record<LimitKind, FailurePolicy>> = Object.freeze({
  requests: 'local',
  tokens: 'local',
  parallel: 'local',
  budget: 'closed',
});

const KINDS: readonly LimitKind[] = ['requests', 'tokens', 'parallel', 'budget'];
const POLICIES: readonly FailurePolicy[] = ['local', 'open', 'closed'];

/** Parse `kind=policy,...`; unknown kinds or policies throw (a typo must not silently open a limit). */
export function parsePolicy(text: string | undefined): Record<LimitKind, FailurePolicy> {
  const out = { ...DEFAULT_POLICY };
  if (!text || !text.trim()) return out;
  for (const part of text.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (!KINDS.includes(k as LimitKind) || !POLICIES.includes(v as FailurePolicy)) {
      throw new Error(`SKYWAY_LIMITS_FAILURE_POLICY: '${part}' is not <${KINDS.join('|')}>=<${POLICIES.join('|')}>`);
    }
    if (k === 'budget' && v === 'local') throw new Error('SKYWAY_LIMITS_FAILURE_POLICY: budget=local is not allowed (a per-replica budget is not a budget); use closed or open');
    out[k as LimitKind] = v as FailurePolicy;
  }
  return out;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

function fraction(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new Error(`${name} must be a number in (0, 1], got '${raw}'`);
  return n;
}

export function admissionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AdmissionConfig {
  const tag = env.SKYWAY_LIMITS_HASH_TAG ?? 'global';
  const leases = env.SKYWAY_BUDGET_LEASES || 'auto';
  if (leases !== 'auto' && leases !== 'on' && leases !== 'off') throw new Error(`SKYWAY_BUDGET_LEASES must be auto, on or off, got '${leases}'`);
  if (tag !== 'global' && tag !== 'team') throw new Error(`SKYWAY_LIMITS_HASH_TAG must be global or team, got '${tag}'`);
  return {
    redisUrl: env.REDIS_URL || undefined,
    cluster: env.SKYWAY_REDIS_CLUSTER === '1' || env.SKYWAY_REDIS_CLUSTER === 'true',
    policy: parsePolicy(env.SKYWAY_LIMITS_FAILURE_POLICY),
    replicas: positiveInt(env, 'SKYWAY_REPLICAS', 1),
    hashTag: tag,
    leaseMs: positiveInt(env, 'SKYWAY_ADMISSION_LEASE_MS', 600_000),
    commandTimeoutMs: positiveInt(env, 'SKYWAY_REDIS_COMMAND_TIMEOUT_MS', 250),
    prefix: env.SKYWAY_REDIS_PREFIX ?? 'skyway:',
    seedTimeoutMs: positiveInt(env, 'SKYWAY_BUDGET_SEED_TIMEOUT_MS', 5000),
    leases,
    leaseFraction: fraction(env, 'SKYWAY_BUDGET_LEASE_FRACTION', 0.1),
    leaseTimeoutMs: positiveInt(env, 'SKYWAY_BUDGET_LEASE_TIMEOUT_MS', 2000),
    rateRegions: positiveInt(env, 'SKYWAY_RATE_LIMIT_REGIONS', 1),
  };
}
