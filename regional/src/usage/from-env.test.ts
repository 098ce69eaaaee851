import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMetrics, renderMetrics } from '../telemetry/metrics.js';
import { createUsageRecorderFromEnv, usageSinksFromEnv } from './from-env.js';
import { otlpHeaders, otlpTracesUrl } from './sinks/otlp.js';
import { makeEvent } from './test/events.js';

test('from env: embedded defaults write the ClickHouse and S3 layouts under the data dir', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skyway-usage-env-'));
  const metrics = createMetrics({ processMetrics: false });
  const rec = createUsageRecorderFromEnv({ env: { SKYWAY_DATA_DIR: dataDir }, metrics });
  assert.deepEqual(rec.channels.map((c) => c.sink.name), ['clickhouse', 'archive']);
  for (let i = 0; i < 30; i++) rec.record(makeEvent(i, 'env'));
  await rec.close();
  const day = new Date().toISOString().slice(0, 10);
  const logDir = join(dataDir, 'clickhouse', 'request_log', `dt=${day}`);
  const rows = readdirSync(logDir).flatMap((f) => readFileSync(join(logDir, f), 'utf8').trim().split('\n'));
  assert.equal(rows.length, 30);
  assert.ok(existsSync(join(dataDir, 'clickhouse', 'traces', `dt=${day}`)));
  assert.ok(readdirSync(join(dataDir, 'archive', 'usage', `dt=${day}`)).length > 0);
  const { body } = await renderMetrics(metrics);
  assert.match(body, /skyway_usage_delivered_rows_total\{sink="archive"\} 30/);
  rmSync(dataDir, { recursive: true, force: true });
});

test('from env: services and OTLP are picked from their variables', () => {
  const sinks = usageSinksFromEnv({
    SKYWAY_DATA_DIR: '/nonexistent',
    DATABASE_URL: 'postgres://u@127.0.0.1:1/db',
    CLICKHOUSE_URL: 'http://127.0.0.1:1',
    SKYWAY_S3_BUCKET: 'b',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
  });
  assert.deepEqual(sinks.map((s) => s.name), ['postgres', 'clickhouse', 'archive', 'otlp']);
  void Promise.all(sinks.map((s) => s.close?.()));
  assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }), 'http://c:4318/v1/traces');
  assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/x', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://d' }), 'http://c/x');
  assert.deepEqual(otlpHeaders({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b, x=1' }), { 'api-key': 'a b', x: '1' });
});
