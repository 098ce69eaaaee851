/**
 * Runs every compiled `*.test.js` under dist/ with node:test. (Node 20's `--test` takes no glob patterns.)
 * Usage: node dist/scripts/run-tests.js [path-substring ...]  — only files whose path contains one of them.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = dirname(dirname(fileURLToPath(import.meta.url)));

function findTests(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, out);
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests(dist, [])
  .filter((f) => filters.length === 0 || filters.some((x) => relative(dist, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under ' + dist);
  process.exit(1);
}
// Two test files at a time: most of the suite's time is spent waiting on child processes, services and timers
// (gateways, Postgres, the rehearsal, chromium), so two overlap well on a 2-core machine; one at a time took
// 11 minutes. SKYWAY_TEST_CONCURRENCY=1 runs them one by one (to read a failing file's output in order).
const concurrency = Math.max(1, Number(process.env.SKYWAY_TEST_CONCURRENCY) || 2);
const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
