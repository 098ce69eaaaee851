/**
 * KMS and Secrets Manager through the real AWS SDK clients, against local endpoints that implement the two
 * JSON operations each uses (the wire format the SDK signs and sends), on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { credentialCipherFromEnv, secretsManagerResolver } from './aws-secrets.js';

interface Call {
  target: string;
  body: Record<string, unknown>;
  authorization: string;
}

let server: Server;
let url = '';
const calls: Call[] = [];
const wrapped = new Map<string, Buffer>();

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(s));
  });
}

before(async () => {
  server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await read(req)) || '{}') as Record<string, unknown>;
    calls.push({ target, body, authorization: String(req.headers.authorization ?? '') });
    const reply = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(obj));
    };
    if (target === 'TrentService.GenerateDataKey') {
      const plain = randomBytes(32);
      const blob = randomBytes(16);
      wrapped.set(blob.toString('base64'), plain);
      return reply(200, { KeyId: body.KeyId, Plaintext: plain.toString('base64'), CiphertextBlob: blob.toString('base64') });
    }
    if (target === 'TrentService.Decrypt') {
      const plain = wrapped.get(String(body.CiphertextBlob));
      if (!plain) return reply(400, { __type: 'InvalidCiphertextException', message: 'unknown blob' });
      return reply(200, { KeyId: body.KeyId, Plaintext: plain.toString('base64') });
    }
    if (target === 'secretsmanager.GetSecretValue') {
      if (body.SecretId === 'providers/openai') return reply(200, { Name: 'providers/openai', SecretString: 'sk-from-secrets-manager' });
      if (body.SecretId === 'providers/bundle') return reply(200, { Name: 'providers/bundle', SecretString: JSON.stringify({ anthropic: 'sk-ant-x' }) });
      return reply(400, { __type: 'ResourceNotFoundException', message: 'Secrets Manager can’t find the specified secret.' });
    }
    reply(400, { __type: 'UnknownOperationException' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const awsEnv = () => ({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL_KMS: url, AWS_ENDPOINT_URL_SECRETS_MANAGER: url });

describe('provider credentials in AWS', () => {
  it('envelope-encrypts with a KMS data key when SKYWAY_KMS_KEY_ID is set', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, awsEnv());
    try {
      const cipher = credentialCipherFromEnv({ ...awsEnv(), SKYWAY_KMS_KEY_ID: 'alias/skyway-credentials' })!;
      const env = await cipher.encrypt('sk-provider-secret', 'dep_1');
      assert.equal(env.kp, 'kms');
      assert.equal(env.kid, 'alias/skyway-credentials');
      assert.ok(!JSON.stringify(env).includes('sk-provider-secret'));
      assert.equal(await cipher.decrypt(env, 'dep_1'), 'sk-provider-secret');
      await assert.rejects(cipher.decrypt(env, 'dep_2'), 'the envelope is bound to its row');
      const gen = calls.find((c) => c.target === 'TrentService.GenerateDataKey')!;
      assert.deepEqual(gen.body, { KeyId: 'alias/skyway-credentials', KeySpec: 'AES_256' });
      assert.match(gen.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/kms\/aws4_request/);
    } finally {
      process.env = saved;
    }
  });

  it('falls back to the local key, or to none', () => {
    assert.equal(credentialCipherFromEnv({}), undefined);
    assert.ok(credentialCipherFromEnv({ SKYWAY_ENCRYPTION_KEY: randomBytes(32).toString('hex') }));
  });

  it('resolves Secrets Manager references, whole or one JSON field, and caches them', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, awsEnv());
    try {
      const resolve = secretsManagerResolver(awsEnv());
      const before = calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').length;
      assert.equal(await resolve('providers/openai'), 'sk-from-secrets-manager');
      assert.equal(await resolve('providers/openai'), 'sk-from-secrets-manager');
      assert.equal(await resolve('providers/bundle#anthropic'), 'sk-ant-x');
      assert.equal(calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').length - before, 2);
      await assert.rejects(resolve('providers/missing'), /can.t find/);
      await assert.rejects(resolve('providers/bundle#gemini'), /no string field 'gemini'/);
    } finally {
      process.env = saved;
    }
  });
});
