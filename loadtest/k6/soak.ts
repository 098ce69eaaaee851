/**
 * Soak: a steady mix (STREAM_SHARE of requests streamed, default 0.2) at RATE for SOAK_DURATION (default 2h).
 * Watch the gateway's RSS and p99 over time; thresholds are the same as the steady test.
 *   k6 run -e BASE_URL=... -e API_KEY=... -e RATE=20 -e SOAK_DURATION=4h dist/loadtest/k6/soak.js
 */
import type { Options } from 'k6/options';
import { baseOptions, num, preAllocated, settings, str } from './lib/config.js';
import { chat, chatStream, preflight } from './lib/openai.js';

const s = settings();
const streamShare = num('STREAM_SHARE', 0.2);

export const options: Options = {
  ...baseOptions(s),
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: s.rate,
      timeUnit: '1s',
      duration: str('SOAK_DURATION', '2h'),
      preAllocatedVUs: preAllocated(s, s.rate * 2),
      maxVUs: s.maxVUs,
    },
  },
};

export function setup() {
  return preflight(s, [s.model]);
}

/** Every 1/STREAM_SHARE-th iteration of a VU streams; the rest are JSON. */
export default function (): void {
  const every = streamShare > 0 ? Math.max(1, Math.round(1 / streamShare)) : 0;
  if (every > 0 && __ITER % every === 0) chatStream(s);
  else chat(s);
}
