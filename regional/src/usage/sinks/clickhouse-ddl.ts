/**
 * Versioned ClickHouse DDL for the usage tables. Each step runs once, in order, and is recorded in
 * `skyway_schema_versions`; steps are written to be safe to re-run (IF NOT EXISTS) in case two replicas race.
 * Append new steps (ALTER … MODIFY TTL, new columns); never edit an applied one.
 *
 * Both tables are ReplacingMergeTree keyed so that a request's rows share one sorting key: a batch delivered
 * twice collapses to one row on merge, and `FINAL` shows one row per request at any time. Inserts also carry an
 * `insert_deduplication_token`, which drops an exact repeat at insert time where the engine supports it.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export interface DdlOptions {
  /** Retention of both tables, in days. Only read when the tables are created. @default 90 */
  ttlDays?: number;
  /**
   * `non_replicated_deduplication_window` for self-hosted, non-replicated MergeTree, so that dedup tokens apply.
   * 0 omits the setting (replicated engines, e.g. ClickHouse Cloud, deduplicate by default). @default 1000
   */
  dedupWindow?: number;
}

export interface DdlStep {
  version: number;
  description: string;
  sql: string;
}

export function usageDdl(opts: DdlOptions = {}): DdlStep[] {
  const ttl = Math.max(1, Math.floor(opts.ttlDays ?? 90));
  const window = Math.max(0, Math.floor(opts.dedupWindow ?? 1000));
  const settings = window > 0 ? `SETTINGS non_replicated_deduplication_window = ${window}` : '';
  return [
    {
      version: 1,
      description: 'request_log: one row per request, for analytics',
      sql: `CREATE TABLE IF NOT EXISTS request_log (
        request_id String,
        time DateTime64(3, 'UTC'),
        key_id String,
        team_id String,
        user_id String,
        model LowCardinality(String),
        deployment LowCardinality(String),
        provider LowCardinality(String),
        upstream_model LowCardinality(String),
        region LowCardinality(String),
        operation LowCardinality(String),
        status UInt16,
        error_code LowCardinality(String),
        total_ms Float64,
        overhead_ms Float64,
        upstream_ms Float64,
        ttfb_ms Nullable(Float64),
        prompt_tokens UInt32,
        completion_tokens UInt32,
        cached_tokens UInt32,
        cost_usd Float64,
        cache_hit Bool,
        attempts UInt8,
        stream Bool,
        trace_id String,
        inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(inserted_at)
      PARTITION BY toYYYYMM(time)
      ORDER BY (toDate(time), model, request_id)
      TTL toDateTime(time) + INTERVAL ${ttl} DAY
      ${settings}`,
    },
    {
      version: 2,
      description: 'traces: GenAI spans (OpenTelemetry exporter layout, gen_ai.* attributes)',
      sql: `CREATE TABLE IF NOT EXISTS traces (
        Timestamp DateTime64(9, 'UTC'),
        TraceId String,
        SpanId String,
        ParentSpanId String,
        TraceState String,
        SpanName LowCardinality(String),
        SpanKind LowCardinality(String),
        ServiceName LowCardinality(String),
        ResourceAttributes Map(LowCardinality(String), String),
        ScopeName String,
        ScopeVersion String,
        SpanAttributes Map(LowCardinality(String), String),
        Duration UInt64,
        StatusCode LowCardinality(String),
        StatusMessage String,
        RequestId String,
        InsertedAt DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(InsertedAt)
      PARTITION BY toDate(Timestamp)
      ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), TraceId, SpanId)
      TTL toDateTime(Timestamp) + INTERVAL ${ttl} DAY
      ${settings}`,
    },
    {
      version: 3,
      description: 'request_log: every token kind and the cost per kind (issue 16); older rows read 0',
      sql: `ALTER TABLE request_log
        ADD COLUMN IF NOT EXISTS cache_write_tokens UInt32 DEFAULT 0 AFTER cached_tokens,
        ADD COLUMN IF NOT EXISTS cache_write_1h_tokens UInt32 DEFAULT 0 AFTER cache_write_tokens,
        ADD COLUMN IF NOT EXISTS reasoning_tokens UInt32 DEFAULT 0 AFTER cache_write_1h_tokens,
        ADD COLUMN IF NOT EXISTS input_cost_usd Float64 DEFAULT 0 AFTER cost_usd,
        ADD COLUMN IF NOT EXISTS cached_input_cost_usd Float64 DEFAULT 0 AFTER input_cost_usd,
        ADD COLUMN IF NOT EXISTS cache_write_cost_usd Float64 DEFAULT 0 AFTER cached_input_cost_usd,
        ADD COLUMN IF NOT EXISTS output_cost_usd Float64 DEFAULT 0 AFTER cache_write_cost_usd,
        ADD COLUMN IF NOT EXISTS reasoning_cost_usd Float64 DEFAULT 0 AFTER output_cost_usd`,
    },
  ];
}

/** Apply the steps not yet recorded. Returns the versions applied by this call. */
export async function migrateClickHouse(client: ClickHouseClient, opts: DdlOptions = {}): Promise<number[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS skyway_schema_versions (
      version UInt32, description String, applied_at DateTime DEFAULT now()
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: 'SELECT version FROM skyway_schema_versions', format: 'JSONEachRow' });
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const step of usageDdl(opts)) {
    if (done.has(step.version)) continue;
    await client.command({ query: step.sql });
    await client.insert({
      table: 'skyway_schema_versions',
      values: [{ version: step.version, description: step.description }],
      format: 'JSONEachRow',
    });
    applied.push(step.version);
  }
  return applied;
}
