/**
 * The admin role's side of the edge: keeps the CloudFront KeyValueStore (or, locally, the KVS file the local
 * edge reads) in step with what the edge must know — signing-secret versions (so it can verify key MACs),
 * the master key's digest, the origin-verification secret, and revocations as they happen.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createEdgePublisher, type EdgePublisher } from '../../../edge/publisher/index.js';
import type { ChangeEvent } from '../keys/events.js';
import type { SigningSecrets } from '../keys/signing-secrets.js';

export interface EdgeSync {
  publisher: EdgePublisher;
  onKeyChange(e: ChangeEvent): void;
}

export async function startEdgeSync(opts: {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  secrets: SigningSecrets;
  masterKey: string;
  originVerifySecret: string | undefined;
  logger: Logger;
}): Promise<EdgeSync> {
  const kvsArn = opts.env.SKYWAY_EDGE_KVS_ARN || opts.env.SKYWAY_KVS_ARN || undefined;
  const publisher = createEdgePublisher({ kvsArn, localFile: opts.env.SKYWAY_EDGE_KVS_FILE || join(opts.dataDir, 'edge-kvs.json') });
  for (const [version, secret] of opts.secrets.byVersion) await publisher.setSigningSecret(version, secret);
  await publisher.setMasterKey(opts.masterKey);
  if (opts.originVerifySecret) await publisher.setOriginVerifySecret(opts.originVerifySecret);
  await publisher.flush();
  opts.logger.info({ target: kvsArn ?? 'local KVS file', signingVersions: [...opts.secrets.byVersion.keys()] }, 'edge key-value store in sync');
  return {
    publisher,
    onKeyChange: (e) => {
      if (e.type !== 'key' || e.action !== 'revoked') return;
      const expiresAt = e.expiresAt ? new Date(e.expiresAt) : null;
      publisher.revoke(e.id, expiresAt).catch((err: unknown) => opts.logger.error({ err, keyId: e.id }, 'could not publish a revocation to the edge'));
    },
  };
}
