/**
 * Spike: RATE per second, then a jump to SPIKE_RATE within SPIKE_RAMP (default 10s), held for SPIKE_HOLD
 * (default 1m), then back to RATE. The gateway must keep its error rate and p99 through the jump.
 *   k6 run -e BASE_URL=... -e API_KEY=... -e RATE=20 -e SPIKE_RATE=500 dist/loadtest/k6/spike.js
 */
import type { Options } from 'k6/options';
import { baseOptions, num, preAllocated, settings, str } from './lib/config.js';
import { chat, preflight } from './lib/openai.js';

const s = settings();
const spikeRate = num('SPIKE_RATE', s.rate * 10);

export const options: Options = {
  ...baseOptions(s),
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: s.rate,
      timeUnit: '1s',
      preAllocatedVUs: preAllocated(s, spikeRate),
      maxVUs: Math.max(s.maxVUs, preAllocated(s, spikeRate)),
      stages: [
        { target: s.rate, duration: str('WARM', '30s') },
        { target: spikeRate, duration: str('SPIKE_RAMP', '10s') },
        { target: spikeRate, duration: str('SPIKE_HOLD', '1m') },
        { target: s.rate, duration: str('SPIKE_RAMP', '10s') },
        { target: s.rate, duration: str('COOL', '30s') },
      ],
    },
  },
};

export function setup() {
  return preflight(s, [s.model]);
}

export default function (): void {
  chat(s);
}
