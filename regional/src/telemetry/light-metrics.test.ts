import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { LightCounter, LightHistogram } from './light-metrics.js';

test('light histogram: cumulative buckets, +Inf, sum and count in the exposition; counters sum per label set', async () => {
  const registry = new Registry();
  registry.setDefaultLabels({ region: 'r1' });
  const h = new LightHistogram('t_seconds', 'help', ['model'], [0.1, 1], registry);
  const c = new LightCounter('t_total', 'help', ['model', 'status'], registry);
  const a = h.labels('a');
  for (const v of [0.05, 0.1, 0.5, 2, Number.NaN]) a.observe(v);
  assert.equal(h.labels('a'), a, 'one child per label set');
  c.labels('a', '200').inc();
  c.labels('a', '200').inc(2);
  c.labels('b', '500').inc();
  const text = await registry.metrics();
  for (const line of [
    't_seconds_bucket{le="0.1",model="a",region="r1"} 2',
    't_seconds_bucket{le="1",model="a",region="r1"} 3',
    't_seconds_bucket{le="+Inf",model="a",region="r1"} 4',
    't_seconds_sum{model="a",region="r1"} 2.65',
    't_seconds_count{model="a",region="r1"} 4',
    't_total{model="a",status="200",region="r1"} 3',
    't_total{model="b",status="500",region="r1"} 1',
    '# TYPE t_seconds histogram',
    '# TYPE t_total counter',
  ])
    assert.ok(text.includes(line), `missing ${line} in\n${text}`);
});
