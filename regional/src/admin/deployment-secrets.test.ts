import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratedDb, TEST_SIGNING_SECRETS } from '../../../test-support/test-db.js';
import { EnvelopeCipher, LocalKeyProvider } from '../keys/envelope.js';
import { parseSigningSecrets } from '../keys/signing-secrets.js';
import { apiBasePolicyFromEnv, checkApiBase, classifyHost, trimTrailingSlashes } from './api-base-policy.js';
import { loadDeployments } from './deployments.js';
import { redactHeaders, redactOptions } from './deployment-secrets.js';
import { startAdminServer } from './server.js';

const MASTER = 'sk-master-secrets-test';

test('secret headers and options are masked, nested ones too', () => {
  assert.deepEqual(redactHeaders({ Authorization: 'Bearer x', 'api-key': 'k', 'X-Api-Key': 'k', 'x-trace': 'on', 'x-auth-token': 't' }), {
    Authorization: '***',
    'api-key': '***',
    'X-Api-Key': '***',
    'x-trace': 'on',
    'x-auth-token': '***',
  });
  assert.deepEqual(redactOptions({ region: 'us-east-1', aws_access_key_id: 'AKIA', aws_secret_access_key: 's', aws_session_token: 't', nested: { client_secret: 'c', api_version: 'v1' } }), {
    region: 'us-east-1',
    aws_access_key_id: '***',
    aws_secret_access_key: '***',
    aws_session_token: '***',
    nested: { client_secret: '***', api_version: 'v1' },
  });
});

test('api_base policy: metadata and link-local never, http only when allowlisted, loopback only locally', () => {
  const strict = apiBasePolicyFromEnv({});
  const allow = apiBasePolicyFromEnv({ SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS: 'vllm.internal, 10.0.3.7,169.254.169.254,127.0.0.1' });
  const local = apiBasePolicyFromEnv({ SKYWAY_LOCAL: '1' });
  const refused = (url: string, policy = strict) => assert.throws(() => checkApiBase(url, policy), (e: { code?: string }) => e.code === 'api_base_not_allowed', url);
  for (const url of [
    'http://169.254.169.254/latest/meta-data',
    'https://169.254.169.254/',
    'https://169.254.0.1:8443/v1',
    'https://0xa9.0xfe.0xa9.0xfe/', // hex octets normalise to 169.254.169.254
    'https://2852039166/', // a decimal IPv4
    'https://[fd00:ec2::254]/',
    'https://[FD00:EC2:0:0:0:0:0:254]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[fe80::1]/',
    'https://metadata.google.internal/computeMetadata/v1',
    'https://instance-data./',
  ]) {
    refused(url);
    refused(url, allow);
    refused(url, local);
  }
  refused('http://api.openai.com/v1'); // plain http
  refused('https://127.0.0.1:9000/v1'); // loopback outside local mode
  refused('https://localhost/v1');
  refused('https://[::1]/v1');
  refused('https://0.0.0.0/v1');
  refused('https://[::ffff:127.0.0.1]/v1');
  refused('https://user:pass@api.openai.com/v1');
  refused('ftp://api.openai.com/');
  refused('http://10.0.3.8/v1', allow);
  checkApiBase('https://api.openai.com/v1', strict);
  checkApiBase('https://10.0.3.7/v1', strict);
  checkApiBase('http://vllm.internal:8000/v1', allow);
  checkApiBase('http://VLLM.internal./v1', allow);
  checkApiBase('http://10.0.3.7/v1', allow);
  checkApiBase('http://127.0.0.1:9000/v1', allow);
  checkApiBase('http://127.0.0.1:9000/v1', local);
  checkApiBase('http://localhost:9000/v1', local);
  refused('http://10.0.3.7/v1', local);
  assert.equal(classifyHost('[::1]'), 'loopback');
  assert.equal(classifyHost('example.com'), 'other');
});

test('trailing slashes are trimmed by a linear scan', () => {
  assert.equal(trimTrailingSlashes('https://x/v1///'), 'https://x/v1');
  assert.equal(trimTrailingSlashes('///'), '');
  // The input that made /\/+$/ backtrack quadratically: many slashes not at the end.
  const evil = 'https://x/' + '/'.repeat(200_000) + 'a';
  assert.equal(trimTrailingSlashes(evil), evil);
});

