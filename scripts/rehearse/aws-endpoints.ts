/**
 * Local KMS and Secrets Manager endpoints for the gateway's AWS SDK clients (AWS_ENDPOINT_URL_KMS,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER): the JSON operations the gateway uses — GenerateDataKey and Decrypt
 * (envelope encryption of provider credentials), GetSecretValue (run-time secret references) — answered from
 * the Secrets Manager stand-in, as regional/src/keys/aws-secrets.test.ts does for its tests. Decrypt answers as
 * KMS does: only with a key of this region that wrapped the data key, or a replica of the same multi-Region key.
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

/** Data keys wrapped by the KMS stand-ins, shared by every region (a multi-Region key's replicas open each other's). */
export type WrappedKeys = Map<string, { keyId: string; plain: Buffer }>;

const KEY_ARN = /^arn:[^:]+:kms:([^:]+):\d+:key\/(.+)$/;

/**
 * Whether KMS in `region` decrypts a data key wrapped under `wrappedBy` when asked with `asked`: the key must live
 * in this region, and be the same key, or a replica of the same multi-Region key (`mrk-` id).
 */
export function kmsWouldDecrypt(wrappedBy: string, asked: string, region: string): boolean {
  const a = KEY_ARN.exec(asked);
  const w = KEY_ARN.exec(wrappedBy);
  if (!a || !w || a[1] !== region) return false;
  return asked === wrappedBy || (a[2]!.startsWith('mrk-') && a[2] === w[2]);
}

export async function startAwsEndpoints(secrets: SecretsStandIn, region: string, wrapped: WrappedKeys = new Map()): Promise<AwsEndpoints> {
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
          if (body.KeyId !== undefined && !kmsWouldDecrypt(w.keyId, String(body.KeyId), region)) {
            return reply(400, { __type: 'IncorrectKeyException', message: `${body.KeyId} cannot decrypt a data key of ${w.keyId} in ${region}` });
          }
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
