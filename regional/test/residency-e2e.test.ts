/**
 * Data residency across two regions (issue 14): gateway A plays eu-west-1 (`all`: api + admin), B plays
 * us-west-2 (`api`), sharing one key store as a global database would make them. A key pinned to eu-west-1 is
 * served by A only; B refuses it with 503 `home_region_unavailable` (the edge's code) instead of serving it
 * elsewhere, so its usage never lands in B's stores. Every answer names the region that gave it, and the admin
 * role publishes the pin to the edge KVS, where the viewer-request function reads it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startMockUpstream } from '../../loadtest/mock/server.js';
import { SHARED_ERRORS } from '../../shared/errors/codes.js';
import { adminOk, chat, chatOk, expectOpenAiError, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../../test-support/e2e-admin.js';
import { mockConfig, startGatewayProcess } from '../../test-support/gateway.js';
import { postgres, redis } from '../../test-support/services.js';

/** The KVS entry of a key once the admin role has published it (polled: publishing follows the commit). */
async function kvsEntry(file: string, keyId: string, until: (v: string | undefined) => boolean): Promise<string | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let v: string | undefined;
    try {
      v = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)[`k:${keyId}`];
    } catch {
      v = undefined;
    }
    if (until(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a key (or its team) pinned to a home region is served there only, and every answer names its region', { timeout: 40_000 }, async (t) => {
  const pg = await postgres(t);
  if (!pg) return;
  t.after(() => pg.close());
  const rd = await redis(t);
  if (!rd) return;
  t.after(() => rd.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const dir = mkdtempSync(join(tmpdir(), 'skyway-residency-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kvsFile = join(dir, 'edge-kvs.json');
  const env = {
    DATABASE_URL: pg.url,
    REDIS_URL: rd.url,
    SKYWAY_MASTER_KEY: 'sk-e2e-master-' + Date.now(),
    SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
    SKYWAY_EDGE_KVS_ARN: '',
    SKYWAY_ORIGIN_VERIFY_SECRET: '',
  };
  const config = mockConfig(mock.url);
  const eu = await startGatewayProcess({ config, env: { ...env, SKYWAY_ROLE: 'all', SKYWAY_REGION: 'eu-west-1', SKYWAY_EDGE_KVS_FILE: kvsFile } });
  t.after(() => eu.stop());
  const us = await startGatewayProcess({ config, env: { ...env, SKYWAY_ROLE: 'api', SKYWAY_REGION: 'us-west-2', SKYWAY_EDGE_KVS_FILE: '' } });
  t.after(() => us.stop());
  await waitForAdmin(eu);

  const pinned = await adminOk<CreatedKey>(eu, 'POST', '/admin/keys', { alias: 'pinned-eu', home_region: 'eu-west-1' }, 201);
  const free = await adminOk<CreatedKey>(eu, 'POST', '/admin/keys', { alias: 'unpinned' }, 201);

  const home = await chat(eu.url, pinned.key);
  assert.equal(home.status, 200, await home.clone().text());
  assert.equal(home.headers.get('x-skyway-region'), 'eu-west-1');
  await home.body?.cancel();

  const away = await chat(us.url, pinned.key);
  assert.equal(away.headers.get('x-skyway-region'), 'us-west-2', 'errors name their region too');
  assert.equal(away.headers.get('retry-after'), '5');
  const err = await expectOpenAiError(away, SHARED_ERRORS.homeRegionUnavailable.status, SHARED_ERRORS.homeRegionUnavailable.code);
  assert.match(err.message, /eu-west-1/);

  // Unpinned keys are served anywhere.
  await chatOk(us.url, free.key);
  const anywhere = await chat(us.url, free.key);
  assert.equal(anywhere.headers.get('x-skyway-region'), 'us-west-2');
  await anywhere.body?.cancel();

  // The pin reached the edge KVS; only pinned keys have an entry.
  assert.deepEqual(JSON.parse((await kvsEntry(kvsFile, pinned.id, (v) => v !== undefined)) ?? '{}'), { h: 'eu-west-1' });
  assert.equal(await kvsEntry(kvsFile, free.id, () => false), undefined);

  // Unpinning lifts both: the edge entry goes and the other region serves the key.
  await adminOk(eu, 'PATCH', `/admin/keys/${pinned.id}`, { home_region: null }, 200);
  assert.equal(await kvsEntry(kvsFile, pinned.id, (v) => v === undefined), undefined);
  const deadline = Date.now() + 2_000;
  let status = 0;
  while (Date.now() < deadline) {
    const r = await chat(us.url, pinned.key);
    status = r.status;
    await r.body?.cancel();
    if (status === 200) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(status, 200, 'the unpinned key is served in us-west-2 once the change reaches it');

  // A team's pin applies to its keys without one of their own; the edge hears of it when the team changes.
  const team = await adminOk<{ id: string; home_region: string | null }>(eu, 'POST', '/admin/teams', { name: `eu-team-${Date.now()}`, home_region: 'eu-west-1' }, 201);
  assert.equal(team.home_region, 'eu-west-1');
  const member = await adminOk<CreatedKey>(eu, 'POST', '/admin/keys', { alias: 'team-member', team_id: team.id }, 201);
  await chatOk(eu.url, member.key);
  await expectOpenAiError(await chat(us.url, member.key), SHARED_ERRORS.homeRegionUnavailable.status, SHARED_ERRORS.homeRegionUnavailable.code);
  assert.deepEqual(JSON.parse((await kvsEntry(kvsFile, member.id, (v) => v !== undefined)) ?? '{}'), { h: 'eu-west-1' });
  await adminOk(eu, 'PATCH', `/admin/teams/${team.id}`, { home_region: 'us-west-2' }, 200);
  assert.deepEqual(JSON.parse((await kvsEntry(kvsFile, member.id, (v) => v?.includes('us-west-2') === true)) ?? '{}'), { h: 'us-west-2' }, 'the team change re-published its keys');
});
