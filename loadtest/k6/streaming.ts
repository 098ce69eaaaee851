/**
 * Streaming chat: RATE streamed completions per second for DURATION, with time to first token and
 * inter-token latency as custom metrics (thresholds TTFT_P95_MS, ITL_P95_MS).
 *   k6 run -e BASE_URL=... -e API_KEY=... -e RATE=20 dist/loadtest/k6/streaming.js
 */
import type { Options } from 'k6/options';
import { baseOptions, num, preAllocated, settings } from './lib/config.js';
import { chatStream, preflight } from './lib/openai.js';

const s = settings();
const base = baseOptions(s);

export const options: Options = {
  ...base,
  thresholds: {
    ...base.thresholds,
    time_to_first_token: [`p(95)<${num('TTFT_P95_MS', 1000)}`, `p(99)<${num('TTFT_P99_MS', 3000)}`],
    inter_token_latency: [`p(95)<${num('ITL_P95_MS', 200)}`],
  },
  scenarios: {
    streaming: {
      executor: 'constant-arrival-rate',
      rate: s.rate,
      timeUnit: '1s',
      duration: s.duration,
      preAllocatedVUs: preAllocated(s, s.rate * 5),
      maxVUs: s.maxVUs,
    },
  },
};

export function setup() {
  return preflight(s, [s.model]);
}

export default function (): void {
  chatStream(s);
}
