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

export function admissionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AdmissionConfig {
  const tag = env.SKYWAY_LIMITS_HASH_TAG ?? 'global';
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
  };
}
