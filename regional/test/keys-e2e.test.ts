/**
 * The virtual-key lifecycle across two real gateway processes sharing one Postgres database and Redis (issue 9):
 * A plays `all` (api + admin), B plays `api` only. Keys are managed through A's admin API and used on B, so every
 * change must travel A → Postgres + Redis pub/sub → B's key cache.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { admin, adminOk, auditOf, chat, chatOk, expectOpenAiError, firstRejection, signingSecretsEnv, waitForAdmin, type CreatedKey } from '../../test-support/e2e-admin.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { postgres, redis } from '../../test-support/services.js';

interface Stack {
  a: GatewayProcess;
  b: GatewayProcess;
  mock: MockUpstream;
}

async function startStack(t: TestContext): Promise<Stack | undefined> {
  const pg = await postgres(t);
  if (!pg) return undefined;
  t.after(() => pg.close());
  const rd = await redis(t);
  if (!rd) return undefined;
  t.after(() => rd.close());
  const mock = await startMockUpstream({ port: 0 });
  t.after(() => mock.close());
  const env = {
    DATABASE_URL: pg.url,
    REDIS_URL: rd.url,
    SKYWAY_MASTER_KEY: 'sk-e2e-master-' + Date.now(),
    SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv(),
    SKYWAY_EDGE_KVS_ARN: '',
    SKYWAY_EDGE_KVS_FILE: '',
    SKYWAY_ORIGIN_VERIFY_SECRET: '',
  };
  const config = mockConfig(mock.url);
  // A first: the admin API it serves is what the rest of the test drives.
  const a = await startGatewayProcess({ config, env: { ...env, SKYWAY_ROLE: 'all' } });
  t.after(() => a.stop());
  const b = await startGatewayProcess({ config, env: { ...env, SKYWAY_ROLE: 'api' } });
  t.after(() => b.stop());
  await waitForAdmin(a);
  return { a, b, mock };
}

function createKey(gw: GatewayProcess, body: Record<string, unknown>): Promise<CreatedKey> {
  return adminOk<CreatedKey>(gw, 'POST', '/admin/keys', body, 201);
}

test('virtual keys across two gateway processes sharing Postgres and Redis', { timeout: 30_000 }, async (t) => {
  const stack = await startStack(t);
  if (!stack) return;
  const { a, b } = stack;

  await t.test('a key created on A works on B; its revocation reaches B within one second', async () => {
    const created = await createKey(a, { alias: 'e2e-revoke', models: ['mock-1'] });
    assert.match(created.key, /^sk-sky-[0-9a-z]{12}_/);
    assert.equal(created.status, 'active');
    // Used on B first, so that B holds the key in its cache: only the change event can evict it in time.
    await chatOk(b.url, created.key);
    await chatOk(b.url, created.key);

    const revoked = await adminOk<{ status: string }>(a, 'POST', `/admin/keys/${created.id}/revoke`, { reason: 'e2e test' }, 200);
    const revokedAt = Date.now();
    assert.equal(revoked.status, 'revoked');
    // Within one second of the revoke response, B must refuse the key (polled every 50 ms).
    const last = await firstRejection(b.url, created.key, revokedAt + 1000, 'B after the revocation');
    const err = await expectOpenAiError(last, 401, 'api_key_revoked');
    assert.match(err.message, /revoked/);
    assert.match(err.message, /e2e test/, 'the reason is in the message');
    // A (the revoking process's own api role) agrees.
    await expectOpenAiError(await chat(a.url, created.key), 401, 'api_key_revoked');

    const audit = await auditOf(a, 'key', created.id);
    assert.deepEqual(audit.map((e) => e.action), ['key.create', 'key.revoke']);
    const rev = audit[1]!;
    assert.equal(rev.actor_kind, 'master');
    assert.equal(rev.before?.revoked_at, null);
    assert.ok(rev.after?.revoked_at, 'after shows the revocation');
    assert.equal(rev.after?.revoked_reason, 'e2e test');
    for (const e of audit) assert.ok(!('key_hash' in (e.after ?? {})), 'audit entries never hold key material');
  });

  await t.test('rotation with a grace period: old and new work on B, the old one stops after the grace', async () => {
    const original = await createKey(a, { alias: 'e2e-rotate' });
    await chatOk(b.url, original.key);
    const rotated = await adminOk<{ key: CreatedKey; previous: CreatedKey }>(a, 'POST', `/admin/keys/${original.id}/rotate`, { grace_period_seconds: 3 }, 201);
    const fresh = rotated.key;
    assert.notEqual(fresh.id, original.id);
    assert.ok(rotated.previous.grace_expires_at, 'the old key has a grace end');
    const graceEnd = Date.parse(rotated.previous.grace_expires_at);

    await chatOk(b.url, fresh.key);
    await chatOk(b.url, original.key); // within the grace period

    const rejected = await firstRejection(b.url, original.key, graceEnd + 5000, 'the old key after its grace period', 100);
    await expectOpenAiError(rejected, 401, 'api_key_rotated');
    await chatOk(b.url, fresh.key);

    const oldAudit = await auditOf(a, 'key', original.id);
    assert.deepEqual(oldAudit.map((e) => e.action), ['key.create', 'key.rotate']);
    assert.equal(oldAudit[1]!.after?.replaced_by, fresh.id);
    const newAudit = await auditOf(a, 'key', fresh.id);
    assert.deepEqual(newAudit.map((e) => e.action), ['key.create']);
    assert.equal(newAudit[0]!.after?.rotated_from, original.id);
  });

  await t.test('model access list, through the official openai client: mock-1 allowed, mock-embed 403', async () => {
    const limited = await createKey(a, { models: ['mock-1'] });
    const client = new OpenAI({ apiKey: limited.key, baseURL: `${b.url}/v1`, maxRetries: 0 });
    const ok = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    assert.equal(ok.object, 'chat.completion');
    await assert.rejects(client.embeddings.create({ model: 'mock-embed', input: 'hello' }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.PermissionDeniedError, `expected a 403, got ${String(err)}`);
      assert.equal(err.status, 403);
      assert.equal(err.code, 'model_not_allowed');
      assert.match(err.message, /mock-embed/);
      return true;
    });
    // The same key without a list reaches mock-embed (the 403 came from the list, not from the model).
    const open = await createKey(a, {});
    const emb = await new OpenAI({ apiKey: open.key, baseURL: `${b.url}/v1`, maxRetries: 0 }).embeddings.create({ model: 'mock-embed', input: 'hello' });
    assert.equal(emb.object, 'list');
  });

  await t.test('expiry: a key created expired is 401; a key updated to expire stops working on B', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const born = await createKey(a, { expires_at: past });
    assert.equal(born.status, 'expired');
    const err = await expectOpenAiError(await chat(b.url, born.key), 401, 'api_key_expired');
    assert.match(err.message, /expired/);

    const key = await createKey(a, { alias: 'e2e-expire' });
    await chatOk(b.url, key.key); // cached on B
    const updated = await adminOk<{ status: string; expires_at: string }>(a, 'PATCH', `/admin/keys/${key.id}`, { expires_at: past }, 200);
    assert.equal(updated.status, 'expired');
    const last = await firstRejection(b.url, key.key, Date.now() + 1000, 'B after the expiry update');
    await expectOpenAiError(last, 401, 'api_key_expired');

    const audit = await auditOf(a, 'key', key.id);
    assert.deepEqual(audit.map((e) => e.action), ['key.create', 'key.update']);
    assert.equal(audit[1]!.before?.expires_at, null);
    assert.ok(audit[1]!.after?.expires_at, 'after shows the expiry');
  });

  await t.test('the admin API is only on the admin listener and needs the master key', async () => {
    const onApi = await fetch(a.url + '/admin/keys', { headers: { authorization: `Bearer ${a.masterKey}` } });
    assert.equal(onApi.status, 404);
    await onApi.body?.cancel();
    const noAuth = await fetch(a.adminUrl + '/admin/keys');
    assert.equal(noAuth.status, 401);
    await noAuth.body?.cancel();
    const list = await admin<{ object: string; data: unknown[] }>(a, 'GET', '/admin/keys?limit=100');
    assert.equal(list.status, 200);
    assert.ok(list.body.data.length >= 6);
  });
});

test(
  'two api replicas starting at once on a fresh database both come up (both run the migrations)',
  {
    timeout: 20_000,
  },
  async (t) => {
    const pg = await postgres(t);
    if (!pg) return;
    t.after(() => pg.close());
    const mock = await startMockUpstream({ port: 0 });
    t.after(() => mock.close());
    const env = { DATABASE_URL: pg.url, REDIS_URL: '', SKYWAY_ROLE: 'api', SKYWAY_KEY_SIGNING_SECRETS: signingSecretsEnv() };
    const started = await Promise.allSettled([0, 1].map(() => startGatewayProcess({ config: mockConfig(mock.url), env })));
    for (const s of started) if (s.status === 'fulfilled') t.after(() => s.value.stop());
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  },
);
