/**
 * ClickHouse sink: each batch becomes one insert into `request_log` and one into `traces`, each with a dedup
 * token derived from the batch (replays of a spooled batch carry the same token). Tables come from the
 * versioned DDL in clickhouse-ddl.ts, applied on first use.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { UsageEvent } from '../event.js';
import { batchToken, genAiSpan, requestLogRow, spanIds, traceRow } from '../rows.js';
import type { UsageSink } from '../sink.js';
import { migrateClickHouse, type DdlOptions } from './clickhouse-ddl.js';

export interface ClickHouseSinkOptions extends DdlOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
  /** `service.name` of the spans. @default 'skyway-gateway' */
  serviceName?: string | undefined;
  /** Per-request timeout (ms). @default 10000 */
  requestTimeoutMs?: number | undefined;
}

export class ClickHouseSink implements UsageSink {
  readonly name = 'clickhouse';
  private clientP: Promise<ClickHouseClient> | undefined;
  private migrated = false;
  private readonly serviceName: string;

  constructor(private readonly opts: ClickHouseSinkOptions) {
    this.serviceName = opts.serviceName ?? 'skyway-gateway';
  }

  /** The client, made on first use: `@clickhouse/client` is loaded only by a process that has this sink. */
  client(): Promise<ClickHouseClient> {
    const opts = this.opts;
    return (this.clientP ??= import('@clickhouse/client').then(({ createClient, ClickHouseLogLevel }) =>
      createClient({
        url: opts.url,
        username: opts.username ?? 'default',
        password: opts.password ?? '',
        database: opts.database ?? 'default',
        request_timeout: opts.requestTimeoutMs ?? 10_000,
        compression: { request: true, response: false },
        application: 'skyway',
        // Failures are reported once per outage by the usage channel; the client would log every attempt.
        log: { level: ClickHouseLogLevel.OFF },
      }),
    ));
  }

  async init(): Promise<void> {
    if (this.migrated) return;
    await migrateClickHouse(await this.client(), this.opts);
    this.migrated = true;
  }

  async write(batch: readonly UsageEvent[], signal: AbortSignal): Promise<void> {
    const token = batchToken(batch);
    const client = await this.client();
    const ids = batch.map((e) => spanIds(e)); // one sha256 per event for both tables
    await client.insert({
      table: 'request_log',
      values: batch.map((e, i) => requestLogRow(e, ids[i])),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `rl-${token}` },
      abort_signal: signal,
    });
    await client.insert({
      table: 'traces',
      values: batch.map((e, i) => traceRow(genAiSpan(e, this.serviceName, ids[i]), e.requestId)),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `tr-${token}` },
      abort_signal: signal,
    });
  }

  async close(): Promise<void> {
    if (this.clientP) await (await this.clientP).close();
  }
}