test('admin API: deployment secrets are write-only (API, viewers, audit) and api_base is checked', async (t) => {
  const pg = await migratedDb(t);
  if (!pg) return;
  t.after(() => pg.close());
  const cipher = new EnvelopeCipher(new LocalKeyProvider(Buffer.alloc(32, 9)));
  const admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    db: pg.db,
    masterKey: MASTER,
    signingSecrets: parseSigningSecrets(TEST_SIGNING_SECRETS),
    cipher,
    apiBasePolicy: apiBasePolicyFromEnv({ SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS: 'vllm.internal' }),
  });
  t.after(() => admin.close());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(admin.url + path, {
      method,
      headers: { authorization: `Bearer ${MASTER}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : null,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  const created = await call('POST', '/admin/deployments', {
    id: 'claude/1',
    model_name: 'claude',
    provider: 'bedrock',
    upstream_model: 'anthropic.claude-3-haiku',
    api_base: 'https://bedrock-runtime.us-east-1.amazonaws.com/',
    headers: { authorization: 'Bearer upstream-header-secret', 'x-trace': 'on' },
    options: { region: 'us-east-1', aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'bedrock-static-secret', entra: { client_secret: 'nested-secret', tenant: 't1' } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const secrets = ['upstream-header-secret', 'bedrock-static-secret', 'AKIAEXAMPLE', 'nested-secret'];
  const leaks = (v: unknown) => secrets.filter((s) => JSON.stringify(v).includes(s));
  assert.deepEqual(leaks(created.body), []);
  assert.deepEqual(created.body.headers, { authorization: '***', 'x-trace': 'on' });
  assert.deepEqual(created.body.options, { region: 'us-east-1', aws_access_key_id: '***', aws_secret_access_key: '***', entra: { client_secret: '***', tenant: 't1' } });
  assert.deepEqual(created.body.secret_headers, ['authorization']);
  assert.deepEqual(created.body.secret_options, ['aws_access_key_id', 'aws_secret_access_key']);
  assert.deepEqual(leaks((await call('GET', '/admin/deployments/claude%2F1')).body), []);
  assert.deepEqual(leaks((await call('GET', '/admin/deployments')).body), []);

  // Read-modify-write: the masks sent back keep the stored values; a changed header is stored.
  const got = (await call('GET', '/admin/deployments/claude%2F1')).body;
  const patched = await call('PATCH', '/admin/deployments/claude%2F1', { headers: { ...got.headers, 'x-trace': 'off' }, options: got.options });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const loaded = (await loadDeployments(pg.db, { cipher })).find((m) => m.deployment.id === 'claude/1')!.deployment;
  assert.deepEqual(loaded.headers, { authorization: 'Bearer upstream-header-secret', 'x-trace': 'off' });
  assert.equal(loaded.options.aws_secret_access_key, 'bedrock-static-secret');
  assert.deepEqual(loaded.options.entra, { client_secret: 'nested-secret', tenant: 't1' });
  assert.equal(loaded.apiBase, 'https://bedrock-runtime.us-east-1.amazonaws.com');
  assert.equal(loaded.hideUpstreamErrorBodies, true);
  const rotatedSecret = await call('PATCH', '/admin/deployments/claude%2F1', { options: { ...got.options, aws_secret_access_key: 'bedrock-static-secret-2' } });
  assert.equal(rotatedSecret.status, 200);
  const masked = await call('PATCH', '/admin/deployments/claude%2F1', { headers: { 'x-api-key': '***' } });
  assert.equal(masked.status, 400);
  assert.equal(masked.body.error.param, 'headers.x-api-key');

  // The audit log: a redacted diff of what changed.
  const audit = (await call('GET', '/admin/audit?entity_type=deployment')).body.data as Array<{ action: string; before: any; after: any }>;
  assert.deepEqual(leaks(audit), []);
  assert.ok(!JSON.stringify(audit).includes('bedrock-static-secret-2'));
  const secretChange = audit[0]!;
  assert.equal(secretChange.action, 'deployment.update');
  assert.deepEqual(secretChange.after, { secret_options_changed: ['aws_secret_access_key'] });
  const traceChange = audit[1]!;
  assert.deepEqual(traceChange.before, { headers: { authorization: '***', 'x-trace': 'on' } });
  assert.deepEqual(traceChange.after, { headers: { authorization: '***', 'x-trace': 'off' } });

  // A nested secret changed under an option object: flagged by name, never shown.
  assert.equal((await call('PATCH', '/admin/deployments/claude%2F1', { options: { ...got.options, entra: { client_secret: 'nested-secret-2', tenant: 't1' } } })).status, 200);
  const nestedAudit = (await call('GET', '/admin/audit?entity_type=deployment&limit=1')).body.data[0] as { after: unknown };
  assert.deepEqual(nestedAudit.after, { secret_options_changed: ['entra'] });
  assert.ok(!JSON.stringify(nestedAudit).includes('nested-secret'));

  // api_base: refused with a precise code, for create and update.
  for (const api_base of ['http://169.254.169.254/latest', 'https://[fd00:ec2::254]/', 'http://api.example.com/v1', 'https://127.0.0.1:9000/v1']) {
    const r = await call('POST', '/admin/deployments', { model_name: 'x', provider: 'openai', upstream_model: 'x', api_base });
    assert.equal(r.status, 400, api_base);
    assert.equal(r.body.error.code, 'api_base_not_allowed', api_base);
    assert.equal(r.body.error.param, 'api_base');
  }
  assert.equal((await call('PATCH', '/admin/deployments/claude%2F1', { api_base: 'http://169.254.169.254/' })).body.error.code, 'api_base_not_allowed');
  assert.equal((await call('POST', '/admin/deployments', { model_name: 'v', provider: 'openai', upstream_model: 'v', api_base: 'http://vllm.internal:8000/v1' })).status, 201);
});
