/**
 * Mixed workload across models: JSON chat over every model in MODELS (round robin), streamed chat, and
 * embeddings, each its own scenario with its own rate (CHAT_RATE, STREAM_RATE, EMBED_RATE; default RATE,
 * RATE/2, RATE/2) and its own latency thresholds.
 *   k6 run -e BASE_URL=... -e API_KEY=... -e MODELS=gpt-4o-mini,claude-haiku -e RATE=20 dist/loadtest/k6/mixed.js
 */
import type { Options, Scenario } from 'k6/options';
import { baseOptions, num, preAllocated, settings } from './lib/config.js';
import { chat, chatStream, embed, preflight } from './lib/openai.js';

const s = settings();

function arrival(exec: string, rate: number): Scenario {
  return {
    executor: 'constant-arrival-rate',
    exec,
    rate,
    timeUnit: '1s',
    duration: s.duration,
    preAllocatedVUs: preAllocated(s, rate),
    maxVUs: s.maxVUs,
  };
}

const base = baseOptions(s);
export const options: Options = {
  ...base,
  thresholds: {
    ...base.thresholds,
    'http_req_duration{scenario:chat}': [`p(95)<${s.p95Ms}`, `p(99)<${s.p99Ms}`],
    'http_req_duration{scenario:embeddings}': [`p(95)<${num('EMBED_P95_MS', 1000)}`],
    time_to_first_token: [`p(95)<${num('TTFT_P95_MS', 1000)}`],
  },
  scenarios: {
    chat: arrival('chatScenario', num('CHAT_RATE', s.rate)),
    stream: arrival('streamScenario', num('STREAM_RATE', Math.max(1, s.rate / 2))),
    embeddings: arrival('embedScenario', num('EMBED_RATE', Math.max(1, s.rate / 2))),
  },
};

export function setup() {
  return preflight(s, [...s.models, s.embedModel]);
}

function pick(): string {
  return s.models[(__VU + __ITER) % s.models.length]!;
}

export function chatScenario(): void {
  chat(s, pick());
}

export function streamScenario(): void {
  chatStream(s, pick());
}

export function embedScenario(): void {
  embed(s);
}
