/**
 * The admin API on its own listener (ADMIN_PORT, default 4001), never on the API port. node:http: admin
 * traffic is light, and uWebSockets.js stays confined to the API server module.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { z } from 'zod';
import type { ConfigStoreProbe } from '../db/config-store.js';
import { ConfigStoreReadOnly, GatewayError, InternalError, PrimaryRegionUnavailable, InvalidApiKey, InvalidJson, InvalidRequest, MethodNotAllowed, PayloadTooLarge, PermissionDenied, RouteNotFound } from '../errors/catalogue.js';
import { credentialCipherFromEnv } from '../keys/aws-secrets.js';
import type { EnvelopeCipher } from '../keys/envelope.js';
import { changeBus, type ChangeBus, type ChangeEvent } from '../keys/events.js';
import { KeyService } from '../keys/service.js';
import { loadSigningSecrets, type SigningSecrets } from '../keys/signing-secrets.js';
import { apiBasePolicyFromEnv, type ApiBasePolicy } from './api-base-policy.js';
import { createAdminAuthenticator, type AdminIdentity, type OidcOptions } from './auth.js';
import { DeploymentService } from './deployments.js';
import { TeamService, UserService } from './directory.js';
import { buildOpenApi } from './openapi.js';
import { compilePath, type Route } from './route.js';
import { adminRoutes } from './routes.js';
import { consoleRoutes } from './console/routes.js';
import { ConsoleSessions, CSRF_HEADER, sessionCookie } from './console/session.js';
import { consoleStatic } from './console/static.js';
import { memberRoutes } from './console/member-routes.js';
import { oidcLoginRoutes } from './console/oidc-login.js';
import { requestLogFromEnv, type RequestLogSource } from './console/request-log-source.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  /** The config store (keys, teams, users, deployments, audit). */
  db: pg.Pool;
  /** The regional store (spend reports); default `db` (one database for both). */
  regionalDb?: pg.Pool | undefined;
  /** Where the config store is a read-only replica (or unreachable), write routes answer 503 before any work. */
  configStore?: { probe: ConfigStoreProbe; region: string } | undefined;
  /** Change events go over Redis pub/sub to every api replica; without it, in-process only (embedded mode). */
  redisUrl?: string | undefined;
  /** SKYWAY_MASTER_KEY. */
  masterKey: string;
  oidc?: OidcOptions | undefined;
  /** After every committed key change (hook for the edge KVS publisher: revocations, rotations). */
  onKeyChange?: ((e: ChangeEvent) => void) | undefined;
  /** After every committed deployment change in this process (api replicas use watchDeployments instead). */
  onDeploymentChange?: ((e: ChangeEvent) => void) | undefined;
  /** Default: SKYWAY_KEY_SIGNING_SECRETS, else `<dataDir>/key-signing-secret`. */
  signingSecrets?: SigningSecrets | undefined;
  dataDir?: string | undefined;
  /** Default: from SKYWAY_ENCRYPTION_KEY (none = deployments take Secrets Manager references only). */
  cipher?: EnvelopeCipher | undefined;
  /** Which api_base URLs deployments may use. Default: from SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS and SKYWAY_LOCAL. */
  apiBasePolicy?: ApiBasePolicy | undefined;
  /** Waits between attempts to publish a key change (see KeyService). */
  publishRetryDelaysMs?: readonly number[] | undefined;
  /** Change channel name (tests isolate with it). */
  channel?: string | undefined;
  /** Called with unexpected errors (answered as 500). */
  onError?: ((err: unknown) => void) | undefined;
  version?: string;
  /** Console session cookies carry `Secure`. Default: unless SKYWAY_LOCAL=1 (plain http on loopback). */
  secureCookie?: boolean | undefined;
  /** The console's request log; default: ClickHouse from CLICKHOUSE_URL, else the NDJSON files under dataDir. */
  requestLog?: RequestLogSource | undefined;
  /** The built console; default dist/console. */
  consoleDir?: string | undefined;
}

export interface AdminServer {
  url: string;
  port: number;
  bus: ChangeBus;
  routes: readonly Route[];
  close(): Promise<void>;
}

const BODY_LIMIT = 1 << 20;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const data = JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'cache-control': 'no-store', ...headers });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new PayloadTooLarge(BODY_LIMIT);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidJson((err as Error).message);
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const param = issue.path.length ? issue.path.join('.') : null;
  throw new InvalidRequest(`Invalid ${where}${param ? ` at '${param}'` : ''}: ${issue.message}`, param);
}

/**
 * Start the admin listener.
 *
 * @example
 * const admin = await startAdminServer({ host: '0.0.0.0', port: Number(process.env.ADMIN_PORT ?? 4001), db,
 *   redisUrl: process.env.REDIS_URL, masterKey: process.env.SKYWAY_MASTER_KEY!, oidc: oidcFromEnv(),
 *   onKeyChange: (e) => kvsPublisher.onKeyChange(e) });
 */
