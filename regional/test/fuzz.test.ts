/**
 * Issue 12, "a fuzzed surface": generated hostile requests (methods, paths, headers, framing, bodies, aborts)
 * against a real gateway process with a limited virtual key on Postgres and Redis, over raw TCP. The gateway
 * must never exit, answer only well-formed OpenAI successes or errors, release every reservation, and be
 * ready at the end (test-support/fuzz/ holds the generators, the raw client and the invariants).
 *
 * Bounded for CI (SKYWAY_FUZZ_RUNS bursts of 1–3 requests, at most SKYWAY_FUZZ_SECONDS); a random seed unless
 * SKYWAY_FUZZ_SEED is set. A failure prints its seed, a shrunk reproducer and the command that replays it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finalProblems } from '../../test-support/fuzz/final-checks.js';
import { formatOutcomes, runFuzz } from '../../test-support/fuzz/run.js';
import { FuzzStack } from '../../test-support/fuzz/stack.js';

const seed = process.env.SKYWAY_FUZZ_SEED ? Number(process.env.SKYWAY_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const runs = Number(process.env.SKYWAY_FUZZ_RUNS ?? 1200);
const seconds = Number(process.env.SKYWAY_FUZZ_SECONDS ?? 45);

test(`fuzzed requests never take the gateway down or leak reservations (seed ${seed})`, { timeout: (seconds + 60) * 1000 }, async (t) => {
  const stack = await FuzzStack.start(t);
  if (!stack) return;
  try {
    const report = await runFuzz(stack, { seed, runs, seconds, mode: 'assert' });
    t.diagnostic(`seed ${seed}: ${report.bursts} bursts, ${report.requests} requests in ${(report.ms / 1000).toFixed(1)} s, ${report.restarts} restart(s)`);
    t.diagnostic(`outcomes: ${formatOutcomes(report.outcomes)}`);
    if (report.failure) assert.fail(report.failure);
    // The time limit stops the run early on a slow machine; it must still have tried a meaningful number.
    assert.ok(report.bursts >= Math.min(runs, 200), `only ${report.bursts} bursts ran in ${seconds} s`);
    const problems = await finalProblems(stack);
    assert.deepEqual(problems, [], `seed ${seed}: ${problems.join('\n')}`);
  } finally {
    await stack.close();
  }
});
