/**
 * Where the console reads the request log: ClickHouse's `request_log` table in production (CLICKHOUSE_URL), the
 * NDJSON files of the local sink under `npm start`. Both answer the same two questions: a page of rows (newest
 * first) and the period's request count, errors and latency percentiles.
 */
import { createRequire } from 'node:module';
import type { ClickHouseClient } from '@clickhouse/client';
import { attemptRows, BREAKDOWN_COLUMNS, findLocalRequest, percentile, readRequestLog, type AttemptRow, type RequestFilter, type RequestLogRow } from './request-log.js';
import { assembleSeries, BUCKET_SECONDS, cellsOfRows, type GroupCell, type RequestSeries, type SeriesQuery, type TotalCell } from './request-series.js';

/** One request with every column of its row (new token columns included as they appear) and its attempts. */
export type RequestDetailRow = RequestLogRow & Record<string, unknown> & { attempt_log: AttemptRow[] | null };

export interface RequestStats {
  count: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p50_overhead_ms: number | null;
  p95_overhead_ms: number | null;
}

export interface RequestLogSource {
  readonly name: 'clickhouse' | 'local_files' | 'none';
  search(f: RequestFilter, page: { limit: number; offset: number }): Promise<{ rows: RequestLogRow[]; hasMore: boolean; truncated: boolean }>;
  stats(f: RequestFilter): Promise<RequestStats>;
  /** One request by id (`day`, its UTC day, narrows the search). */
  get(requestId: string, day?: string): Promise<RequestDetailRow | undefined>;
  /** Totals and per-group values per time bucket. */
  series(f: RequestFilter, q: SeriesQuery): Promise<RequestSeries>;
  close(): Promise<void>;
}

export function localFilesSource(dataDir: string): RequestLogSource {
  return {
    name: 'local_files',
    async search(f, page) {
      const { rows, truncated } = await readRequestLog(dataDir, f);
      return { rows: rows.slice(page.offset, page.offset + page.limit), hasMore: rows.length > page.offset + page.limit, truncated };
    },
    async stats(f) {
      const { rows } = await readRequestLog(dataDir, f);
      const total = rows.map((x) => x.total_ms).sort((a, b) => a - b);
      const overhead = rows.map((x) => x.overhead_ms).sort((a, b) => a - b);
      return {
        count: rows.length,
        errors: rows.filter((x) => x.status < 200 || x.status >= 300).length,
        p50_ms: percentile(total, 50), p95_ms: percentile(total, 95), p50_overhead_ms: percentile(overhead, 50), p95_overhead_ms: percentile(overhead, 95),
      };
    },
    get: (requestId, day) => findLocalRequest(dataDir, requestId, day),
    async series(f, q) {
      const { rows } = await readRequestLog(dataDir, f);
      return assembleSeries(f, q, cellsOfRows(rows, q));
    },
    close: async () => undefined,
  };
}

const noneSource: RequestLogSource = {
  name: 'none',
  search: async () => ({ rows: [], hasMore: false, truncated: false }),
  stats: async () => ({ count: 0, errors: 0, p50_ms: null, p95_ms: null, p50_overhead_ms: null, p95_overhead_ms: null }),
  get: async () => undefined,
  series: async (f, q) => assembleSeries(f, q, { totals: [], groups: [] }),
  close: async () => undefined,
};

/** WHERE clause and typed parameters (ClickHouse binds them server-side: no SQL built from input). */
function where(f: RequestFilter): { sql: string; params: Record<string, unknown> } {
  const parts = ['toDate(time) BETWEEN {from:Date} AND {to:Date}'];
  const params: Record<string, unknown> = { from: f.from, to: f.to };
  for (const col of ['key_id', 'team_id', 'model'] as const) {
    if (f[col]) {
      parts.push(`${col} = {${col}:String}`);
      params[col] = f[col];
    }
  }
  if (f.status === 'ok') parts.push('status BETWEEN 200 AND 299');
  else if (f.status === 'error') parts.push('(status < 200 OR status > 299)');
  else if (f.status) {
    parts.push('status = {status:UInt16}');
    params.status = Number(f.status);
  }
  return { sql: parts.join(' AND '), params };
}

const COLUMNS = `request_id, toString(time) AS time, key_id, team_id, user_id, model, deployment, provider, status, error_code,
  total_ms, overhead_ms, upstream_ms, ttfb_ms, prompt_tokens, completion_tokens, cost_usd, attempts, stream, ${BREAKDOWN_COLUMNS.join(', ')}`;

/** Nearest-rank percentile (the same definition as the local files' `percentile`). */
const rank = (col: string, p: number) => `arrayElement(arraySort(groupArray(${col})), toUInt64(greatest(1, ceil(${p} * count()))))`;

