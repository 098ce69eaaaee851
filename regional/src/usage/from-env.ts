/**
 * Building the usage pipeline from the environment. Production points each sink at its service; with nothing
 * set, every sink has an embedded default under the data dir (`npm start` needs no services):
 *
 * | sink       | configured by                                                    | default                              |
 * |------------|------------------------------------------------------------------|--------------------------------------|
 * | postgres   | DATABASE_URL (or the gateway's pool)                             | none (the gateway's embedded Postgres) |
 * | clickhouse | CLICKHOUSE_URL, CLICKHOUSE_USER/PASSWORD/DATABASE, CLICKHOUSE_TTL_DAYS, CLICKHOUSE_DEDUP_WINDOW | NDJSON under <data>/clickhouse/ |
 * | archive    | SKYWAY_S3_BUCKET, SKYWAY_S3_PREFIX, S3_ENDPOINT, AWS_REGION      | gzipped NDJSON under <data>/archive/ |
 * | otlp       | OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, OTEL_SERVICE_NAME | off                                  |
 *
 * Tuning: SKYWAY_USAGE_BATCH_SIZE (1000), SKYWAY_USAGE_FLUSH_MS (1000), SKYWAY_USAGE_MAX_QUEUE_ROWS (50000),
 * SKYWAY_USAGE_SPILL_AFTER_MS (1000: a delivery hanging longer writes its batch ahead to the spool).
 *
 * Spool (README "Durable spool"): SKYWAY_USAGE_SPOOL = s3 | local (s3 when SKYWAY_S3_BUCKET is set),
 * SKYWAY_USAGE_SPOOL_BUCKET (SKYWAY_S3_BUCKET), SKYWAY_USAGE_SPOOL_PREFIX (spool/), SKYWAY_USAGE_SPOOL_SCAN_MS (15000).
 */
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { createPool } from '../db/pool.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { UsageEvent } from './event.js';
import { TieredSpool, S3Spool } from './durable-spool.js';
import { FileObjectStore, S3ObjectStore } from './object-store.js';
import { UsageRecorder } from './recorder.js';
import { redactionFromEnv } from './redact.js';
import type { UsageSink } from './sink.js';
import { Spool, type BatchSpool } from './spool.js';
import { ArchiveSink } from './sinks/archive.js';
import { ClickHouseSink } from './sinks/clickhouse.js';
import { LocalClickHouseFilesSink } from './sinks/local-clickhouse.js';
import { OtlpTraceSink, otlpHeaders, otlpTracesUrl } from './sinks/otlp.js';
import { PostgresSpendSink } from './sinks/postgres.js';

export interface UsageFromEnvOptions {
  env?: NodeJS.ProcessEnv;
  /** Share the gateway's pool instead of opening one from DATABASE_URL. */
  pool?: pg.Pool | undefined;
  metrics?: GatewayMetrics | undefined;
  /** Extra per-event hooks (e.g. an EmfPublisher's observe). */
  onEvent?: ((e: UsageEvent) => void)[] | undefined;
  logger?: { warn(obj: object, msg: string): void } | undefined;
}

const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

/** SKYWAY_DATA_DIR, default `.skyway` (as the gateway's settings). */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SKYWAY_DATA_DIR || '.skyway');
}

export function usageSinksFromEnv(env: NodeJS.ProcessEnv, pool?: pg.Pool): UsageSink[] {
  const dataDir = dataDirFromEnv(env);
  const serviceName = env.OTEL_SERVICE_NAME ?? 'skyway-gateway';
  const sinks: UsageSink[] = [];

  if (pool) sinks.push(new PostgresSpendSink(pool, { ledgerRetentionDays: num(env.SKYWAY_USAGE_LEDGER_DAYS) }));
  else if (env.DATABASE_URL) {
    const own = createPool(env.DATABASE_URL, { max: 2, applicationName: 'skyway-usage' });
    sinks.push(new PostgresSpendSink(own, { ownsPool: true, ledgerRetentionDays: num(env.SKYWAY_USAGE_LEDGER_DAYS) }));
  }

  if (env.CLICKHOUSE_URL) {
    sinks.push(
      new ClickHouseSink({
        url: env.CLICKHOUSE_URL,
        username: env.CLICKHOUSE_USER,
        password: env.CLICKHOUSE_PASSWORD,
        database: env.CLICKHOUSE_DATABASE,
        serviceName,
        ttlDays: num(env.CLICKHOUSE_TTL_DAYS),
        dedupWindow: num(env.CLICKHOUSE_DEDUP_WINDOW),
      }),
    );
  } else {
    sinks.push(new LocalClickHouseFilesSink(join(dataDir, 'clickhouse'), serviceName));
  }

  const redaction = redactionFromEnv(env);
  const prefix = env.SKYWAY_S3_PREFIX ?? 'usage/';
  if (env.SKYWAY_S3_BUCKET) {
    const store = s3StoreFromEnv(env, env.SKYWAY_S3_BUCKET);
    sinks.push(new ArchiveSink(store, { prefix, redaction }));
  } else {
    sinks.push(new ArchiveSink(new FileObjectStore(join(dataDir, 'archive')), { prefix, redaction }));
  }

  const otlp = otlpTracesUrl(env);
  if (otlp) sinks.push(new OtlpTraceSink({ url: otlp, headers: otlpHeaders(env), serviceName }));
  return sinks;
}

