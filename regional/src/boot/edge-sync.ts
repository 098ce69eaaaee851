/**
 * The admin role's side of the edge: keeps the CloudFront KeyValueStore (or, locally, the KVS file the local
 * edge reads) in step with what the edge must know — signing-secret versions (so it can verify key MACs),
 * the master key's digest, the origin-verification secret, and revocations as they happen.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type pg from 'pg';
import { createEdgePublisher, type EdgePublisher } from '../../../edge/publisher/index.js';
import type { ChangeBus, ChangeEvent } from '../keys/events.js';
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
  /** This region's store: the usage ledger (error rate of the health row). */
  db?: pg.Pool;
  /** The config store (keys' home regions); default `db`. */
  configDb?: pg.Pool;
  /** Change events of every admin process (team pins reach the edge through them). */
  bus?: ChangeBus;
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
  const pins = (scope: 'key' | 'team', id: string) => {
    const configDb = opts.configDb ?? opts.db;
    if (!configDb) return;
    publishHomeRegions(publisher, configDb, scope, id).catch((err: unknown) => opts.logger.error({ err, [scope]: id }, 'could not publish home regions to the edge'));
  };
  // A team's pin applies to its keys: re-publish them when the team changes (heard from any admin process).
  opts.bus?.subscribe((e) => {
    if (e.type === 'team' && e.action === 'updated') pins('team', e.id);
  });
  return {
    publisher,
    health,
    onKeyChange: (e) => {
      if (e.type === 'key' && e.action === 'revoked') {
        const expiresAt = e.expiresAt ? new Date(e.expiresAt) : null;
        publisher.revoke(e.id, expiresAt).catch((err: unknown) => opts.logger.error({ err, keyId: e.id }, 'could not publish a revocation to the edge'));
      } else if (e.type === 'key' && (e.action === 'created' || e.action === 'updated')) {
        pins('key', e.id);
      }
    },
  };
}

/**
 * Data residency at the edge: the effective home region (the key's own, else its team's) of one key, or of every
 * live key of a team, as `k:<keyId>` entries. Unpinned keys get no entry (a removed pin deletes it).
 */
async function publishHomeRegions(publisher: EdgePublisher, db: pg.Pool, scope: 'key' | 'team', id: string): Promise<void> {
  const { rows } = await db.query<{ id: string; home: string | null; expires_at: Date | null }>(
    `select k.id, coalesce(k.home_region, t.home_region) as home, k.expires_at
     from virtual_keys k left join teams t on t.id = k.team_id
     where ${scope === 'key' ? 'k.id = $1' : 'k.team_id = $1'} and k.revoked_at is null`,
    [id],
  );
  await Promise.all(rows.map((r) => publisher.setHomeRegion(r.id, r.home, r.expires_at)));
}
