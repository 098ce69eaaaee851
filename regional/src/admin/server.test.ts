import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { EnvelopeCipher, LocalKeyProvider } from '../keys/envelope.js';
import type { ChangeEvent } from '../keys/events.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import { loadDeployments } from './deployments.js';
import { startAdminServer } from './server.js';

const MASTER = 'sk-master-admin-test';

test('admin API: keys, teams, users, deployments, spend, audit, OIDC roles', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());

  // An OIDC issuer on loopback: a key pair and its JWKS.
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let jwksFetches = 0;
  const idp = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => idp.close(() => r())));
  const issuer = 'https://idp.test/';
  const token = (claims: Record<string, unknown>, aud = 'skyway-admin') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(aud).setSubject('u-1').setIssuedAt().setExpirationTime('5m').sign(privateKey);

  const keyEvents: ChangeEvent[] = [];
  const cipher = new EnvelopeCipher(new LocalKeyProvider(Buffer.alloc(32, 7)));
  const admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    db: pg.db,
    masterKey: MASTER,
    signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS),
    cipher,
    oidc: { issuer, audience: 'skyway-admin', jwksUri: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`, rolesClaim: 'groups' },
    onKeyChange: (e) => keyEvents.push(e),
  });
  t.after(() => admin.close());

  const call = async (method: string, path: string, body?: unknown, bearer = MASTER) => {
    const res = await fetch(admin.url + path, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : null,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  // Teams and users.
  const team = await call('POST', '/admin/teams', { name: 'search', models: ['mock-1', 'mock-embed'], budget: { max_usd: 100, period: 'monthly', alert_at: [0.8] } });
  assert.equal(team.status, 201);
  assert.deepEqual(team.body.budget, { max_usd: 100, period: 'monthly', alert_at: [0.8] });
  assert.equal((await call('POST', '/admin/teams', { name: 'search' })).status, 409);
  const user = await call('POST', '/admin/users', { email: 'ada@example.com', team_id: team.body.id });
  assert.equal(user.status, 201);
  assert.equal((await call('PATCH', `/admin/teams/${team.body.id}`, { limits: { rpm: 600 } })).body.limits.rpm, 600);

  // Keys: create shows the plaintext once; get/list never do.
  const created = await call('POST', '/admin/keys', { alias: 'web', team_id: team.body.id, user_id: user.body.id, models: ['mock-1'], limits: { rpm: 10 }, model_limits: { 'mock-1': { tpm: 500 } } });
  assert.equal(created.status, 201);
  assert.match(created.body.key, /^sk-sky-/);
  assert.equal(created.body.status, 'active');
  const got = await call('GET', `/admin/keys/${created.body.id}`);
  assert.equal(got.body.key, undefined);
  assert.equal(got.body.key_hash, undefined);
  assert.equal(got.body.hint, `sk-sky-${created.body.id}_…`);
  for (let i = 0; i < 3; i++) await call('POST', '/admin/keys', { alias: `batch-${i}`, team_id: team.body.id });
  await call('POST', '/admin/keys', { alias: 'other' });
  const page1 = await call('GET', `/admin/keys?team_id=${team.body.id}&limit=2`);
  assert.equal(page1.body.data.length, 2);
  assert.equal(page1.body.has_more, true);
  const page2 = await call('GET', `/admin/keys?team_id=${team.body.id}&limit=2&cursor=${page1.body.next_cursor}`);
  assert.equal(page2.body.data.length, 2);
  assert.equal(page2.body.has_more, false);
  assert.equal(new Set([...page1.body.data, ...page2.body.data].map((k: { id: string }) => k.id)).size, 4);
  assert.equal((await call('GET', '/admin/keys?model=mock-1&alias=web')).body.data.length, 1);
  assert.equal((await call('GET', '/admin/keys?limit=0')).status, 400);
  const bad = await call('POST', '/admin/keys', { limits: { rpm: -1 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.param, 'limits.rpm');
  assert.equal((await call('POST', '/admin/keys', { team_id: 'team_missing' })).status, 409);
  assert.equal((await call('GET', '/admin/keys/nope')).status, 404);
  assert.equal((await call('PUT', '/admin/keys/nope')).status, 405);

  const updated = await call('PATCH', `/admin/keys/${created.body.id}`, { budget: { max_usd: 5, period: 'daily' }, expires_at: '2999-01-01T00:00:00Z' });
  assert.deepEqual(updated.body.budget, { max_usd: 5, period: 'daily', alert_at: [] });
  const rotated = await call('POST', `/admin/keys/${created.body.id}/rotate`, { grace_period_seconds: 60 });
  assert.equal(rotated.status, 201);
  assert.equal(rotated.body.previous.replaced_by, rotated.body.key.id);
  assert.equal(rotated.body.key.alias, 'web');
  const revoked = await call('POST', `/admin/keys/${rotated.body.key.id}/revoke`, { reason: 'test' });
  assert.equal(revoked.body.status, 'revoked');
  assert.equal((await call('GET', '/admin/keys?status=revoked')).body.data.length, 1);
  assert.deepEqual(
    keyEvents.map((e) => e.action),
    ['created', 'created', 'created', 'created', 'created', 'updated', 'rotated', 'created', 'revoked'],
  );
  assert.equal(keyEvents[6]!.type === 'key' && keyEvents[6]!.replacedBy, rotated.body.key.id);

  // Deployments: the credential is encrypted at rest and never returned.
  const dep = await call('POST', '/admin/deployments', { id: 'gpt/1', model_name: 'gpt-4o', provider: 'openai', upstream_model: 'gpt-4o', api_base: 'https://api.openai.com/v1', api_key: 'sk-upstream-secret' });
  assert.equal(dep.status, 201);
  assert.equal(dep.body.credential, 'encrypted');
  assert.ok(!JSON.stringify(dep.body).includes('sk-upstream-secret'));
  const raw = (await pg.db.query("select credential_envelope::text as e from model_deployments where id = 'gpt/1'")).rows[0].e as string;
  assert.ok(!raw.includes('sk-upstream-secret'));
  assert.equal((await loadDeployments(pg.db, { cipher }))[0]!.deployment.apiKey, 'sk-upstream-secret');
  await call('PATCH', '/admin/deployments/gpt%2F1', { weight: 3 });
  assert.equal((await call('GET', '/admin/deployments?model_name=gpt-4o')).body.data[0].weight, 3);
  assert.equal((await call('DELETE', '/admin/deployments/gpt%2F1')).body.deleted, true);

  // Spend reports over the aggregates the usage pipeline writes.
  await pg.db.query(
    `insert into spend_daily (day, key_id, team_id, user_id, model, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd) values
     ('2030-01-01', 'k1', 't1', '', 'mock-1', 10, 100, 50, 150, 0.5), ('2030-01-02', 'k1', 't1', '', 'mock-1', 5, 10, 5, 15, 0.25),
     ('2030-01-02', 'k2', 't2', '', 'mock-embed', 1, 1, 0, 1, 0.01)`,
  );
  const byDay = await call('GET', '/admin/spend?group_by=day&from=2030-01-01&to=2030-01-31');
  assert.deepEqual(byDay.body.data.map((r: { group: string; cost_usd: number }) => [r.group, r.cost_usd]), [['2030-01-01', 0.5], ['2030-01-02', 0.26]]);
  assert.equal(byDay.body.total.requests, 16);
  const byTeam = await call('GET', '/admin/spend?group_by=team&from=2030-01-01&to=2030-01-31&model=mock-1');
  assert.deepEqual(byTeam.body.data.map((r: { group: string }) => r.group), ['t1']);

  // OIDC: admin and viewer roles; wrong audience, wrong issuer key and missing role are refused.
  const viewer = await token({ groups: ['viewer'] });
  assert.equal((await call('GET', '/admin/keys', undefined, viewer)).status, 200);
  const denied = await call('POST', '/admin/keys', {}, viewer);
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'admin_role_required');
  const adminTok = await token({ groups: ['admin'], email: 'ops@example.com' });
  assert.equal((await call('POST', '/admin/teams', { name: 'by-oidc' }, adminTok)).status, 201);
  const wrongAud = await call('GET', '/admin/keys', undefined, await token({ groups: ['admin'] }, 'someone-else'));
  assert.equal(wrongAud.status, 401);
  assert.match(wrongAud.body.error.message, /aud/);
  const noRole = await call('GET', '/admin/keys', undefined, await token({ groups: ['staff'] }));
  assert.equal(noRole.status, 403);
  const { privateKey: stranger } = await generateKeyPair('RS256');
  const forged = await new SignJWT({ groups: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience('skyway-admin').setExpirationTime('5m').sign(stranger);
  assert.equal((await call('GET', '/admin/keys', undefined, forged)).status, 401);
  assert.equal((await call('GET', '/admin/keys', undefined, 'wrong')).status, 401);
  assert.equal((await fetch(admin.url + '/admin/keys')).status, 401);
  assert.equal(jwksFetches, 1, 'the JWKS is fetched once and cached');

  // Audit: one entry per change, with the actor, and no secrets.
  const audit = await call('GET', '/admin/audit?limit=100');
  const actions = audit.body.data.map((a: { action: string }) => a.action).reverse();
  assert.deepEqual(actions, [
    'team.create', 'user.create', 'team.update',
    'key.create', 'key.create', 'key.create', 'key.create', 'key.create',
    'key.update', 'key.rotate', 'key.create', 'key.revoke',
    'deployment.create', 'deployment.update', 'deployment.delete',
    'team.create',
  ]);
  assert.equal(audit.body.data[0].actor, 'ops@example.com');
  assert.equal(audit.body.data[0].actor_kind, 'oidc');
  const auditText = JSON.stringify(audit.body);
  assert.ok(!auditText.includes('sk-upstream-secret') && !auditText.includes('key_hash') && !auditText.includes(created.body.key));
});
