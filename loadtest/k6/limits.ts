/**
 * Limit enforcement: drive a key with an RPM limit of LIMIT_RPM at RATE requests per second (default: twice
 * the limit) for DURATION, and check that the gateway answers 429 in the OpenAI shape once the limit is spent,
 * and never admits much more than the limit: at most LIMIT_RPM per started minute, plus TOLERANCE (default 10%).
 * Set EXPECT_LIMITED=0 to assert the opposite (a key under its limit sees no 429).
 *   k6 run -e BASE_URL=... -e API_KEY=<key with rpm_limit 60> -e LIMIT_RPM=60 -e DURATION=2m dist/loadtest/k6/limits.js
 */
import { check } from 'k6';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { baseOptions, minutes, num, preAllocated, settings } from './lib/config.js';
import { chatBody, header, params, preflight } from './lib/openai.js';

const s = settings();
const limitRpm = num('LIMIT_RPM', 60);
const rate = num('RATE', (limitRpm / 60) * 2);
const tolerance = num('TOLERANCE', 0.1);
const expectLimited = num('EXPECT_LIMITED', 1) === 1;
/** Windows may be fixed or sliding: allow one full window more than the run's length. */
const allowed = Math.floor(limitRpm * (Math.ceil(minutes(s.duration)) + 1) * (1 + tolerance));

const rateLimited = new Rate('rate_limited');
const accepted = new Counter('accepted_requests');

const base = baseOptions(s);
export const options: Options = {
  ...base,
  thresholds: {
    // 429s are expected here: count only other failures as errors.
    http_req_failed: [`rate<${s.maxErrorRate}`],
    checks: ['rate>0.99'],
    rate_limited: [expectLimited ? 'rate>0' : 'rate==0'],
    accepted_requests: [`count<=${allowed}`],
  },
  scenarios: {
    limits: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: s.duration,
      preAllocatedVUs: preAllocated(s, rate),
      maxVUs: s.maxVUs,
    },
  },
};

export function setup() {
  return preflight(s, [s.model]);
}

export default function (): void {
  const res = http.post(
    `${s.baseUrl}/v1/chat/completions`,
    chatBody(s, s.model, false),
    params(s, 'limits', { responseCallback: http.expectedStatuses(200, 429) }),
  );
  rateLimited.add(res.status === 429);
  if (res.status === 200) accepted.add(1);
  let error: { type?: unknown; message?: unknown } | undefined;
  if (res.status === 429) {
    try {
      error = (JSON.parse(String(res.body)) as { error?: { type?: unknown; message?: unknown } }).error;
    } catch {
      error = undefined;
    }
  }
  check(res, {
    'limits: 200 or 429': (r) => r.status === 200 || r.status === 429,
    'limits: 429 is OpenAI-shaped': (r) => r.status !== 429 || (typeof error?.message === 'string' && typeof error.type === 'string'),
    'limits: 429 says when to retry': (r) =>
      r.status !== 429 || header(r, 'retry-after') !== undefined || header(r, 'x-ratelimit-reset-requests') !== undefined,
  });
}
