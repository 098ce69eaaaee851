/** Routing across deployments: strategies, ceilings, cooldowns, retries and fallbacks. */
export { Attempt, Plan, Router, type RouterOptions } from './router.js';
export { DEFAULT_COOLDOWN, LocalHealthStore, type HealthStore } from './health.js';
export { RedisHealthStore } from './redis-health.js';
export { backoffMs, DEFAULT_RETRY, failureKind, outcomeFromError, parseRetryAfter } from './retry.js';
export type * from './types.js';
