/** Synthetic usage events for tests. */
import type { UsageEvent } from '../event.js';

const MODELS = ['gpt-4o-mini', 'claude-sonnet', 'llama-3-70b'];

/** A plausible event; `i` makes it unique and deterministic. */
export function makeEvent(i: number, runId = 'r', now = Date.now()): UsageEvent {
  const total = 50 + (i % 200);
  return {
    requestId: `req_${runId}_${i.toString().padStart(6, '0')}`,
    time: now - (i % 1000),
    keyId: `key_${i % 7}`,
    teamId: i % 3 === 0 ? null : `team_${i % 3}`,
    userId: i % 5 === 0 ? null : `user_${i % 5}`,
    model: MODELS[i % MODELS.length]!,
    deployment: `${MODELS[i % MODELS.length]!}/0`,
    provider: i % 2 ? 'openai' : 'anthropic',
    upstreamModel: MODELS[i % MODELS.length]!,
    region: 'eu-west-1',
    operation: 'chat',
    status: i % 50 === 0 ? 502 : 200,
    errorCode: i % 50 === 0 ? 'upstream_error' : null,
    latency: { totalMs: total, overheadMs: 1.5, upstreamMs: total - 1.5, ttfbMs: i % 4 ? 20 : null },
    tokens: { prompt: 100 + (i % 10), completion: 20 + (i % 7), cached: i % 3 },
    costUsd: 0.0001 * (1 + (i % 9)),
    cacheHit: i % 40 === 0,
    attempts: 1 + (i % 13 === 0 ? 1 : 0),
    stream: i % 2 === 0,
  };
}
