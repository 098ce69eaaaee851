/**
 * The gateway image, checked without a Docker engine (none runs on this machine): the Dockerfile is parsed and its
 * contract checked, and the entry command it runs is shown to exist in the compiled tree that `npm run build` makes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { distRoot, repoRoot } from '../../test-support/paths.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions of a Dockerfile (continuations joined, comments dropped), split into build stages. */
function parseDockerfile(text: string): Instruction[][] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const ins = { op: op!.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') stages.push([]);
    assert.ok(stages.length > 0, `instruction before FROM: ${line}`);
    stages[stages.length - 1]!.push(ins);
  }
  return stages;
}

const root = repoRoot();
const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const [build, runtime] = stages;
const runs = (stage: Instruction[] | undefined): string => (stage ?? []).filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
const last = (stage: Instruction[] | undefined, op: string): Instruction | undefined => (stage ?? []).filter((i) => i.op === op).at(-1);

describe('Dockerfile', () => {
  it('builds in two Node 20 bookworm-slim stages', () => {
    assert.equal(stages.length, 2);
    assert.equal(build![0]!.args, 'node:20-bookworm-slim AS build');
    assert.equal(runtime![0]!.args, 'node:20-bookworm-slim AS runtime');
  });

  it('compiles with npm ci and npm run build, and installs only runtime dependencies in the final image', () => {
    assert.match(runs(build), /npm ci\b/);
    assert.match(runs(build), /npm run build/);
    assert.match(runs(runtime), /npm ci --omit=dev/);
    assert.doesNotMatch(runs(runtime), /npm run build/);
    assert.ok(runtime!.some((i) => i.op === 'COPY' && i.args.includes('--from=build')));
  });

  it('runs as a non-root user with a liveliness health check and the regional entry point', () => {
    const user = last(runtime, 'USER');
    assert.ok(user && !['root', '0'].includes(user.args), 'non-root USER');
    assert.match(last(runtime, 'HEALTHCHECK')?.args ?? '', /\/health\/liveliness/);
    assert.equal(last(runtime, 'CMD')?.args, '["node", "dist/regional/src/main.js"]');
    assert.match(runtime!.filter((i) => i.op === 'ENV').map((i) => i.args).join(' '), /HOST=0\.0\.0\.0/);
  });

  it('copies the compiled tree that holds the entry point, and the entry point exists after the build', () => {
    const copied = runtime!.filter((i) => i.op === 'COPY' && i.args.includes('--from=build')).map((i) => i.args.split(/\s+/)[1]!);
    assert.ok(copied.some((src) => 'dist/regional/src/main.js'.startsWith(src.replace(/^\/app\//, '') + '/')), `entry not under ${copied.join(', ')}`);
    // tsc maps <root>/regional/src/main.ts to <dist>/regional/src/main.js; this test runs from such a dist tree.
    assert.ok(existsSync(join(root, 'regional', 'src', 'main.ts')), 'regional/src/main.ts exists');
    assert.ok(existsSync(join(distRoot(), 'regional', 'src', 'main.js')), 'build emitted regional/src/main.js');
  });

  it('keeps node_modules, dist and local state out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split(/\r?\n/).map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.tmp', 'cdk.out', '.skyway']) assert.ok(ignored.includes(entry), entry);
  });
});
