/**
 * Local KMS and Secrets Manager endpoints for the gateway's AWS SDK clients (AWS_ENDPOINT_URL_KMS,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER): the JSON operations the gateway uses — GenerateDataKey and Decrypt
 * (envelope encryption of provider credentials), GetSecretValue (run-time secret references) — answered from
 * the Secrets Manager stand-in, as regional/src/keys/aws-secrets.test.ts does for its tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecretsStandIn } from './secrets.js';

export interface AwsEndpoints {
  url: string;
  calls: Record<string, number>;
  close(): Promise<void>;
}

export async function startAwsEndpoints(secrets: SecretsStandIn, region: string): Promise<AwsEndpoints> {
  const wrapped = new Map<string, { keyId: string; plain: Buffer }>();
  const calls: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls[target] = (calls[target] ?? 0) + 1;
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, string>;
      const reply = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(obj));
      };
      try {
        if (target === 'TrentService.GenerateDataKey') {
          const plain = randomBytes(32);
          const blob = randomBytes(48).toString('base64');
          wrapped.set(blob, { keyId: String(body.KeyId), plain });
          return reply(200, { KeyId: body.KeyId, Plaintext: plain.toString('base64'), CiphertextBlob: blob });
        }
        if (target === 'TrentService.Decrypt') {
          const w = wrapped.get(String(body.CiphertextBlob));
          if (!w) return reply(400, { __type: 'InvalidCiphertextException', message: 'not wrapped by this KMS' });
          return reply(200, { KeyId: w.keyId, Plaintext: w.plain.toString('base64') });
        }
        if (target === 'secretsmanager.GetSecretValue') {
          const value = secrets.resolve(region, String(body.SecretId));
          return reply(200, { Name: body.SecretId, SecretString: value });
        }
        reply(400, { __type: 'UnknownOperationException', message: target });
      } catch (err) {
        reply(400, { __type: 'ResourceNotFoundException', message: (err as Error).message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
