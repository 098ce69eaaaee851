/**
 * The case table against the built function under Debian's `njs` — the independent check that the artifact is
 * written in the restricted language CloudFront accepts (V8 in the local edge accepts much more). The artifact
 * runs unchanged as an njs module; a `cloudfront` module shim found through `-p DIR` serves the KVS, and a
 * harness appended to the file runs every case in sequence and prints the outcomes as JSON.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingService } from '../../test-support/services.js';
import { bundleText, defaultSource } from '../build/bundle.js';
import { EDGE_CASES, EDGE_KVS, flat, mismatches, type EdgeObserved } from './cases.js';
import type { CfResponse, CfRequest } from '../local/function-runner.js';

const SHIM = `
function kvs() {
  return {
    get: async function (k) {
      if (Object.prototype.hasOwnProperty.call(globalThis.__KVS, k)) return globalThis.__KVS[k];
      throw new Error('Key not found');
    },
    exists: async function (k) { return Object.prototype.hasOwnProperty.call(globalThis.__KVS, k); }
  };
}
function selectRequestOriginById(id) { globalThis.__ORIGIN = id; }
export default { kvs: kvs, selectRequestOriginById: selectRequestOriginById };
`;

function harness(): string {
  return `
globalThis.__KVS = ${JSON.stringify(EDGE_KVS)};
var __events = ${JSON.stringify(EDGE_CASES.map((c) => c.event))};
async function __runAll() {
  for (var i = 0; i < __events.length; i++) {
    globalThis.__ORIGIN = null;
    var r = await handler(__events[i]);
    console.log('@@RESULT@@' + JSON.stringify({ r: r, o: globalThis.__ORIGIN }));
  }
}
__runAll().catch(function (e) { console.log('@@ERROR@@' + e + ' ' + e.stack); });
`;
}

function njsAvailable(): boolean {
  return spawnSync('njs', ['-v'], { encoding: 'utf8' }).status === 0;
}

test('njs: the built function passes the case table', async (t) => {
  if (!njsAvailable()) {
    missingService(t, 'njs is not installed (apt-get install -y njs); the CloudFront language check did not run');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'skyway-njs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cloudfront'), SHIM);
  const file = join(dir, 'viewer-request.test.js');
  writeFileSync(file, bundleText(readFileSync(defaultSource(), 'utf8')) + harness());
  const run = spawnSync('njs', ['-u', '-s', '-t', 'module', '-p', dir, file], { encoding: 'utf8', timeout: 20_000 });
  const stdout = run.stdout ?? '';
  assert.equal(run.status, 0, `njs failed: ${run.stderr}${stdout}`);
  assert.ok(!stdout.includes('@@ERROR@@'), stdout);
  // One line per case (njs cuts long console lines).
  const results = stdout
    .split('\n')
    .filter((l) => l.startsWith('@@RESULT@@'))
    .map((l) => JSON.parse(l.slice('@@RESULT@@'.length)) as { r: CfResponse | CfRequest; o: string | null });
  assert.equal(results.length, EDGE_CASES.length, `njs ran ${results.length} of ${EDGE_CASES.length} cases: ${stdout}`);
  const failures: string[] = [];
  EDGE_CASES.forEach((c, i) => {
    const { r, o } = results[i]!;
    const observed: EdgeObserved = { originId: o };
    if ('statusCode' in r) {
      observed.status = r.statusCode;
      observed.responseHeaders = flat(r.headers);
      observed.body = typeof r.body === 'string' ? r.body : r.body?.data;
    } else {
      observed.requestHeaders = flat(r.headers);
    }
    for (const m of mismatches(c, observed)) failures.push(`${c.name}: ${m}`);
  });
  assert.deepEqual(failures, []);
});
