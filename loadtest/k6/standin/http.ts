/** Stand-in for `k6/http`: blocking get/post/request with k6's response shape and built-in metrics. */
import { record } from './context.js';
import { requestSync } from './sync-http.js';

type StatusCallback = { __expected: (status: number) => boolean };

export interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  timeout?: string | number;
  responseCallback?: StatusCallback | null;
}

let defaultCallback: StatusCallback | null = expectedStatuses({ min: 200, max: 399 });

export function expectedStatuses(...specs: (number | { min: number; max: number })[]): StatusCallback {
  return {
    __expected: (status) => specs.some((s) => (typeof s === 'number' ? s === status : status >= s.min && status <= s.max)),
  };
}

export function setResponseCallback(cb: StatusCallback | null): void {
  defaultCallback = cb;
}

function timeoutMs(t: string | number | undefined): number {
  if (t === undefined) return 60_000;
  if (typeof t === 'number') return t;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(t);
  if (!m) throw new Error(`k6 stand-in: cannot read timeout ${t}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** k6 reports header names in canonical form (`Content-Type`). */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

export interface Response {
  status: number;
  body: string;
  headers: Record<string, string>;
  url: string;
  error: string;
  timings: { duration: number; waiting: number; receiving: number; sending: number; blocked: number; connecting: number };
  json(selector?: string): unknown;
}

export function request(method: string, url: string, body?: string | null, params: Params = {}): Response {
  const wire = requestSync({ method, url, headers: params.headers ?? {}, body: body ?? undefined, timeoutMs: timeoutMs(params.timeout) });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(wire.headers)) headers[canonical(k)] = v;
  const duration = wire.waiting + wire.receiving;
  const res: Response = {
    status: wire.status,
    body: wire.body,
    headers,
    url,
    error: wire.error,
    timings: { duration, waiting: wire.waiting, receiving: wire.receiving, sending: 0, blocked: 0, connecting: 0 },
    json(selector?: string) {
      const parsed = JSON.parse(wire.body) as unknown;
      if (!selector) return parsed;
      return selector.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), parsed);
    },
  };
  const cb = params.responseCallback === undefined ? defaultCallback : params.responseCallback;
  const expected = cb ? cb.__expected(wire.status) : true;
  const tags = { ...params.tags, method, status: String(wire.status), expected_response: String(expected) };
  record('http_reqs', 'counter', 1, tags);
  record('http_req_failed', 'rate', expected ? 0 : 1, tags);
  record('http_req_duration', 'trend', duration, tags, true);
  record('http_req_waiting', 'trend', wire.waiting, tags, true);
  return res;
}

export function get(url: string, params?: Params): Response {
  return request('GET', url, null, params);
}

export function post(url: string, body?: string | null, params?: Params): Response {
  return request('POST', url, body, params);
}

export function del(url: string, body?: string | null, params?: Params): Response {
  return request('DELETE', url, body, params);
}

export default { request, get, post, del, expectedStatuses, setResponseCallback };
