/**
 * The embedded api (no database, Redis, ClickHouse, S3, Vertex or Bedrock configured) must not load the
 * clients of what it does not use: each costs RSS in every process (ioredis +6 MB, node-pg-migrate with glob
 * +3 MB, google-auth-library +2 MB; loadtest/README.md, "Round 4: memory"). They load at the point of first use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../test-support/free-port.js';

const child = fileURLToPath(new URL('./loaded-modules/child.js', import.meta.url));

async function loadedPackages(...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, String(await freePort()), String(await freePort()), ...args], { timeout: 60_000, env: { PATH: process.env.PATH } });
  const line = stdout.split('\n').find((l) => l.startsWith('{"packages"'));
  assert.ok(line, `the child printed no package list:\n${stdout}`);
  return (JSON.parse(line) as { packages: string[] }).packages;
}

// Not yet here: `ioredis` (admission/redis-client.ts imports it statically) and `pg` (usage/from-env.ts); add
// them once those files load them lazily.
const UNUSED_BY_EMBEDDED_API = ['node-pg-migrate', 'glob', 'google-auth-library', '@smithy/eventstream-codec', '@clickhouse/client', '@aws-sdk/client-s3', 'jose', 'ioredis', 'pg'];

test('the embedded api loads no client of a store or provider it does not use', async () => {
  const packages = await loadedPackages();
  // The recorder sees what the api does use, through require (undici, uWS) and through the ESM loader (zod).
  for (const used of ['uWebSockets.js', 'undici', 'zod']) assert.ok(packages.includes(used), `${used} not seen: the recorder is broken (${packages.join(', ')})`);
  const unexpected = UNUSED_BY_EMBEDDED_API.filter((p) => packages.includes(p));
  assert.deepEqual(unexpected, [], `loaded at start though unused: ${unexpected.join(', ')}`);
});

test('the lazily loaded clients load on first use', async () => {
  const packages = await loadedPackages('--use-lazy');
  for (const p of ['@smithy/eventstream-codec', 'google-auth-library']) assert.ok(packages.includes(p), `${p} not loaded after its first use`);
});
