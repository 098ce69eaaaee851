/**
 * The admin role's side of the edge: keeps the CloudFront KeyValueStore (or, locally, the KVS file the local
 * edge reads) in step with what the edge must know — signing-secret versions (so it can verify key MACs),
 * the master key's digest, the origin-verification secret, and revocations as they happen.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type pg from 'pg';
import { createEdgePublisher, type EdgePublisher } from '../../../edge/publisher/index.js';
import type { ChangeEvent } from '../keys/events.js';
import type { SigningSecrets } from '../keys/signing-secrets.js';
import { ledgerErrors, readinessProbe, startRegionHealth, type RegionHealthReporter } from './region-health.js';

export interface EdgeSync {
  publisher: EdgePublisher;
  onKeyChange(e: ChangeEvent): void;
  /** This region's health row publisher, when SKYWAY_REGION_HEALTH_URL names the api service to probe. */
  health: RegionHealthReporter | undefined;
}

export async function startEdgeSync(opts: {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  secrets: SigningSecrets;
  masterKey: string;
  originVerifySecret: string | undefined;
  logger: Logger;
  /** This region's name (settings.region). */
  region?: string;
  /** This region's usage ledger (its error rate goes into the health row). */
  db?: pg.Pool;
}): Promise<EdgeSync> {
  const kvsArn = opts.env.SKYWAY_EDGE_KVS_ARN || opts.env.SKYWAY_KVS_ARN || undefined;
  const publisher = createEdgePublisher({ kvsArn, localFile: opts.env.SKYWAY_EDGE_KVS_FILE || join(opts.dataDir, 'edge-kvs.json') });
  for (const [version, secret] of opts.secrets.byVersion) await publisher.setSigningSecret(version, secret);
  await publisher.setMasterKey(opts.masterKey);
  if (opts.originVerifySecret) await publisher.setOriginVerifySecret(opts.originVerifySecret);
  await publisher.flush();
  opts.logger.info({ target: kvsArn ?? 'local KVS file', signingVersions: [...opts.secrets.byVersion.keys()] }, 'edge key-value store in sync');
  const healthUrl = opts.env.SKYWAY_REGION_HEALTH_URL || undefined;
  const region = opts.region ?? 'local';
  const health = healthUrl
    ? startRegionHealth({
        region,
        publisher,
        ready: readinessProbe(healthUrl, opts.originVerifySecret),
        ...(opts.db ? { errors: ledgerErrors(opts.db) } : {}),
        weight: Number(opts.env.SKYWAY_REGION_WEIGHT || 1),
        near: (opts.env.SKYWAY_REGION_NEAR || '').split(',').map((c) => c.trim().toUpperCase()).filter(Boolean),
        originId: opts.env.SKYWAY_REGION_ORIGIN_ID || region,
        ...(opts.env.SKYWAY_REGION_HEALTH_INTERVAL_MS ? { intervalMs: Number(opts.env.SKYWAY_REGION_HEALTH_INTERVAL_MS) } : {}),
        logger: opts.logger,
      })
    : undefined;
  return {
    publisher,
    health,
    onKeyChange: (e) => {
      if (e.type !== 'key') return;
      const expiresAt = e.expiresAt ? new Date(e.expiresAt) : null;
      if (e.action === 'revoked') {
        publisher.revoke(e.id, expiresAt).catch((err: unknown) => opts.logger.error({ err, keyId: e.id }, 'could not publish a revocation to the edge'));
      } else if ((e.action === 'created' || e.action === 'updated') && e.homeRegion !== undefined) {
        // Data residency at the edge: a pinned key goes to its home region only (no entry when unpinned).
        publisher.setHomeRegion(e.id, e.homeRegion, expiresAt).catch((err: unknown) => opts.logger.error({ err, keyId: e.id }, 'could not publish a home region to the edge'));
      }
    },
  };
}
