/**
 * Builds a Skyway process from the environment: the `api` role (inference traffic on uWebSockets.js), the
 * `admin` role (management API on its own port), or both (`SKYWAY_ROLE=all`, as `npm start` runs it).
 * Separate from main.ts (signals, exit codes) so that tests and the local stack can embed it.
 */
import { createAdmission, admissionConfigFromEnv, openLeaseLedger, type Admission } from './admission/index.js';
import type { AdminServer } from './admin/server.js';
import { watchDeployments } from './admin/deployments.js';
import { MasterKeyAuthenticator, resolveMasterKey, type MasterKeySource } from './auth/master-key.js';
import type { Authenticator } from './auth/principal.js';
import { VirtualKeyAuthenticator } from './auth/virtual-keys.js';
import { openStores, type Stores } from './boot/stores.js';
import { loadConfigFile, loadSecrets, mergeManaged, resolveConfig, type ModelTable } from './config/load.js';
import { readSettings, type Settings } from './config/settings.js';
import { startApiServer, type ApiServer } from './http/server.js';
import { loadNativeUws } from './http/uws.js';
import { credentialCipherFromEnv, secretsManagerResolver } from './keys/aws-secrets.js';
import type { ChangeEvent } from './keys/events.js';
import { Inflight } from './lifecycle/inflight.js';
import { createLogger, type Logger } from './logging/logger.js';
import { ModelCatalog, cooldownPolicy } from './routing/catalog.js';
import { RedisHealthStore } from './routing/index.js';
import { MemoryResponseCache, RedisResponseCache } from './cache/index.js';
import { RedisAdmission } from './admission/redis.js';
import { ErrorBoundary, installLastNet } from './pipeline/error-boundary.js';
import type { Redis } from 'ioredis';
import type { connectRedis as ConnectRedis } from './admission/redis-client.js';
import type { Gateway } from './pipeline/context.js';
import { PriceBook, priceFromEntry, type ModelPrice } from './pricing/index.js';
import { responseStoreFor } from './ingress/responses/store.js';
import { nativeProviderNames, validateDeployment } from './providers/registry.js';
import { Heartbeats } from './stream/heartbeats.js';
import { closeTokenCounter } from './tokens/index.js';
import { EmfPublisher, emfEnabled } from './telemetry/emf.js';
import { createMetrics, type GatewayMetrics } from './telemetry/metrics.js';
import { startOpsServer } from './telemetry/ops-server.js';
import { UpstreamPools } from './upstream/pools.js';
import { createUsageRecorderFromEnv } from './usage/from-env.js';
import type { UsageRecorder } from './usage/recorder.js';
import type { LoopParts } from './threads/parts.js';

export interface RunningGateway {
  settings: Settings;
  logger: Logger;
  gateway: Gateway | undefined;
  server: ApiServer | undefined;
  admin: AdminServer | undefined;
  masterKey: MasterKeySource;
  stores: Stores;
  /** Stop accepting, wait for requests in flight (up to the drain timeout), release resources. */
  shutdown(): Promise<{ drained: boolean }>;
}

export interface StartOptions {
  /** Hook for key changes made through this process's admin API (the edge KVS publisher). */
  onKeyChange?: (e: ChangeEvent) => void;
  /** Set in an extra event loop (threads/worker.ts): the process-wide parts it must share, not build. */
  loop?: LoopParts;
}

type RedisConnectOptions = Parameters<typeof ConnectRedis>[0];

function configPrices(table: ModelTable): Record<string, ModelPrice> {
  const out: Record<string, ModelPrice> = {};
  for (const [model, p] of Object.entries(table.pricing)) out[model] = priceFromEntry(p)!;
  return out;
}

/** The worst case among a model's deployments, so admission never reserves less than the request may cost. */
function estimatePrice(prices: PriceBook, catalog: ModelCatalog, model: string): ModelPrice | undefined {
  let worst: ModelPrice | undefined;
  for (const d of catalog.get(model)?.deployments ?? []) {
    const own = d.options.pricing as Partial<ModelPrice> | undefined;
    const p = own && typeof own.input === 'number' && typeof own.output === 'number' ? (own as ModelPrice) : (prices.priceOf(model) ?? prices.priceOf(d.upstreamModel));
    if (p && (!worst || p.input + p.output > worst.input + worst.output)) worst = p;
  }
  return worst;
}

/** The limit store's readiness: while Redis is away the limits follow their failure policy (degraded, not down). */
async function limitsCheck(admission: Admission): Promise<void> {
  if (admission instanceof RedisAdmission && admission.degraded) throw new Error('Redis unreachable; limits follow the failure policy');
  await admission.check!();
}

function authenticatorFor(stores: Stores, masterKey: string): Authenticator {
  if (!stores.config || !stores.secrets) return new MasterKeyAuthenticator(masterKey);
  // Keys are read from the config store's local endpoint (the region's replica in a secondary region).
  return new VirtualKeyAuthenticator({ db: stores.config, bus: stores.bus, secrets: stores.secrets, masterKey });
}