export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const bus = changeBus(opts.redisUrl, { channel: opts.channel });
  const secrets = opts.signingSecrets ?? loadSigningSecrets(process.env, opts.dataDir);
  const cipher = opts.cipher ?? credentialCipherFromEnv();
  const regionalDb = opts.regionalDb ?? opts.db;
  const services = {
    db: opts.db,
    regionalDb,
    keys: new KeyService({ db: opts.db, bus, secrets, onKeyChange: opts.onKeyChange, publishRetryDelaysMs: opts.publishRetryDelaysMs }),
    teams: new TeamService(opts.db, bus),
    users: new UserService(opts.db, bus),
    deployments: new DeploymentService(opts.db, bus, cipher, opts.onDeploymentChange, opts.apiBasePolicy ?? apiBasePolicyFromEnv()),
  };
  const authenticate = createAdminAuthenticator({ masterKey: opts.masterKey, oidc: opts.oidc });
  const requestLog = opts.requestLog ?? requestLogFromEnv(process.env, opts.dataDir);
  const sessions = new ConsoleSessions({ masterKey: opts.masterKey, secureCookie: opts.secureCookie ?? process.env.SKYWAY_LOCAL !== '1' });
  const routes = [
    ...adminRoutes(services),
    ...consoleRoutes({ db: opts.db, regionalDb, requestLog, sessions, authenticate }),
    ...oidcLoginRoutes({ db: opts.db, oidc: opts.oidc, sessions }),
    ...memberRoutes({ db: opts.db, regionalDb, keys: services.keys, teams: services.teams }),
  ];
  const serveConsole = consoleStatic(opts.consoleDir);
  const matchers = routes.map((r) => ({ route: r, match: compilePath(r.path) }));
  const anonymous: AdminIdentity = { actor: { id: 'anonymous', kind: 'master' }, role: 'viewer' };
  /** Bearer credentials, else a console session cookie together with its CSRF header. */
  const identify = async (req: IncomingMessage, route: Route, cookie: string | undefined): Promise<AdminIdentity> => {
    if (route.public) return anonymous;
    if (req.headers.authorization || !cookie) return authenticate(req.headers.authorization);
    const claims = sessions.verify(cookie);
    if (!claims) throw new InvalidApiKey('The console session has expired or is invalid: sign in again.', 'invalid_session');
    const csrf = req.headers[CSRF_HEADER];
    if (!route.csrfExempt && !sessions.csrfMatches(claims, typeof csrf === 'string' ? csrf : undefined)) {
      throw new PermissionDenied(`A console session needs its CSRF token in the ${CSRF_HEADER} header.`, 'csrf_token_invalid');
    }
    return { actor: claims.actor, role: claims.role, teamId: claims.team_id, userId: claims.user_id };
  };
  let openapi: string | undefined;
  /** Issue 14: admin changes only where the config store is the writer; elsewhere a clear 503 before any work. */
  const assertConfigWritable = async (): Promise<void> => {
    if (!opts.configStore) return;
    const role = await opts.configStore.probe.role();
    if (role === 'replica') throw new ConfigStoreReadOnly(opts.configStore.region);
    if (role === 'unreachable') throw new PrimaryRegionUnavailable(opts.configStore.region);
  };
  /**
   * A write that failed after the check (the role was cached, the writer went away or a failover began): ask
   * again, and answer the same 503 as the check would have, not a 500.
   */
  const explainWriteFailure = async (err: unknown): Promise<never> => {
    if (err instanceof GatewayError || !opts.configStore) throw err;
    opts.configStore.probe.invalidate();
    if ((err as { code?: string }).code === '25006') throw new ConfigStoreReadOnly(opts.configStore.region);
    await assertConfigWritable();
    throw err;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    if (url.pathname === '/health/liveliness') return send(res, 200, { status: 'ok' });
    if (url.pathname === '/health/readiness') {
      await opts.db.query('select 1');
      return send(res, 200, { status: 'ok' });
    }
    if ((url.pathname === '/console' || url.pathname.startsWith('/console/')) && (method === 'GET' || method === 'HEAD')) return serveConsole(url.pathname, res);
    if (url.pathname === '/admin/openapi.json' && method === 'GET') {
      openapi ??= JSON.stringify(buildOpenApi(routes, { version: opts.version ?? '0.1.0' }));
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(openapi);
    }
    const candidates = matchers.map((m) => ({ route: m.route, params: m.match(url.pathname) })).filter((m) => m.params);
    if (!candidates.length) throw new RouteNotFound(method, url.pathname);
    const hit = candidates.find((c) => c.route.method === method);
    if (!hit) throw new MethodNotAllowed(method, url.pathname, candidates.map((c) => c.route.method));
    // Sign-in takes no credentials beforehand: insisting on JSON keeps cross-site HTML forms (login CSRF) out.
    if (hit.route.public && hit.route.body && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      throw new InvalidRequest('Send the body as application/json.', 'content-type');
    }
    const cookie = sessionCookie(req.headers.cookie);
    const identity = await identify(req, hit.route, cookie);
    // Members reach only the self-service routes, and only members reach those.
    if ((identity.role === 'member') !== !!hit.route.member && !hit.route.public && !hit.route.csrfExempt) {
      throw new PermissionDenied(identity.role === 'member' ? 'Members may only manage their own keys (/admin/me/…).' : 'These routes are for console members.', 'role_not_allowed');
    }
    if (hit.route.write && !hit.route.member && identity.role !== 'admin') throw new PermissionDenied('The viewer role is read-only; this needs the admin role.', 'admin_role_required');
    if (hit.route.write && !hit.route.public) await assertConfigWritable();
    const query = hit.route.query ? validate(hit.route.query, Object.fromEntries(url.searchParams), 'query') : undefined;
    const body = hit.route.body ? validate(hit.route.body, await readJson(req), 'body') : undefined;
    const ctx = { params: hit.params!, query, body, identity, sessionCookie: cookie, headers: req.headers };
    const result = hit.route.write && !hit.route.public ? await hit.route.handle(ctx).catch(explainWriteFailure) : await hit.route.handle(ctx);
    send(res, result.status ?? hit.route.status, result.body, result.headers);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!(err instanceof GatewayError)) opts.onError?.(err);
      const e = err instanceof GatewayError ? err : new InternalError();
      if (!res.headersSent) send(res, e.status, e.toBody(), e.headers);
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    bus,
    routes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.close();
      await requestLog.close();
    },
  };
}