export function clickHouseSource(client: ClickHouseClient): RequestLogSource {
  const rows = async <T>(query: string, params: Record<string, unknown>) => (await (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json()) as T[];
  return {
    name: 'clickhouse',
    async search(f, page) {
      const w = where(f);
      // FINAL: the table is a ReplacingMergeTree; a replayed batch must not show a request twice.
      const got = await rows<RequestLogRow>(`SELECT ${COLUMNS} FROM request_log FINAL WHERE ${w.sql} ORDER BY time DESC, request_id DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, {
        ...w.params, limit: page.limit + 1, offset: page.offset,
      });
      return { rows: got.slice(0, page.limit), hasMore: got.length > page.limit, truncated: false };
    },
    async stats(f) {
      const w = where(f);
      const [r] = await rows<Record<string, number | string | null>>(
        `SELECT count() AS count, countIf(status < 200 OR status > 299) AS errors,
           ${rank('total_ms', 0.5)} AS p50, ${rank('total_ms', 0.95)} AS p95, ${rank('overhead_ms', 0.5)} AS p50o, ${rank('overhead_ms', 0.95)} AS p95o
         FROM request_log FINAL WHERE ${w.sql}`,
        w.params,
      );
      const n = Number(r?.count ?? 0);
      const v = (x: number | string | null | undefined) => (n && x !== null && x !== undefined ? Number(x) : null);
      return { count: n, errors: Number(r?.errors ?? 0), p50_ms: v(r?.p50), p95_ms: v(r?.p95), p50_overhead_ms: v(r?.p50o), p95_overhead_ms: v(r?.p95o) };
    },
    async get(requestId, day) {
      const params: Record<string, unknown> = { id: requestId };
      const onDay = day ? ' AND toDate(time) = {day:Date}' : '';
      if (day) params.day = day;
      // Every column (token columns added later included), minus the insert bookkeeping.
      const [row] = await rows<RequestLogRow & Record<string, unknown>>(
        `SELECT * EXCEPT (time, inserted_at), toString(time) AS time FROM request_log FINAL WHERE request_id = {id:String}${onDay} LIMIT 1`,
        params,
      );
      if (!row) return undefined;
      const [span] = await rows<{ log: string }>(
        `SELECT SpanAttributes['skyway.attempt_log'] AS log FROM traces WHERE RequestId = {id:String} AND toDate(Timestamp) = toDate({t:String}) LIMIT 1`,
        { id: requestId, t: row.time.slice(0, 10) },
      );
      return { ...row, attempt_log: attemptRows(span?.log) };
    },
    async series(f, q) {
      const w = where(f);
      const params = { ...w.params, step: BUCKET_SECONDS[q.bucket] };
      const t = 'intDiv(toUnixTimestamp(time), {step:UInt32}) * {step:UInt32}';
      const group = q.groupBy === 'model' ? 'model' : 'team_id';
      const totals = await rows<Record<string, number | string | null>>(
        `SELECT ${t} AS t, count() AS requests, countIf(status < 200 OR status > 299) AS errors,
           ${rank('total_ms', 0.5)} AS p50, ${rank('total_ms', 0.95)} AS p95, ${rank('overhead_ms', 0.5)} AS p50o, ${rank('overhead_ms', 0.95)} AS p95o,
           sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS cost
         FROM request_log FINAL WHERE ${w.sql} GROUP BY t ORDER BY t`,
        params,
      );
      const groups = await rows<Record<string, number | string>>(
        `SELECT ${t} AS t, ${group} AS grp, count() AS requests, sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS cost
         FROM request_log FINAL WHERE ${w.sql} GROUP BY t, grp`,
        params,
      );
      const num = (x: number | string | null | undefined) => (x === null || x === undefined ? null : Number(x));
      return assembleSeries(f, q, {
        totals: totals.map((r): TotalCell => ({
          t: Number(r.t), requests: Number(r.requests), errors: Number(r.errors), p50_ms: num(r.p50), p95_ms: num(r.p95), p50_overhead_ms: num(r.p50o), p95_overhead_ms: num(r.p95o),
          total_tokens: Number(r.tokens), cost_usd: Number(r.cost),
        })),
        groups: groups.map((r): GroupCell => ({ t: Number(r.t), group: String(r.grp), requests: Number(r.requests), total_tokens: Number(r.tokens), cost_usd: Number(r.cost) })),
      });
    },
    close: () => client.close(),
  };
}

/** CLICKHOUSE_URL (+ _USER/_PASSWORD/_DATABASE) as the usage sink uses them, else the local files, else none. */
export function requestLogFromEnv(env: NodeJS.ProcessEnv, dataDir: string | undefined): RequestLogSource {
  if (env.CLICKHOUSE_URL) {
    // Loaded only when configured: without CLICKHOUSE_URL the admin role never needs the client.
    const { ClickHouseLogLevel, createClient } = createRequire(import.meta.url)('@clickhouse/client') as typeof import('@clickhouse/client');
    return clickHouseSource(
      createClient({
        url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER ?? 'default', password: env.CLICKHOUSE_PASSWORD ?? '', database: env.CLICKHOUSE_DATABASE ?? 'default',
        request_timeout: 15_000, application: 'skyway-console', log: { level: ClickHouseLogLevel.OFF },
      }),
    );
  }
  return dataDir ? localFilesSource(dataDir) : noneSource;
}
