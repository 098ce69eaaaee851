/**
 * Exact-match response cache. The pipeline: compute `cacheKey(body, …)`, check `cacheDirectives(header)`,
 * `lookup(key)` before admission (a hit is not admitted against budgets/TPM and is not billed; answer with
 * `x-skyway-cache: hit`), and after a complete 200 response `store(key, entry, ttl)` — for streams feed an
 * `SseRecorder` with the bytes sent and store `recorder.finish()` if it returns an entry.
 */
export { cacheDirectives, cacheKey, normaliseRequest } from './key.js';
export { MemoryResponseCache } from './memory.js';
export { RedisResponseCache } from './redis.js';
export type { RedisResponseCacheOptions } from './redis.js';
export { SseRecorder, replayFrames } from './sse.js';
export { CACHE_HEADER } from './types.js';
export type { CachedResponse, ResponseCache } from './types.js';
export { RequestCache } from './request-cache.js';
