/**
 * The stores a role needs, opened once at start, and the change bus (Redis pub/sub when REDIS_URL is set, else
 * in-process), and the key-signing secrets.
 *
 * Two Postgres stores (issue 14):
 * - the **config store** (`CONFIG_DATABASE_URL`, unset → `DATABASE_URL`): keys, teams, users, deployments, audit
 *   log, config changes. Global: in AWS an Aurora global database, writer in the primary region, a read-only
 *   replica in every other region (this variable is the endpoint local to the region).
 * - the **regional store** (`DATABASE_URL`): usage events, spend, stored responses: data that stays in the region.
 * With one database (single region, dev, `npm start`) both are the same pool and everything is as before.
 *
 * Only the `api` role migrates: the regional store in every region, the config store only where it is writable;
 * on a replica the schema arrives by replication, and a starting task waits for it.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { ConfigStoreProbe, detectConfigStoreRole, forcedConfigStoreRole } from '../db/config-store.js';
import { migrate, pendingMigrations } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { FeedChangeBus } from '../keys/change-feed/bus.js';
import { changeBus, type ChangeBus } from '../keys/events.js';
import { loadSigningSecrets, type SigningSecrets } from '../keys/signing-secrets.js';
import type { HealthCheck } from '../pipeline/context.js';

export interface Stores {
  /** The regional store (DATABASE_URL): usage events, spend, stored responses. */
  db: pg.Pool | undefined;
  /** The config store (CONFIG_DATABASE_URL, else the same pool as `db`): keys, teams, users, deployments, audit. */
  config: pg.Pool | undefined;
  /** Whether the config store is a database of its own (multi-region). */
  configSeparate: boolean;
  /** Is the config store writable here (admin writes are refused on a replica)? */
  configRole: ConfigStoreProbe | undefined;
  bus: ChangeBus;
  secrets: SigningSecrets | undefined;
  checks: HealthCheck[];
  close(): Promise<void>;
}

/** Poll interval of the cross-region change feed: SKYWAY_CONFIG_CHANGES_POLL_MS, default 250 ms with a separate config store, else off. */
export function changeFeedIntervalMs(env: NodeJS.ProcessEnv, separate: boolean): number {
  const raw = env.SKYWAY_CONFIG_CHANGES_POLL_MS;
  if (raw === undefined || raw === '') return separate ? 250 : 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`SKYWAY_CONFIG_CHANGES_POLL_MS must be a number of ms ≥ 0 (0 = off), not '${raw}'`);
  return n;
}

/** Wait until a replica has every config-store migration this build knows (they come from the primary). */
async function waitForReplicatedSchema(config: pg.Pool, waitMs: number, logger: Logger): Promise<void> {
  const until = Date.now() + waitMs;
  let warned = false;
  for (;;) {
    const pending = await pendingMigrations(config, 'config');
    if (!pending.length) return;
    if (Date.now() > until) {
      throw new Error(`the config store is a read-only replica and lacks migrations ${pending.join(', ')} after ${waitMs} ms: deploy the primary region first (it migrates the config store)`);
    }
    if (!warned) logger.warn({ pending }, 'config store is a replica whose schema is behind this build; waiting for the primary region to migrate it');
    warned = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function openStores(env: NodeJS.ProcessEnv, dataDir: string, logger: Logger, opts: { migrate: boolean; bus?: ChangeBus }): Promise<Stores> {
  const databaseUrl = env.DATABASE_URL || undefined;
  const configUrl = env.CONFIG_DATABASE_URL || databaseUrl;
  if (configUrl && !databaseUrl) throw new Error('CONFIG_DATABASE_URL needs DATABASE_URL too (the regional store: usage, spend, stored responses)');
  const separate = !!configUrl && configUrl !== databaseUrl;
  const forced = forcedConfigStoreRole(env.SKYWAY_CONFIG_STORE_ROLE);
  const checks: HealthCheck[] = [];
  let db: pg.Pool | undefined;
  let config: pg.Pool | undefined;
  let configRole: ConfigStoreProbe | undefined;
  let secrets: SigningSecrets | undefined;
  if (databaseUrl && configUrl) {
    db = createPool(databaseUrl);
    config = separate ? createPool(configUrl, { applicationName: 'skyway-config' }) : db;
    try {
      if (opts.migrate && !separate) {
        logger.info({ migrations: await migrate(databaseUrl) }, 'database schema up to date');
      } else if (opts.migrate) {
        const role = forced ?? (await detectConfigStoreRole(config, 5000));
        if (role === 'unreachable') throw new Error('the config store (CONFIG_DATABASE_URL) is unreachable');
        if (role === 'primary') logger.info({ migrations: await migrate(configUrl, { scope: 'config' }) }, 'config store schema up to date');
        else await waitForReplicatedSchema(config, Number(env.SKYWAY_CONFIG_SCHEMA_WAIT_MS || 120_000), logger);
        logger.info({ migrations: await migrate(databaseUrl, { scope: 'regional' }), configStore: role }, 'regional store schema up to date');
      }
    } catch (err) {
      await db.end().catch(() => undefined);
      if (config !== db) await config.end().catch(() => undefined);
      throw err;
    }
    const regional = db;
    const cfg = config;
    checks.push({ name: 'postgres', check: async () => void (await regional.query('select 1')) });
    if (separate) checks.push({ name: 'config-store', check: async () => void (await cfg.query('select 1')) });
    configRole = new ConfigStoreProbe(config, { forced });
    secrets = loadSigningSecrets(env, dataDir);
  }
  let bus = opts.bus ?? changeBus(env.REDIS_URL || undefined);
  const pollMs = changeFeedIntervalMs(env, separate);
  // An extra event loop (opts.bus) hears changes from its owner thread, which runs the feed.
  if (config && !opts.bus && pollMs > 0) {
    const probe = configRole!;
    const feed = new FeedChangeBus(bus, {
      db: config,
      intervalMs: pollMs,
      prune: {
        retentionMs: Number(env.SKYWAY_CONFIG_CHANGES_RETENTION_HOURS || 24) * 3_600_000,
        everyMs: 60_000,
        writable: async () => (await probe.role()) === 'primary',
      },
      onError: (err) => logger.error({ err: (err as Error).message }, 'config change feed unreachable: key caches fall back to a short TTL until it is back'),
      onRecovered: () => logger.info('config change feed reachable again: key caches start over'),
    });
    await feed.start();
    bus = feed;
  }
  const openedBus = bus;
  return {
    db,
    config,
    configSeparate: separate,
    configRole,
    bus,
    secrets,
    checks,
    close: async () => {
      await openedBus.close().catch(() => undefined);
      await db?.end().catch(() => undefined);
      if (config && config !== db) await config.end().catch(() => undefined);
    },
  };
}
