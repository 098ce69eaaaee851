/**
 * The environment of one rehearsal task: the task definition's `Environment` and `Secrets` resolved (secrets by
 * their references through the Secrets Manager stand-in, as ECS does at task start), then the documented
 * mappings of mapping.ts applied — and nothing else.
 */
import { resolveValue, type IntrinsicContext } from './intrinsics.js';
import type { ConfigClusterEndpoints } from './config-store.js';
import { clusterHost, databaseHost, redisHost } from './region-context.js';
import type { TaskSpec } from './template-model.js';

export interface LocalEndpoints {
  /** Replication group logical id → local redis-server port. */
  redisPorts: Map<string, number>;
  /** RDS instance logical id → { port of the partition proxy, private database name }. */
  databases: Map<string, { port: number; name: string }>;
  /** Aurora cluster logical id → the config store stand-in's endpoints (multi-region environments). */
  clusters?: Map<string, ConfigClusterEndpoints>;
  kvsFile: string;
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  awsEndpoint: string;
  region: string;
  /** The region's ALB stand-in (it forwards to the api tasks), for the admin role's health probe. */
  albUrl?: string;
}

/**
 * Rewrite the placeholders of AWS endpoints in a URL to the local stores (rows 3–5 of the mapping and the config
 * store's rows). `forwardWrites`: the URL is a secondary's write-forwarding endpoint, which reaches the primary.
 */
export function localizeUrl(value: string, local: LocalEndpoints, forwardWrites = false): string {
  let out = value.replace(/rediss:\/\/([^@]*)@rg-([A-Za-z0-9]+)\.rehearsal:\d+/g, (_m, auth: string, id: string) => {
    const port = local.redisPorts.get(id);
    if (!port) throw new Error(`no local redis-server for ${id}`);
    return `redis://${auth}@127.0.0.1:${port}`;
  });
  out = out.replace(/(postgres(?:ql)?:\/\/[^@]*@)db-([A-Za-z0-9]+)\.rehearsal:\d+\/[^?\s]*(\?[^\s]*)?/g, (_m, head: string, id: string, query: string | undefined) => {
    const db = local.databases.get(id);
    if (!db) throw new Error(`no local database for ${id}`);
    const params = new URLSearchParams((query ?? '').slice(1));
    params.delete('sslmode');
    const q = params.toString();
    return `${head}127.0.0.1:${db.port}/${db.name}${q ? `?${q}` : ''}`;
  });
  out = out.replace(/(postgres(?:ql)?:\/\/[^@]*@)dbc-([A-Za-z0-9]+)-(writer|reader)\.rehearsal:\d+\/[^?\s]*(\?[^\s]*)?/g, (_m, head: string, id: string, endpoint: string, query: string | undefined) => {
    const cluster = local.clusters?.get(id);
    if (!cluster) throw new Error(`no config store stand-in for cluster ${id}`);
    const params = new URLSearchParams((query ?? '').slice(1));
    params.delete('sslmode');
    const q = params.toString();
    const port = forwardWrites && endpoint === 'reader' && cluster.forwardingPort !== undefined ? cluster.forwardingPort : cluster.port;
    return `${head}127.0.0.1:${port}/${cluster.database}${q ? `?${q}` : ''}`;
  });
  return out;
}

export interface TaskPorts {
  port: number;
  adminPort: number;
  metricsPort: number;
}

/** The task's environment: exactly the task definition's variables, resolved and mapped. */
export function taskEnvironment(spec: TaskSpec, ctx: IntrinsicContext, local: LocalEndpoints, ports: TaskPorts): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.environment)) env[name] = localizeUrl(resolveValue(value, ctx), local);
  // ECS hands over a secret by its ARN (with `:jsonKey::` for one field of a JSON secret).
  // SKYWAY_LEDGER_DATABASE_URL of a secondary region names its reader endpoint, whose instances forward writes
  // to the primary (Aurora write forwarding): here it reaches the primary server (mapping.ts).
  for (const [name, ref] of Object.entries(spec.secrets)) env[name] = localizeUrl(ctx.secret(resolveValue(ref, ctx), undefined), local, name === 'SKYWAY_LEDGER_DATABASE_URL');
  // Mapping rows: ports and listen address, KVS, S3, KMS/Secrets Manager, region, ClickHouse.
  env.PORT = String(ports.port);
  env.ADMIN_PORT = String(ports.adminPort);
  env.SKYWAY_METRICS_PORT = String(ports.metricsPort);
  env.HOST = '127.0.0.1';
  if (env.SKYWAY_KVS_ARN !== undefined) {
    delete env.SKYWAY_KVS_ARN;
    env.SKYWAY_EDGE_KVS_FILE = local.kvsFile;
  }
  if (env.SKYWAY_S3_BUCKET !== undefined) env.S3_ENDPOINT = local.s3.endpoint;
  if (env.SKYWAY_REGION_HEALTH_URL !== undefined) {
    if (local.albUrl) env.SKYWAY_REGION_HEALTH_URL = local.albUrl;
    else delete env.SKYWAY_REGION_HEALTH_URL;
  }
  env.AWS_ACCESS_KEY_ID = local.s3.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = local.s3.secretAccessKey;
  env.AWS_REGION = local.region;
  env.AWS_ENDPOINT_URL_KMS = local.awsEndpoint;
  env.AWS_ENDPOINT_URL_SECRETS_MANAGER = local.awsEndpoint;
  if (env.CLICKHOUSE_URL?.includes('CHANGE-ME')) env.CLICKHOUSE_URL = '';
  env.SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS = '127.0.0.1';
  return env;
}

/** Placeholder hosts, exported for tests. */
export const placeholders = { redisHost, databaseHost, clusterHost };
