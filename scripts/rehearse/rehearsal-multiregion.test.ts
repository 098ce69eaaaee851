/**
 * The two-region rehearsal (staging, as cdk.json deploys it: `regionChoice: health`, the Aurora global config
 * store as a Postgres primary + hot standby): the scenarios 1 (global key), 2 (region failover, g),
 * 3 (residency, h) and 5 (primary region down) pass after the admin host set up the model and key (a). Same
 * services as the dev rehearsal; skipped loudly without them. About 3.5 min on the loaded 2-core machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { missingService, portOpen } from '../../test-support/services.js';
import { formatResult, rehearse } from './run.js';

it('npm run rehearse -- --env staging --only a,1,4,g,h,5: every scenario passes', { timeout: 480_000 }, async (t) => {
  if (!(await portOpen('127.0.0.1', 5432)) && !process.env.DATABASE_URL && !process.env.SKYWAY_REHEARSAL_PG_URL) return missingService(t, 'Postgres on 127.0.0.1:5432 (or DATABASE_URL)');
  if (spawnSync('redis-server', ['--version']).status !== 0) return missingService(t, 'redis-server is not on PATH');
  const lines: string[] = [];
  const report = await rehearse('staging', { only: ['a', '1', '4', 'g', 'h', '5'], log: (l) => lines.push(l), onResult: (r) => lines.push(formatResult(r)) });
  t.diagnostic(lines.join('\n'));
  assert.deepEqual(report.regions, ['eu-west-1', 'us-west-2']);
  assert.deepEqual(report.scenarios.map((s) => s.id), ['a', '1', '4', 'g', 'h', '5']);
  for (const s of report.scenarios) assert.ok(s.pass && !s.skipped, formatResult(s));
});
