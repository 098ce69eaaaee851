/**
 * Search of the request log for the console. Under `npm start` (no CLICKHOUSE_URL) the log is the NDJSON files
 * the local ClickHouse sink writes under `<data dir>/clickhouse/request_log/dt=YYYY-MM-DD/`: only the days in
 * the asked range are read, and at most SCAN_LIMIT rows, newest days first. Paging is by offset in the
 * (time desc, request_id) order, which is stable because files are only ever added.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RequestLogRow {
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
  /** The usage breakdown (issue 16); 0 in rows written before it existed. */
  cached_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens: number;
  reasoning_tokens: number;
  input_cost_usd: number;
  cached_input_cost_usd: number;
  cache_write_cost_usd: number;
  output_cost_usd: number;
  reasoning_cost_usd: number;
}

/** The breakdown columns of a request-log row, and the value a row written before them reads as. */
export const BREAKDOWN_COLUMNS = [
  'cached_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens',
  'input_cost_usd', 'cached_input_cost_usd', 'cache_write_cost_usd', 'output_cost_usd', 'reasoning_cost_usd',
] as const;

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
