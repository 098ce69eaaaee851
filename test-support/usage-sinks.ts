/**
 * What each usage sink holds, read back for the usage end-to-end test — Postgres (`usage_events` ledger and
 * `spend_daily`), ClickHouse (`request_log` and `traces`, FINAL) and the S3 archive (every line of every
 * object) — plus the gateway's usage gauges scraped from its `/metrics` listener.
 */
import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import type { ClickHouseHandle } from './clickhouse.js';
import type { S3Handle } from './s3.js';

/** One record of a served request as a sink holds it. */
export interface SinkRecord {
  id: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export async function postgresLedger(db: pg.Pool): Promise<SinkRecord[]> {
  const rows = await db.query<{ request_id: string; prompt_tokens: number; completion_tokens: number; cost_usd: string }>(
    'select request_id, prompt_tokens, completion_tokens, cost_usd from usage_events',
  );
  return rows.rows.map((r) => record(r.request_id, r.prompt_tokens, r.completion_tokens, r.cost_usd));
}

/** spend_daily totals over every aggregate row. */
export async function spendTotals(db: pg.Pool): Promise<{ requests: number; promptTokens: number; completionTokens: number; totalTokens: number; costUsd: number }> {
  const r = await db.query<Record<'requests' | 'prompt' | 'completion' | 'total' | 'cost', string | null>>(
    `select sum(requests) as requests, sum(prompt_tokens) as prompt, sum(completion_tokens) as completion,
            sum(total_tokens) as total, sum(cost_usd) as cost from spend_daily`,
  );
  const row = r.rows[0]!;
  return {
    requests: Number(row.requests ?? 0),
    promptTokens: Number(row.prompt ?? 0),
    completionTokens: Number(row.completion ?? 0),
    totalTokens: Number(row.total ?? 0),
    costUsd: Number(row.cost ?? 0),
  };
}

export async function clickhouseRequestLog(ch: ClickHouseHandle): Promise<SinkRecord[]> {
  const rows = await ch.query<{ request_id: string; prompt_tokens: number; completion_tokens: number; cost_usd: number }>(
    'SELECT request_id, prompt_tokens, completion_tokens, cost_usd FROM request_log FINAL',
  );
  return rows.map((r) => record(r.request_id, r.prompt_tokens, r.completion_tokens, r.cost_usd));
}

export async function clickhouseTraceIds(ch: ClickHouseHandle): Promise<string[]> {
  return (await ch.query<{ RequestId: string }>('SELECT RequestId FROM traces FINAL')).map((r) => r.RequestId);
}

interface ArchivedEvent {
  requestId: string;
  tokens: { prompt: number; completion: number };
  costUsd: number;
}

/** Every event line of every archive object under `prefix`: a copy in two objects shows up twice. */
export async function archiveRecords(store: S3Handle, prefix = 'usage/'): Promise<{ records: SinkRecord[]; objects: number }> {
  const keys = await store.listKeys(prefix);
  const records: SinkRecord[] = [];
  for (const key of keys) {
    for (const line of gunzipSync(await store.getObject(key)).toString('utf8').split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as ArchivedEvent;
      records.push(record(e.requestId, e.tokens.prompt, e.tokens.completion, e.costUsd));
    }
  }
  return { records, objects: keys.length };
}

function record(id: string, prompt: number | string, completion: number | string, usd: number | string): SinkRecord {
  return { id, promptTokens: Number(prompt), completionTokens: Number(completion), costUsd: Number(usd) };
}

/** The gateway's per-sink usage gauges and counters, from its Prometheus text. */
export interface SinkGauges {
  up: number;
  queuedRows: number;
  spoolRows: number;
  delivered: number;
  spooled: number;
  dropped: number;
  failures: number;
}

const METRICS: Record<string, keyof SinkGauges> = {
  skyway_usage_sink_up: 'up',
  skyway_usage_queue_rows: 'queuedRows',
  skyway_usage_spool_rows: 'spoolRows',
  skyway_usage_delivered_rows_total: 'delivered',
  skyway_usage_spooled_rows_total: 'spooled',
  skyway_usage_dropped_rows_total: 'dropped',
  skyway_usage_sink_failures_total: 'failures',
};

/** Scrape `metricsUrl` (`http://host:port`); gauges by sink name. Dropped rows are summed over reasons. */
export async function usageGauges(metricsUrl: string): Promise<Record<string, SinkGauges>> {
  const res = await fetch(`${metricsUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET ${metricsUrl}/metrics: ${res.status}`);
  const out: Record<string, SinkGauges> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^(skyway_usage_\w+)\{([^}]*)\}\s+(\S+)$/.exec(line);
    const field = m && METRICS[m[1]!];
    const sink = m && /(?:^|,)sink="([^"]+)"/.exec(m[2]!)?.[1];
    if (!m || !field || !sink) continue;
    const g = (out[sink] ??= { up: 0, queuedRows: 0, spoolRows: 0, delivered: 0, spooled: 0, dropped: 0, failures: 0 });
    g[field] += Number(m[3]);
  }
  return out;
}

/** Poll `check` every 100 ms until it returns true; fail with `describe()` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, describe: () => Promise<string> | string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
