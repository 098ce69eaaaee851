/**
 * Settings shared by every k6 scenario, read from the environment (`k6 run -e NAME=value` or the shell):
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | BASE_URL | http://127.0.0.1:8080 | gateway origin, without `/v1` |
 * | API_KEY | (required) | virtual key or master key, sent as a bearer token |
 * | MODEL | mock-1 | chat model |
 * | MODELS | MODEL | comma-separated chat models for the mixed workload |
 * | EMBED_MODEL | mock-embed | embeddings model for the mixed workload |
 * | REGION | local | tag on every metric, so results from several regions can be compared |
 * | RATE | 10 | requests per second (arrival rate) |
 * | DURATION | 1m | how long a constant-rate scenario runs |
 * | MAX_VUS | 200 | ceiling on virtual users the executor may allocate |
 * | MAX_TOKENS | 64 | max_tokens sent with every request |
 * | P95_MS / P99_MS | 2000 / 5000 | latency thresholds |
 * | MAX_ERROR_RATE | 0.01 | threshold on http_req_failed |
 */
import type { Options } from 'k6/options';

export interface Settings {
  baseUrl: string;
  apiKey: string;
  model: string;
  models: string[];
  embedModel: string;
  region: string;
  rate: number;
  duration: string;
  maxVUs: number;
  maxTokens: number;
  p95Ms: number;
  p99Ms: number;
  maxErrorRate: number;
}

function num(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
}

export function str(name: string, fallback: string): string {
  const raw = __ENV[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

export { num };

export function settings(): Settings {
  const model = str('MODEL', 'mock-1');
  return {
    baseUrl: str('BASE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '').replace(/\/v1$/, ''),
    apiKey: str('API_KEY', ''),
    model,
    models: str('MODELS', model)
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m.length > 0),
    embedModel: str('EMBED_MODEL', 'mock-embed'),
    region: str('REGION', 'local'),
    rate: num('RATE', 10),
    duration: str('DURATION', '1m'),
    maxVUs: num('MAX_VUS', 200),
    maxTokens: num('MAX_TOKENS', 64),
    p95Ms: num('P95_MS', 2000),
    p99Ms: num('P99_MS', 5000),
    maxErrorRate: num('MAX_ERROR_RATE', 0.01),
  };
}

/** VUs to pre-allocate for an arrival rate: enough for one second of requests at ~1 s each, capped. */
export function preAllocated(s: Settings, rate: number): number {
  return Math.min(s.maxVUs, Math.max(1, Math.ceil(rate)));
}

/** The thresholds every scenario shares: error rate, p95/p99 latency, checks. */
export function baseThresholds(s: Settings): NonNullable<Options['thresholds']> {
  return {
    http_req_failed: [{ threshold: `rate<${s.maxErrorRate}`, abortOnFail: false }],
    http_req_duration: [`p(95)<${s.p95Ms}`, `p(99)<${s.p99Ms}`],
    checks: ['rate>0.99'],
  };
}

/** Options every scenario starts from: region tag, trend statistics including p99. */
export function baseOptions(s: Settings): Options {
  return {
    tags: { region: s.region },
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    thresholds: baseThresholds(s),
  };
}

/** Minutes in a k6 duration string such as `90s`, `5m`, `1h30m`. */
export function minutes(duration: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(duration)) !== null) {
    const v = Number(m[1]);
    total += m[2] === 'h' ? v * 60 : m[2] === 'm' ? v : m[2] === 's' ? v / 60 : v / 60000;
  }
  if (total === 0) throw new Error(`cannot read duration ${duration}`);
  return total;
}
