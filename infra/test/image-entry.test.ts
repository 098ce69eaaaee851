/**
 * The container image's entry command, run without Docker, in every task of the dev environment with the
 * environment its synthesized task definition gives it (scripts/rehearse resolves it; nothing is passed by hand).
 * No Docker engine on the development machines: the Dockerfile's CMD runs with only what its runtime stage contains. A resolve hook refuses every devDependency
 * (`npm ci --omit=dev` leaves them out of the image) and every compiled file outside the directories the
 * runtime stage copies, so an import that would crash the container crashes this test instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { distRoot, repoRoot } from '../../test-support/paths.js';
import { missingService, portOpen } from '../../test-support/services.js';
import { deploy } from '../../scripts/rehearse/deployment.js';
import { readImage } from '../../scripts/rehearse/image.js';

const root = repoRoot();
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
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

describe('container entry command (without Docker), with the environment of the synthesized task definitions', () => {
  it('every api and admin task of dev starts from the runtime stage alone with its task definition environment, passes its target group health check, and exits 0 on SIGTERM', async (t) => {
    if (!(await portOpen('127.0.0.1', 5432)) && !process.env.DATABASE_URL && !process.env.SKYWAY_REHEARSAL_PG_URL) return missingService(t, 'Postgres on 127.0.0.1:5432 (or DATABASE_URL)');
    const dir = mkdtempSync(join(tmpdir(), 'skyway-image-'));
    const image = { ...readImage(), nodeArgs: ['--import', writeHook(dir)] };
    const d = await deploy('dev', () => undefined, { image });
    try {
      const region = d.regions[0]!;
      for (const service of [region.api, region.admin]) {
        // Exactly the task definition's variables (resolved), plus the documented local mappings.
        const declared = [...Object.keys(service.spec.environment), ...Object.keys(service.spec.secrets)];
        for (const name of declared.filter((n) => n !== 'SKYWAY_KVS_ARN')) assert.ok(name in service.lastEnv, `${service.spec.role}: ${name} from the task definition`);
        assert.equal(service.lastEnv.SKYWAY_KEY_SIGNING_SECRETS, d.secrets.resolve('us-east-1', `skyway/dev/key-signing`), 'the shared signing secret, not one per task');
        assert.equal(service.tasks.length, service.spec.desiredCount);
        for (const task of [...service.tasks]) {
          const r = await task.stop();
          assert.equal(r.code, 0, `${task.name}: ${task.logs().slice(-2000)}`);
        }
        service.tasks.length = 0;
      }
    } finally {
      await d.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
