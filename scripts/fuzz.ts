/**
 * `npm run fuzz`: the fuzz property of regional/test/fuzz.test.ts, run longer, with the seed printed for replay.
 *
 *   npm run fuzz -- [--seconds 300] [--runs N] [--seed S] [--path P] [--catalog]
 *
 * --seed/--path replay a failure exactly (both are printed with it). --catalog does not stop at the first
 * failure: it keeps going (restarting a crashed gateway) and prints examples of every violation class met.
 * Needs Postgres and Redis as the tests do (DATABASE_URL / REDIS_URL, else the loopback defaults).
 */
import type { TestContext } from 'node:test';
import { parseArgs } from 'node:util';
import { finalProblems } from '../test-support/fuzz/final-checks.js';
import { formatFinding, formatOutcomes, runFuzz } from '../test-support/fuzz/run.js';
import { FuzzStack } from '../test-support/fuzz/stack.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    path: { type: 'string' },
    catalog: { type: 'boolean', default: false },
  },
});

const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const seconds = Number(values.seconds ?? 300);
const runs = Number(values.runs ?? 1_000_000);
if (!Number.isInteger(seed) || !(seconds > 0) || !(runs > 0)) {
  console.error('usage: npm run fuzz -- [--seconds S] [--runs N] [--seed INT] [--path P] [--catalog]');
  process.exit(2);
}

// services.ts reports a missing service through a test context; here it ends the run.
const context = { name: 'npm run fuzz', skip: (reason: string) => { throw new Error(reason); } } as unknown as TestContext;

// Exit through process.exit on a signal, so the stack's exit hook kills the gateway it started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

console.log(`fuzz: seed ${seed}, up to ${runs} bursts or ${seconds} s${values.path ? `, replaying path ${values.path}` : ''}${values.catalog ? ', catalog mode' : ''}`);
const stack = await FuzzStack.start(context);
if (!stack) process.exit(1);
let failed = false;
try {
  const report = await runFuzz(stack, { seed, runs, seconds, mode: values.catalog ? 'catalog' : 'assert', ...(values.path ? { path: values.path } : {}) });
  console.log(`fuzz: ${report.bursts} bursts, ${report.requests} requests in ${(report.ms / 1000).toFixed(1)} s; gateway restarted ${report.restarts} time(s)`);
  console.log(`outcomes: ${formatOutcomes(report.outcomes)}`);
  for (const [kind, { count, examples }] of report.catalog) {
    failed = true;
    console.log(`\n=== ${kind}: seen ${count} time(s); examples:`);
    for (const f of examples) console.log(formatFinding(f) + '\n');
  }
  if (report.failure) {
    failed = true;
    console.log('\n' + report.failure);
  }
  const problems = await finalProblems(stack);
  for (const p of problems) console.log(`\nat the end: ${p}`);
  failed ||= problems.length > 0;
  console.log(failed ? `\nfuzz: FAILED (seed ${seed})` : `\nfuzz: passed (seed ${seed})`);
} finally {
  await stack.close();
}
process.exit(failed ? 1 : 0);
