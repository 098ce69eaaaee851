/**
 * Steady chat: RATE chat completions per second for DURATION (constant-arrival-rate), JSON responses.
 *   k6 run -e BASE_URL=https://api.example.com -e API_KEY=sk-... -e RATE=50 dist/loadtest/k6/steady-chat.js
 */
import type { Options } from 'k6/options';
import { baseOptions, preAllocated, settings } from './lib/config.js';
import { chat, preflight } from './lib/openai.js';

const s = settings();

export const options: Options = {
  ...baseOptions(s),
  scenarios: {
    steady_chat: {
      executor: 'constant-arrival-rate',
      rate: s.rate,
      timeUnit: '1s',
      duration: s.duration,
      preAllocatedVUs: preAllocated(s, s.rate),
      maxVUs: s.maxVUs,
    },
  },
};

export function setup() {
  return preflight(s, [s.model]);
}

export default function (): void {
  chat(s);
}
