/**
 * JSON load with autocannon (programmatic API): requests/s, and latency percentiles from every response's
 * own float duration (autocannon's histogram rounds to whole ms, too coarse for sub-ms overheads).
 */
import autocannon from 'autocannon';
import { Samples } from './stats.js';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Count of each non-2xx status, to tell limits (429) from failures (5xx) in the results file. */
  statuses: Record<string, number>;
}

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationS: number;
}

export async function jsonLoad(spec: LoadSpec): Promise<LoadResult> {
  const samples = new Samples();
  const instance = autocannon({
    url: spec.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: spec.body,
    connections: spec.connections,
    duration: spec.durationS,
    pipelining: 1,
  });
  const statuses: Record<string, number> = {};
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) samples.add(ms);
    else statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  const { p50, p99 } = samples.summary();
  const elapsedS = result.duration > 0 ? result.duration : spec.durationS;
  return {
    rps: samples.count / elapsedS,
    p50,
    p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statuses: { ...statuses, ...(result.errors ? { socket_errors: result.errors } : {}), ...(result.timeouts ? { timeouts: result.timeouts } : {}) },
  };
}
