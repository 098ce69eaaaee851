import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { apiBasePolicyFromEnv } from '../admin/api-base-policy.js';
import { loadDeployments } from '../admin/deployments.js';
import { startAdminServer } from '../admin/server.js';
import { credentialCipherFromEnv } from './aws-secrets.js';
import { resolveLocalEncryptionKey } from './local-encryption-key.js';
import { parseSigningSecrets } from './signing-secrets.js';

test('the local encryption key is generated once into the data dir (0600) and reused; env settings win', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skyway-enc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = resolveLocalEncryptionKey({}, dir)!;
  assert.equal(first.generated, true);
  assert.match(first.key, /^[0-9a-f]{64}$/);
  assert.equal(statSync(first.file).mode & 0o777, 0o600);
  const second = resolveLocalEncryptionKey({}, dir)!;
  assert.deepEqual([second.generated, second.key], [false, first.key]);
  assert.equal(resolveLocalEncryptionKey({ SKYWAY_KMS_KEY_ID: 'alias/x' }, dir), undefined);
  assert.equal(resolveLocalEncryptionKey({ SKYWAY_ENCRYPTION_KEY: first.key }, dir), undefined);
});

test('local mode: an admin adds a deployment with a credential (no encryption_not_configured), on the mock over http', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const dir = mkdtempSync(join(tmpdir(), 'skyway-enc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // What `npm start` hands the gateway process: the generated key and SKYWAY_LOCAL=1.
  const env = { SKYWAY_ENCRYPTION_KEY: resolveLocalEncryptionKey({}, dir)!.key, SKYWAY_LOCAL: '1' };
  const admin = await startAdminServer({
    host: '127.0.0.1', port: 0, db: pg.db, masterKey: 'sk-master-local', signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS),
    cipher: credentialCipherFromEnv(env), apiBasePolicy: apiBasePolicyFromEnv(env),
  });
  t.after(() => admin.close());
  const res = await fetch(admin.url + '/admin/deployments', {
    method: 'POST',
    headers: { authorization: 'Bearer sk-master-local', 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'local/1', model_name: 'mine', provider: 'openai', upstream_model: 'mock-1', api_base: 'http://127.0.0.1:9000/v1', api_key: 'sk-local-upstream' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal(((await res.json()) as { credential: string }).credential, 'encrypted');
  const [managed] = await loadDeployments(pg.db, { cipher: credentialCipherFromEnv(env) });
  assert.equal(managed!.deployment.apiKey, 'sk-local-upstream');
});
