/**
 * Builds the API gateway from the environment: configuration, model catalog, authentication, pools.
 * Separate from main.ts (the process: signals, exit codes) so tests and the local stack can embed it.
 */
import { MasterKeyAuthenticator, resolveMasterKey, type MasterKeySource } from './auth/master-key.js';
import { loadConfigFile, loadSecrets, resolveConfig } from './config/load.js';
import { readSettings } from './config/settings.js';
import { startApiServer, type ApiServer } from './http/server.js';
import { loadNativeUws } from './http/uws.js';
import { Inflight } from './lifecycle/inflight.js';
import { createLogger } from './logging/logger.js';
import { ModelCatalog } from './pipeline/catalog.js';
import type { Gateway } from './pipeline/context.js';
import { nativeProviderNames } from './providers/registry.js';
import { Heartbeats } from './stream/heartbeats.js';
import { UpstreamPools } from './upstream/pools.js';

export interface RunningGateway {
  gateway: Gateway;
  server: ApiServer;
  masterKey: MasterKeySource;
  /** Stop accepting, wait for requests in flight (up to the drain timeout), release resources. */
  shutdown(): Promise<{ drained: boolean }>;
}

export async function startGateway(env: NodeJS.ProcessEnv = process.env): Promise<RunningGateway> {
  loadNativeUws(); // refuse to start on the JS fallback before doing anything else
  const { raw, source } = loadConfigFile(env.SKYWAY_CONFIG);
  const settings = readSettings(env, raw.server);
  const { logger, flush } = createLogger(settings.logLevel, settings.role);
  const table = resolveConfig(raw, source, {
    env,
    secrets: loadSecrets(env.SKYWAY_SECRETS_FILE),
    nativeProviders: nativeProviderNames(),
    defaultTimeoutMs: settings.upstreamTimeoutMs,
  });
  const masterKey = resolveMasterKey(env, settings.dataDir);
  const gateway: Gateway = {
    settings,
    catalog: new ModelCatalog(table),
    auth: new MasterKeyAuthenticator(masterKey.key),
    pools: new UpstreamPools(),
    logger,
    inflight: new Inflight(),
    heartbeats: new Heartbeats(settings.heartbeatMs),
    checks: [],
    draining: false,
  };
  const server = await startApiServer(gateway);
  logger.info(
    { host: settings.host, port: server.port, models: gateway.catalog.names(), config: source, dataDir: settings.dataDir },
    'skyway api listening',
  );
  let shuttingDown: Promise<{ drained: boolean }> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      gateway.draining = true;
      server.stopListening();
      logger.info({ inflight: gateway.inflight.count, drainTimeoutMs: settings.drainTimeoutMs }, 'draining');
      const drained = await gateway.inflight.idle(settings.drainTimeoutMs);
      logger.info({ drained, inflight: gateway.inflight.count }, 'drain finished');
      gateway.heartbeats.close();
      await gateway.pools.close();
      await gateway.auth.close?.();
      flush();
      return { drained };
    })());
  return { gateway, server, masterKey, shutdown };
}
