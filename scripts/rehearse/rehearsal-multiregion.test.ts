/**
 * The two-region rehearsal (staging) with `regionChoice: health`: region failover (g) and residency (h) pass — the
 * issue's scenarios 2 and 3 — after the admin host set up the model and key (a). Same services as the dev
 * rehearsal; skipped loudly without them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { missingService, portOpen } from '../../test-support/services.js';
import { formatResult, rehearse } from './run.js';

it('npm run rehearse -- --env staging --region-choice health --only a,g,h: every scenario passes', { timeout: 300_000 }, async (t) => {
  if (!(await portOpen('127.0.0.1', 5432)) && !process.env.DATABASE_URL && !process.env.SKYWAY_REHEARSAL_PG_URL) return missingService(t, 'Postgres on 127.0.0.1:5432 (or DATABASE_URL)');
  if (spawnSync('redis-server', ['--version']).status !== 0) return missingService(t, 'redis-server is not on PATH');
  const lines: string[] = [];
  const report = await rehearse('staging', { only: ['a', 'g', 'h'], environmentPatch: { regionChoice: 'health' }, log: (l) => lines.push(l), onResult: (r) => lines.push(formatResult(r)) });
  t.diagnostic(lines.join('\n'));
  assert.deepEqual(report.regions, ['eu-west-1', 'us-west-2']);
  assert.deepEqual(report.scenarios.map((s) => s.id), ['a', 'g', 'h']);
  for (const s of report.scenarios) assert.ok(s.pass && !s.skipped, formatResult(s));
});
