/**
 * The error boundary of an extra event loop counts on the main thread's registry: a loop's own registry is
 * empty (see loop-parts.ts), so counters kept there would never reach /metrics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeBus } from '../keys/events.js';
import { ErrorBoundary } from '../pipeline/error-boundary.js';
import { createMetrics } from '../telemetry/metrics.js';
import { connectLoop } from './loop-parts.js';
import { serveLoop } from './owner.js';

async function valueOf(metrics: ReturnType<typeof createMetrics>, name: string, label: string): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  assert.ok(m, `${name} is exported by the main registry`);
  const v = (m.values as Array<{ value: number; labels: Record<string, string> }>).find((x) => Object.values(x.labels).includes(label));
  return v?.value ?? 0;
}

test('internal and uncaught errors in an extra loop are counted on the main thread registry', async () => {
  const main = createMetrics({ processMetrics: false });
  const bus = changeBus(undefined);
  const served = serveLoop({ admission: undefined, usage: undefined, metrics: main, bus });
  const loop = connectLoop(served.port, false);
  try {
    assert.equal(await valueOf(main, 'skyway_internal_errors_total', 'request'), 0);
    const boundary = new ErrorBoundary({ error: () => undefined }, loop.parts.metrics);
    boundary.internal(new TypeError('boom'), 'req-1');
    boundary.internal(new TypeError('again'), 'req-2', 'error-response');
    boundary.uncaught('unhandledRejection', new Error('escaped'));
    // The loop posts once per turn; the main thread handles the batch on a later turn.
    for (let i = 0; i < 50 && (await valueOf(main, 'skyway_uncaught_errors_total', 'unhandledRejection')) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await valueOf(main, 'skyway_internal_errors_total', 'request'), 1);
    assert.equal(await valueOf(main, 'skyway_internal_errors_total', 'error-response'), 1);
    assert.equal(await valueOf(main, 'skyway_uncaught_errors_total', 'unhandledRejection'), 1);
    assert.equal((await loop.parts.metrics.registry.getMetricsAsJSON()).length, 0, "the loop's own registry stays empty");
  } finally {
    loop.close();
    served.close();
    await bus.close();
  }
});
