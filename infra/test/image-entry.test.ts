/**
 * The container image's entry command, run without Docker (no engine on the development machines): the
 * Dockerfile's CMD, with only what its runtime stage contains. A resolve hook refuses every devDependency
 * (`npm ci --omit=dev` leaves them out of the image) and every compiled file outside the directories the
 * runtime stage copies, so an import that would crash the container crashes this test instead.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { distRoot, repoRoot } from '../../test-support/paths.js';
import { freePort } from '../../test-support/free-port.js';
import { postgres } from '../../test-support/services.js';

const root = repoRoot();
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)![1]!) as string[];
const copied = [...dockerfile.matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map((m) => m[1]!);
const devDeps = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);

/** A loader hook file (plain ESM) that enforces the runtime stage's contents. */
function writeHook(dir: string): string {
  const allowed = copied.map((c) => pathToFileURL(join(distRoot(), c.replace(/^dist\//, ''))).href + '/');
  const hook = join(dir, 'image-hook.mjs');
  writeFileSync(
    hook,
    `const dev = new Set(${JSON.stringify(devDeps)});
const allowed = ${JSON.stringify(allowed)};
const dist = ${JSON.stringify(pathToFileURL(distRoot()).href + '/')};
export async function resolve(specifier, context, next) {
  if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !specifier.startsWith('file:') && !specifier.startsWith('/')) {
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    if (dev.has(name)) throw new Error('not in the image (devDependency): ' + specifier);
  }
  const r = await next(specifier, context);
  if (r.url.startsWith(dist) && !allowed.some((a) => r.url.startsWith(a))) throw new Error('not copied into the image: ' + r.url);
  return r;
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  return register;
}

async function runEntry(env: Record<string, string>, probePort: number): Promise<{ ok: boolean; output: string; exitCode: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-image-'));
  const register = writeHook(dir);
  const [bin, ...args] = cmd;
  assert.equal(bin, 'node');
  const child = spawn(process.execPath, ['--import', register, ...args], {
    cwd: join(distRoot(), '..'),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', SKYWAY_DATA_DIR: join(dir, 'data'), SKYWAY_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let ok = false;
  const until = Date.now() + 20_000;
  while (!ok && child.exitCode === null && Date.now() < until) {
    ok = await fetch(`http://127.0.0.1:${probePort}/health/liveliness`).then((r) => r.ok, () => false);
    if (!ok) await new Promise((r) => setTimeout(r, 100));
  }
  if (child.exitCode === null) child.kill('SIGTERM');
  const exitCode = await exited;
  rmSync(dir, { recursive: true, force: true });
  return { ok, output, exitCode };
}

describe('container entry command (without Docker)', () => {
  it('the api role starts from the runtime stage alone, answers its liveliness check and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const r = await runEntry({ SKYWAY_ROLE: 'api', PORT: String(port), SKYWAY_MASTER_KEY: 'sk-image-test' }, port);
    assert.ok(r.ok, r.output);
    assert.equal(r.exitCode, 0, r.output);
  });

  it('the admin role does too (with Postgres)', async (t) => {
    const pg = await postgres(t);
    if (!pg) return;
    t.after(() => pg.close());
    const port = await freePort();
    const adminPort = await freePort();
    // The api role migrates; the admin role never does, so migrate first as a deployment would.
    const { migrate } = await import('../../regional/src/db/migrate.js');
    await migrate(pg.url);
    const r = await runEntry({ SKYWAY_ROLE: 'admin', PORT: String(port), ADMIN_PORT: String(adminPort), DATABASE_URL: pg.url, SKYWAY_MASTER_KEY: 'sk-image-test', SKYWAY_KEY_SIGNING_SECRETS: '1:' + 'a'.repeat(64) }, adminPort);
    assert.ok(r.ok, r.output);
    assert.equal(r.exitCode, 0, r.output);
  });
});
