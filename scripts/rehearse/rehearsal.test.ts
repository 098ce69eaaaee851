/**
 * The rehearsal of the dev environment (one region) from its synthesized templates: every scenario passes (or,
 * for e and f before the durability code is present, reports why it is skipped). Needs the machine's Postgres,
 * redis-server on PATH and s3rver; skipped loudly without them (a failure in CI, SKYWAY_REQUIRE_SERVICES=1).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { missingService, portOpen } from '../../test-support/services.js';
import { formatResult, rehearse } from './run.js';

it('npm run rehearse -- --env dev: every scenario passes', { timeout: 300_000 }, async (t) => {
  if (!(await portOpen('127.0.0.1', 5432)) && !process.env.DATABASE_URL && !process.env.SKYWAY_REHEARSAL_PG_URL) return missingService(t, 'Postgres on 127.0.0.1:5432 (or DATABASE_URL)');
  if (spawnSync('redis-server', ['--version']).status !== 0) return missingService(t, 'redis-server is not on PATH');
  const lines: string[] = [];
  const report = await rehearse('dev', { log: (l) => lines.push(l), onResult: (r) => lines.push(formatResult(r)) });
  t.diagnostic(lines.join('\n'));
  assert.deepEqual(report.regions, ['eu-west-1']);
  assert.deepEqual(report.scenarios.map((s) => s.id), ['a', 'b', 'c', 'd', 'e', 'f', '1', '4', 'g', 'h', '5']);
  // 1, 4, 5, g and h need two regions (rehearsal-multiregion.test.ts runs them on staging).
  assert.ok(report.scenarios.filter((s) => ['1', '4', '5', 'g', 'h'].includes(s.id)).every((s) => s.skipped));
  for (const s of report.scenarios) assert.ok(s.pass, formatResult(s));
  assert.ok(report.scenarios.filter((s) => !s.skipped).length >= 4);
});