/** How long a starting api waits for the admin-managed deployments before it listens anyway. */
const DEPLOYMENTS_FIRST_LOAD_MS = 10_000;

interface Api {
  gateway: Gateway;
  admission: Admission;
  usage: Pick<UsageRecorder, 'record' | 'close'>;
  stopWatching: () => void;
}

async function buildApi(env: NodeJS.ProcessEnv, settings: Settings, logger: Logger, stores: Stores, table: ModelTable, masterKey: string, metrics: GatewayMetrics, boundary: ErrorBoundary, loop?: LoopParts): Promise<Api> {
  const admissionConfig = admissionConfigFromEnv(env);
  // Budgets as leases of the global spend ledger when it is not this region's database (#14).
  const leaseLedger = loop?.admission ? undefined : openLeaseLedger(admissionConfig, env, { config: stores.config, regional: stores.db });
  const admission = loop?.admission ?? await createAdmission(admissionConfig, {
    logger,
    ledger: stores.db, // budgets rebuilt from the spend ledger when Redis loses them
    leases: leaseLedger && { ledger: leaseLedger, region: settings.region },
    metrics: {
      rejected: (kind, scope) => metrics.limitRejected(kind, scope),
      fallback: (kind, policy) => metrics.limitsFallback(kind, policy),
      redisError: (op) => metrics.limitsRedisError(op),
      degraded: (on) => metrics.limitsDegraded(on),
    },
  });
  const emf = emfEnabled(env) ? new EmfPublisher({ region: settings.region }) : undefined;
  const usage = loop?.usage ?? createUsageRecorderFromEnv({
    env: { ...env, SKYWAY_DATA_DIR: settings.dataDir },
    pool: stores.db,
    metrics,
    onEvent: emf ? [(e) => emf.observe(e)] : [],
    logger,
  });
  // Cooldowns are shared by every replica through Redis when it is configured. The Redis client module loads
  // only then: the embedded api has no Redis and never needs ioredis.
  const connectRedis = async (opts: RedisConnectOptions) => (await import('./admission/redis-client.js')).connectRedis(opts);
  let healthRedis: Redis | undefined;
  if (env.REDIS_URL) {
    healthRedis = (await connectRedis({
      url: env.REDIS_URL,
      cluster: env.SKYWAY_REDIS_CLUSTER === '1',
      onUnreachable: (err) => logger.error({ err: (err as Error).message }, 'Redis unreachable at start: cooldowns are per replica and the response cache misses until it connects'),
    })) as Redis;
  }
  // The response cache evicts; limit and budget state must not (noeviction): in AWS it has its own Redis.
  const cacheUrl = env.SKYWAY_CACHE_REDIS_URL || env.REDIS_URL;
  const cacheRedis =
    cacheUrl && cacheUrl !== env.REDIS_URL
      ? ((await connectRedis({ url: cacheUrl, cluster: false, onUnreachable: (err) => logger.error({ err: (err as Error).message }, 'cache Redis unreachable at start: the response cache misses until it connects') })) as Redis)
      : healthRedis;
  const cache = cacheRedis ? new RedisResponseCache({ client: cacheRedis }) : new MemoryResponseCache();
  const catalog = new ModelCatalog(table, healthRedis ? new RedisHealthStore(healthRedis, cooldownPolicy(table)) : undefined);
  const prices = new PriceBook(configPrices(table));
  let stopWatching = () => undefined as void;
  if (stores.config) {
    // A task must not take traffic before it knows the deployments added through the admin API, or its first
    // requests for those models get 404 (seen in the rehearsal's rolling deploy): wait for the first load.
    let firstLoad: () => void = () => undefined;
    const loaded = new Promise<void>((resolve) => (firstLoad = resolve));
    stopWatching = watchDeployments(stores.config, stores.bus, {
      cipher: credentialCipherFromEnv(env),
      resolveSecretRef: secretsManagerResolver(env),
      onReload: (managed) => {
        catalog.replace(mergeManaged(table, managed));
        logger.info({ managed: managed.length, models: catalog.names() }, 'deployments reloaded');
        firstLoad();
      },
      onError: (err) => logger.error({ err }, 'could not reload deployments; keeping the previous set'),
    });
    const waited = await Promise.race([loaded.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DEPLOYMENTS_FIRST_LOAD_MS).unref())]);
    if (!waited) logger.warn({ waitedMs: DEPLOYMENTS_FIRST_LOAD_MS }, 'deployments not loaded yet; serving the configured models until they are');
  }
  const gateway: Gateway = {
    settings,
    catalog,
    auth: authenticatorFor(stores, masterKey),
    admission,
    prices,
    estimatePrice: (model) => estimatePrice(prices, catalog, model),
    usage,
    metrics,
    cache,
    responses: responseStoreFor(stores.db, env),
    pools: new UpstreamPools(),
    logger,
    inflight: new Inflight(),
    heartbeats: new Heartbeats(settings.heartbeatMs),
    checks: [...stores.checks, ...(admission.check ? [{ name: 'limits', check: () => limitsCheck(admission), degradable: true }] : [])],
    boundary,
    draining: false,
  };
  return { gateway, admission, usage, stopWatching: () => (stopWatching(), healthRedis?.disconnect(), cacheRedis !== healthRedis && cacheRedis?.disconnect()) };
}

