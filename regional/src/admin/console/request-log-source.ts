/**
 * Where the console reads the request log: ClickHouse's `request_log` table in production (CLICKHOUSE_URL), the
 * NDJSON files of the local sink under `npm start`. Both answer the same two questions: a page of rows (newest
 * first) and the period's request count, errors and latency percentiles.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { BREAKDOWN_COLUMNS, percentile, readRequestLog, type RequestFilter, type RequestLogRow } from './request-log.js';

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
    close: async () => undefined,
  };
}

const noneSource: RequestLogSource = {
  name: 'none',
  search: async () => ({ rows: [], hasMore: false, truncated: false }),
  stats: async () => ({ count: 0, errors: 0, p50_ms: null, p95_ms: null, p50_overhead_ms: null, p95_overhead_ms: null }),
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
    close: () => client.close(),
  };
}

/** CLICKHOUSE_URL (+ _USER/_PASSWORD/_DATABASE) as the usage sink uses them, else the local files, else none. */
export function requestLogFromEnv(env: NodeJS.ProcessEnv, dataDir: string | undefined): RequestLogSource {
  if (env.CLICKHOUSE_URL) {
    return clickHouseSource(
      createClient({
        url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER ?? 'default', password: env.CLICKHOUSE_PASSWORD ?? '', database: env.CLICKHOUSE_DATABASE ?? 'default',
        request_timeout: 15_000, application: 'skyway-console', log: { level: ClickHouseLogLevel.OFF },
      }),
    );
  }
  return dataDir ? localFilesSource(dataDir) : noneSource;
}
