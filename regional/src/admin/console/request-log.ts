/**
 * Search of the request log for the console. Under `npm start` (no CLICKHOUSE_URL) the log is the NDJSON files
 * the local ClickHouse sink writes under `<data dir>/clickhouse/request_log/dt=YYYY-MM-DD/`: only the days in
 * the asked range are read, and at most SCAN_LIMIT rows, newest days first. Paging is by offset in the
 * (time desc, request_id) order, which is stable because files are only ever added.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BREAKDOWN_COLUMNS, type Breakdown } from '../../usage/breakdown-columns.js';

export { BREAKDOWN_COLUMNS };

/** A request-log row; the usage breakdown columns (issue 16) read 0 in rows written before they existed. */
export interface RequestLogRow extends Breakdown {
  request_id: string;
  time: string;
  key_id: string;
  team_id: string;
  user_id: string;
  model: string;
  deployment: string;
  provider: string;
  status: number;
  error_code: string;
  total_ms: number;
  overhead_ms: number;
  upstream_ms: number;
  ttfb_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  attempts: number;
  stream: boolean;
}

/** A row written before the breakdown columns existed reads 0 in each. */
function withBreakdown(r: RequestLogRow): RequestLogRow {
  for (const c of BREAKDOWN_COLUMNS) if (typeof r[c] !== 'number') r[c] = 0;
  return r;
}

export interface RequestFilter {
  from: string;
  to: string;
  key_id?: string | undefined;
  team_id?: string | undefined;
  model?: string | undefined;
  /** `ok` (2xx), `error` (anything else) or one HTTP status. */
  status?: string | undefined;
}

const SCAN_LIMIT = 200_000;

function matches(r: RequestLogRow, f: RequestFilter): boolean {
  if (f.key_id && r.key_id !== f.key_id) return false;
  if (f.team_id && r.team_id !== f.team_id) return false;
  if (f.model && r.model !== f.model) return false;
  if (f.status === 'ok') return r.status >= 200 && r.status < 300;
  if (f.status === 'error') return r.status < 200 || r.status >= 300;
  if (f.status) return String(r.status) === f.status;
  return true;
}

/** Every matching row in the range, newest first (bounded by SCAN_LIMIT rows read). */
export async function readRequestLog(dataDir: string, f: RequestFilter): Promise<{ rows: RequestLogRow[]; truncated: boolean }> {
  const root = join(dataDir, 'clickhouse', 'request_log');
  let days: string[];
  try {
    days = (await readdir(root)).filter((d) => /^dt=\d{4}-\d\d-\d\d$/.test(d) && d.slice(3) >= f.from && d.slice(3) <= f.to).sort().reverse();
  } catch {
    return { rows: [], truncated: false };
  }
  const rows: RequestLogRow[] = [];
  let read = 0;
  let truncated = false;
  for (const day of days) {
    const files = await readdir(join(root, day)).catch(() => [] as string[]);
    for (const file of files.filter((n) => n.endsWith('.ndjson'))) {
      const text = await readFile(join(root, day, file), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line) continue;
        if (++read > SCAN_LIMIT) {
          truncated = true;
          break;
        }
        try {
          const r = JSON.parse(line) as RequestLogRow;
          if (matches(r, f)) rows.push(withBreakdown(r));
        } catch {
          /* a torn last line of a file being written: skip it */
        }
      }
    }
  }
  rows.sort((a, b) => (a.time === b.time ? (a.request_id < b.request_id ? 1 : -1) : a.time < b.time ? 1 : -1));
  return { rows, truncated };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One attempt as the request detail shows it (the usage event's `attemptLog`, snake_case). */
export interface AttemptRow {
  deployment: string;
  model: string;
  status: number;
  error_code: string | null;
  duration_ms: number;
}

/** The trace span's `skyway.attempt_log` attribute (JSON of the event's attemptLog) as rows; null when absent. */
export function attemptRows(json: string | undefined | null): AttemptRow[] | null {
  if (!json) return null;
  try {
    const list = JSON.parse(json) as Array<{ deployment: string; model: string; status: number; errorCode: string | null; durationMs: number }>;
    return Array.isArray(list) ? list.map((a) => ({ deployment: a.deployment, model: a.model, status: a.status, error_code: a.errorCode, duration_ms: a.durationMs })) : null;
  } catch {
    return null;
  }
}

/** The UTC day directories of one table, newest first (only `day` when given). */
async function dayDirs(root: string, day: string | undefined): Promise<string[]> {
  const all = await readdir(root).catch(() => [] as string[]);
  return all.filter((d) => /^dt=\d{4}-\d\d-\d\d$/.test(d) && (!day || d === `dt=${day}`)).sort().reverse();
}

/** The first NDJSON line of `table` that contains `needle` and satisfies `pick`, newest days first (bounded). */
async function findLine<T>(dataDir: string, table: string, day: string | undefined, needle: string, pick: (v: T) => boolean): Promise<T | undefined> {
  const root = join(dataDir, 'clickhouse', table);
  let read = 0;
  for (const d of await dayDirs(root, day)) {
    for (const file of (await readdir(join(root, d)).catch(() => [] as string[])).filter((n) => n.endsWith('.ndjson'))) {
      const text = await readFile(join(root, d, file), 'utf8').catch(() => '');
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
        const line = text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at) < 0 ? undefined : text.indexOf('\n', at));
        try {
          const v = JSON.parse(line) as T;
          if (pick(v)) return v;
        } catch {
          /* a torn last line */
        }
      }
      if ((read += text.length) > SCAN_LIMIT * 1000) return undefined;
    }
  }
  return undefined;
}

/** One request's row (every column the sink wrote) and its attempts, from the local files. */
export async function findLocalRequest(dataDir: string, requestId: string, day?: string): Promise<(RequestLogRow & Record<string, unknown> & { attempt_log: AttemptRow[] | null }) | undefined> {
  const needle = `"request_id":${JSON.stringify(requestId)}`;
  const row = await findLine<RequestLogRow & Record<string, unknown>>(dataDir, 'request_log', day, needle, (r) => r.request_id === requestId);
  if (!row) return undefined;
  const span = await findLine<{ RequestId: string; SpanAttributes?: Record<string, string> }>(dataDir, 'traces', row.time.slice(0, 10), `"RequestId":${JSON.stringify(requestId)}`, (s) => s.RequestId === requestId);
  return { ...row, attempt_log: attemptRows(span?.SpanAttributes?.['skyway.attempt_log']) };
}