export async function startGateway(env: NodeJS.ProcessEnv = process.env, opts: StartOptions = {}): Promise<RunningGateway> {
  const { raw, source } = loadConfigFile(env.SKYWAY_CONFIG);
  const settings = readSettings(env, raw.server);
  if (settings.roles.has('api')) loadNativeUws(); // refuse to start on the JS fallback before doing anything else
  const { logger, flush } = createLogger(settings.logLevel, [...settings.roles].join('+'));
  const table = resolveConfig(raw, source, {
    env,
    secrets: loadSecrets(env.SKYWAY_SECRETS_FILE),
    nativeProviders: nativeProviderNames(),
    validateDeployment,
    defaultTimeoutMs: settings.upstreamTimeoutMs,
  });
  const masterKey = resolveMasterKey(env, settings.dataDir);
  const stores = await openStores(env, settings.dataDir, logger, { migrate: settings.roles.has('api') && !opts.loop, bus: opts.loop?.bus });

  const metrics = opts.loop?.metrics ?? createMetrics({ defaultLabels: { region: settings.region } });
  const boundary = new ErrorBoundary(logger, metrics);
  installLastNet(boundary);
  const ops = opts.loop ? { close: async () => undefined } : await startOpsServer(settings.host, settings.metricsPort, metrics);
  // The admin listener first: once the api answers its readiness check, the whole process is up.
  let admin: AdminServer | undefined;
  if (settings.roles.has('admin')) {
    if (!stores.db || !stores.config || !stores.secrets) throw new Error('the admin role needs DATABASE_URL (keys, teams and spend live in Postgres)');
    // Loaded only in this role: the KVS client and the admin API are not part of the api role's image of memory.
    const [{ startAdminServer }, { oidcFromEnv }, { startEdgeSync }] = await Promise.all([import('./admin/server.js'), import('./admin/auth.js'), import('./boot/edge-sync.js')]);
    const edge = await startEdgeSync({ env, dataDir: settings.dataDir, secrets: stores.secrets, masterKey: masterKey.key, originVerifySecret: settings.originVerifySecret, logger, region: settings.region, db: stores.db, configDb: stores.config, bus: stores.bus });
    admin = await startAdminServer({
      host: settings.host,
      port: settings.adminPort,
      db: stores.config,
      regionalDb: stores.db,
      // One database for everything (single region, dev): writes behave as before, no role probe.
      configStore: stores.configSeparate || env.SKYWAY_CONFIG_STORE_ROLE ? { probe: stores.configRole!, region: settings.region } : undefined,
      redisUrl: env.REDIS_URL || undefined,
      masterKey: masterKey.key,
      oidc: oidcFromEnv(env),
      signingSecrets: stores.secrets,
      dataDir: settings.dataDir,
      onKeyChange: (e) => {
        edge.onKeyChange(e);
        opts.onKeyChange?.(e);
      },
      onError: (err) => logger.error({ err }, 'admin request failed'),
    });
    logger.info({ url: admin.url }, 'skyway admin listening');
  }

  let api: Api | undefined;
  let server: ApiServer | undefined;
  if (settings.roles.has('api')) {
    api = await buildApi(env, settings, logger, stores, table, masterKey.key, metrics, boundary, opts.loop);
    server = await startApiServer(api.gateway);
    logger.info({ host: settings.host, port: server.port, models: api.gateway.catalog.names(), config: source, keys: stores.db ? 'virtual keys (Postgres)' : 'master key only' }, 'skyway api listening');
  }
  let shuttingDown: Promise<{ drained: boolean }> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      let drained = true;
      if (api && server) {
        const gw = api.gateway;
        gw.draining = true;
        server.stopListening();
        logger.info({ inflight: gw.inflight.count, drainTimeoutMs: settings.drainTimeoutMs }, 'draining');
        drained = await gw.inflight.idle(settings.drainTimeoutMs);
        logger.info({ drained, inflight: gw.inflight.count }, 'drain finished');
        api.stopWatching();
        gw.heartbeats.close();
        await gw.pools.close();
        await api.admission.close();
        await closeTokenCounter();
        // Deliver what is queued, or spool it to disk for the next start to replay.
        await api.usage.close(Math.max(1000, Math.min(8000, settings.drainTimeoutMs)));
      }
      await ops.close();
      await admin?.close();
      await stores.close();
      flush();
      return { drained };
    })());
  return { settings, logger, gateway: api?.gateway, server, admin, masterKey, stores, shutdown };
}