/** An S3 store for `bucket`; credentials from the default AWS chain (the task role on ECS). */
function s3StoreFromEnv(env: NodeJS.ProcessEnv, bucket: string): S3ObjectStore {
  return new S3ObjectStore({ bucket, endpoint: env.S3_ENDPOINT, region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION });
}

/**
 * The durable spool, when configured: per sink, S3 first and local disk as the last resort. The archive sink
 * (the one that reads payloads) stays on local disk: it fails when S3 does, and its batches carry unredacted
 * payloads that must not land in the bucket.
 */
export function spoolFromEnv(env: NodeJS.ProcessEnv): ((sink: UsageSink, log: (msg: string, err?: unknown) => void) => BatchSpool | undefined) | undefined {
  const mode = env.SKYWAY_USAGE_SPOOL || (env.SKYWAY_S3_BUCKET ? 's3' : 'local');
  if (mode === 'local') return undefined;
  if (mode !== 's3') throw new Error(`SKYWAY_USAGE_SPOOL must be s3 or local, got '${mode}'`);
  const bucket = env.SKYWAY_USAGE_SPOOL_BUCKET || env.SKYWAY_S3_BUCKET;
  if (!bucket) throw new Error('SKYWAY_USAGE_SPOOL=s3 needs SKYWAY_USAGE_SPOOL_BUCKET or SKYWAY_S3_BUCKET');
  const prefix = env.SKYWAY_USAGE_SPOOL_PREFIX ?? 'spool/';
  const store = s3StoreFromEnv(env, bucket);
  const dataDir = dataDirFromEnv(env);
  return (sink, log) =>
    sink.wantsPayload ? undefined : new TieredSpool(new S3Spool(store, `${prefix}${sink.name}/`, false), new Spool(join(dataDir, 'spool', sink.name), false), log);
}

/**
 * The recorder the gateway uses, from env.
 *
 * @example
 * const metrics = createMetrics({ defaultLabels: { region } });
 * const usage = createUsageRecorderFromEnv({ pool, metrics });
 * metrics.watchUsage(usage);
 */
export function createUsageRecorderFromEnv(opts: UsageFromEnvOptions = {}): UsageRecorder {
  const env = opts.env ?? process.env;
  const hooks = [...(opts.metrics ? [opts.metrics.observeUsage] : []), ...(opts.onEvent ?? [])];
  const recorder = new UsageRecorder({
    sinks: usageSinksFromEnv(env, opts.pool),
    dataDir: dataDirFromEnv(env),
    batchSize: num(env.SKYWAY_USAGE_BATCH_SIZE),
    flushIntervalMs: num(env.SKYWAY_USAGE_FLUSH_MS),
    maxQueueRows: num(env.SKYWAY_USAGE_MAX_QUEUE_ROWS),
    spillAfterMs: num(env.SKYWAY_USAGE_SPILL_AFTER_MS),
    spoolFor: spoolFromEnv(env),
    spoolScanMs: num(env.SKYWAY_USAGE_SPOOL_SCAN_MS),
    onEvent: hooks.length === 0 ? undefined : hooks.length === 1 ? hooks[0] : (e) => { for (const h of hooks) h(e); },
    observer: opts.metrics?.usageObserver,
    logger: opts.logger,
  });
  opts.metrics?.watchUsage(recorder);
  return recorder;
}
