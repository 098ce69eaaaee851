import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { localChangeBus } from '../keys/events.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import { watchDeployments, type ManagedDeployment } from './deployments.js';
import { startAdminServer } from './server.js';

const MASTER = 'sk-master-propagation-test';

/** A loopback port with nothing listening (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a revocation that cannot be published answers 503 revocation_not_propagated; repeating it publishes again', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  // The change bus points at a Redis that is not there: every publish fails.
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, db: pg.db, masterKey: MASTER, signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS), redisUrl: `redis://127.0.0.1:${await deadPort()}`, publishRetryDelaysMs: [10] });
  t.after(() => admin.close());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(admin.url + path, { method, headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };
  const key = await call('POST', '/admin/keys', { alias: 'prop' });
  assert.equal(key.status, 201, 'a lost create event is only freshness: the key is returned');
  const revoked = await call('POST', `/admin/keys/${key.body.id}/revoke`, { reason: 'leaked' });
  assert.equal(revoked.status, 503);
  assert.equal(revoked.body.error.code, 'revocation_not_propagated');
  assert.match(revoked.body.error.message, /revoked in the database.*Repeat the revoke/s);
  const row = (await pg.db.query('select revoked_at from virtual_keys where id = $1', [key.body.id])).rows[0] as { revoked_at: Date | null };
  assert.ok(row.revoked_at, 'the revocation itself is committed');
  assert.equal((await call('POST', `/admin/keys/${key.body.id}/revoke`, {})).body.error.code, 'revocation_not_propagated', 'the repeat tries to publish again');

  const other = await call('POST', '/admin/keys', {});
  const rotated = await call('POST', `/admin/keys/${other.body.id}/rotate`, { grace_period_seconds: 0 });
  assert.equal(rotated.status, 201, 'a rotation still hands out the new key');
  assert.match(rotated.body.key.key, /^sk-sky-/);
  assert.match(rotated.body.warning, /could not be published/);
});

test('watchDeployments retries a failed load with backoff, without waiting for a change event', { timeout: 20_000 }, async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  await pg.db.query(
    "insert into model_deployments (id, model_name, provider, upstream_model, api_base, credential_kind, credential_secret_ref) values ('sm/1', 'sm', 'openai', 'gpt-4o', 'https://api.openai.com/v1', 'secret_ref', 'arn:aws:secretsmanager:eu-west-1:1:secret:x')",
  );
  let calls = 0;
  const errors: unknown[] = [];
  const loaded = new Promise<ManagedDeployment[]>((resolve) => {
    const stop = watchDeployments(pg.db, localChangeBus, {
      // Secrets Manager throttles twice, then answers.
      resolveSecretRef: async () => {
        if (++calls <= 2) throw new Error('ThrottlingException');
        return 'sk-from-secrets-manager';
      },
      retryMs: 10,
      onError: (err) => errors.push(err),
      onReload: (all) => {
        stop();
        resolve(all);
      },
    });
  });
  const all = await loaded;
  assert.equal(errors.length, 2);
  assert.equal(all[0]!.deployment.apiKey, 'sk-from-secrets-manager');
});
