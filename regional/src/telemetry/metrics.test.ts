import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEvent } from '../usage/test/events.js';
import { EmfPublisher, emfEnabled } from './emf.js';
import { createMetrics, renderMetrics } from './metrics.js';

test('metrics: request, latency, token, cost, limit and usage-pipeline series render', async () => {
  const m = createMetrics({ processMetrics: false });
  for (let i = 0; i < 100; i++) m.observeUsage(makeEvent(i));
  m.limitRejected('rpm', 'key');
  m.upstreamError('gpt-4o-mini/0', 'upstream_timeout');
  m.cooldown('gpt-4o-mini/0');
  m.usageObserver.dropped?.('archive', 3, 'spool_full');
  m.watchUsage({ stats: () => [{ sink: 'postgres', healthy: false, queuedRows: 7, spoolRows: 42, spoolBytes: 999, spoolFiles: 1, delivered: 0, dropped: 0 }] });
  const { body, contentType } = await renderMetrics(m);
  assert.match(contentType, /text\/plain/);
  const total = [...body.matchAll(/^skyway_requests_total\{[^}]*\} (\d+)$/gm)].reduce((s, x) => s + Number(x[1]), 0);
  assert.equal(total, 100);
  for (const needle of [
    'skyway_request_duration_seconds_bucket{le="0.1",model="gpt-4o-mini"}',
    'skyway_overhead_duration_seconds_count{model="claude-sonnet"}',
    'skyway_time_to_first_token_seconds_sum',
    'skyway_tokens_total{model="llama-3-70b",type="prompt"}',
    'skyway_cost_usd_total{model="gpt-4o-mini"}',
    'skyway_limit_rejections_total{limit="rpm",scope="key"} 1',
    'skyway_upstream_errors_total{deployment="gpt-4o-mini/0",code="upstream_timeout"} 1',
    'skyway_deployment_cooldowns_total{deployment="gpt-4o-mini/0"} 1',
    'skyway_usage_dropped_rows_total{sink="archive",reason="spool_full"} 3',
    'skyway_usage_spool_rows{sink="postgres"} 42',
    'skyway_usage_queue_rows{sink="postgres"} 7',
    'skyway_usage_sink_up{sink="postgres"} 0',
  ]) {
    assert.ok(body.includes(needle), `missing ${needle}`);
  }
});

test('EMF: one line per model per interval with CloudWatch metadata', () => {
  const lines: string[] = [];
  const emf = new EmfPublisher({ region: 'eu-west-1', write: (l) => lines.push(l), intervalMs: 3_600_000 });
  for (let i = 0; i < 300; i++) emf.observe(makeEvent(i));
  emf.close();
  assert.equal(lines.length, 3);
  const doc = JSON.parse(lines[0]!) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }; Latency: { Values: number[]; Counts: number[] } };
  const meta = doc._aws.CloudWatchMetrics[0]!;
  assert.equal(meta.Namespace, 'Skyway');
  assert.deepEqual(meta.Dimensions, [['Region'], ['Region', 'Model']]);
  for (const metric of meta.Metrics) assert.ok(metric.Name in doc, `${metric.Name} has a value`);
  assert.equal(doc.Requests, 100);
  assert.ok(doc.Latency.Values.length <= 100);
  assert.equal(doc.Latency.Counts.reduce((a, b) => a + b, 0), 100);
  assert.equal(emfEnabled({ ECS_CONTAINER_METADATA_URI_V4: 'http://x' }), true);
  assert.equal(emfEnabled({ ECS_CONTAINER_METADATA_URI_V4: 'http://x', SKYWAY_EMF: '0' }), false);
  assert.equal(emfEnabled({}), false);
});
