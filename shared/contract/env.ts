/**
 * Every environment variable a Skyway container (or the operator CLI shipped in the image) reads, declared once.
 * regional/src reads them by these names (settings.ts types its readers with `EnvName`), infra builds the task
 * definitions through `taskEnvironment`/`taskSecrets` (infra/lib/constructs/contract-env.ts), and
 * shared/contract/env.test.ts fails when the gateway reads a variable that is not listed here or when a
 * synthesized task definition lacks one that is required in AWS.
 *
 * `aws`:
 *   - `required`: every task of the listed roles must get it from its task definition;
 *   - `optional`: a task definition may set it (operators add it through `environment`);
 *   - `platform`: set by ECS/Fargate itself, never by the task definition;
 *   - `local`: local stack and tests only (endpoints of stand-ins); a task definition must not set it.
 * `secret`: the task definition hands it over as a Secrets Manager reference, never as a plain value.
 */
export type ContainerRole = 'api' | 'admin' | 'cli';
export type AwsPresence = 'required' | 'optional' | 'platform' | 'local';

export interface EnvVarSpec {
  /** Default when unset (as the reader applies it); undefined when unset means "off". */
  readonly default?: string;
  /** Roles whose process reads it. */
  readonly roles: readonly ContainerRole[];
  readonly aws: AwsPresence;
  readonly secret?: boolean;
  readonly description: string;
}

const both: readonly ContainerRole[] = ['api', 'admin'];
const api: readonly ContainerRole[] = ['api'];
const admin: readonly ContainerRole[] = ['admin'];

export const ENV = {
  // Process and listeners
  SKYWAY_ROLE: { default: 'api', roles: both, aws: 'required', description: 'api, admin, or all (the local stack)' },
  HOST: { default: '127.0.0.1', roles: both, aws: 'required', description: 'Listen address (0.0.0.0 in a task)' },
  PORT: { default: '4000', roles: both, aws: 'required', description: 'api listener port (see PORTS.api)' },
  ADMIN_PORT: { default: '4001', roles: both, aws: 'required', description: 'admin listener port (see PORTS.admin)' },
  SKYWAY_METRICS_PORT: { default: '9464', roles: both, aws: 'optional', description: 'Prometheus /metrics listener; 0 = any free port' },
  SKYWAY_DATA_DIR: { default: '.skyway', roles: both, aws: 'optional', description: 'Local state (spool, local secrets); the image sets /app/.skyway' },
  LOG_LEVEL: { default: 'info', roles: both, aws: 'required', description: 'pino log level' },
  SKYWAY_ACCESS_LOG: { default: 'true', roles: api, aws: 'optional', description: 'One log line per request' },
  SKYWAY_REGION: { roles: both, aws: 'optional', description: 'Region recorded in usage events; else AWS_REGION, else "local"' },
  SKYWAY_CONFIG: { roles: api, aws: 'optional', description: 'Path of the YAML config (models, server settings)' },
  SKYWAY_SECRETS_FILE: { roles: api, aws: 'local', description: 'Local secrets file referenced by the config (the local stack)' },
  // Request handling
  SKYWAY_MAX_BODY_BYTES: { default: '4194304', roles: api, aws: 'optional', description: 'Largest request body' },
  SKYWAY_MEDIA_MAX_UPLOAD_BYTES: { default: '26214400', roles: api, aws: 'optional', description: 'Largest multipart upload (audio transcriptions/translations, image edits), streamed through; 413 above it' },
  SKYWAY_MEDIA_LOOKAHEAD_BYTES: { default: '4194304', roles: api, aws: 'optional', description: "Bytes of an upload held until its 'model' part arrives (send model before the file to hold nothing)" },
  SKYWAY_BODY_TIMEOUT_MS: { default: '30000', roles: api, aws: 'optional', description: 'Time a client has to send its whole request body (slow bodies get 408)' },
  SKYWAY_UPSTREAM_TIMEOUT_MS: { default: '600000', roles: api, aws: 'optional', description: 'Upstream call timeout' },
  SKYWAY_HEARTBEAT_MS: { default: '15000', roles: api, aws: 'optional', description: 'SSE keep-alive comment interval' },
  SKYWAY_DRAIN_TIMEOUT_MS: { default: '30000', roles: both, aws: 'required', description: 'How long SIGTERM waits for requests in flight (the task stop timeout is above it)' },
  SKYWAY_DEFAULT_MAX_TOKENS: { default: '4096', roles: api, aws: 'optional', description: 'Completion tokens reserved when a request sets no max_tokens' },
  SKYWAY_TOKENIZER_INLINE_CHARS: { default: '8192', roles: api, aws: 'optional', description: 'Inputs up to this size are counted on the event loop' },
  SKYWAY_TOKENIZER_MAX_CHARS: { default: '4000000', roles: api, aws: 'optional', description: 'Largest input counted exactly' },
  SKYWAY_THREADS: { roles: api, aws: 'optional', description: 'uWS event loops per process (default: the cores the task may use)' },
  SKYWAY_RESPONSES_TTL_SECONDS: { default: '2592000', roles: api, aws: 'optional', description: 'Lifetime of stored Responses API objects' },
  SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS: { roles: both, aws: 'optional', description: 'Hosts a deployment api_base may reach over plain http (comma-separated)' },
  SKYWAY_LOCAL: { roles: both, aws: 'local', description: '1 in the local stack: loopback api_base allowed' },
  SKYWAY_TOKENIZER_THREADS: { roles: api, aws: 'optional', description: 'Token-counting worker threads (default: cores - 1)' },
  // Secrets and keys
  SKYWAY_MASTER_KEY: { roles: both, aws: 'required', secret: true, description: 'Master key of the admin API (one secret, replicated to every region)' },
  SKYWAY_ORIGIN_VERIFY_SECRET: { roles: both, aws: 'required', secret: true, description: 'Value the edge sends in x-skyway-origin-verify' },
  SKYWAY_KEY_SIGNING_SECRETS: { roles: both, aws: 'required', secret: true, description: 'Key MAC secrets "1:<s>,2:<s>" (a bare value is version 1); one secret replicated to every region' },
  SKYWAY_KMS_KEY_ID: { roles: both, aws: 'required', description: 'KMS key wrapping provider-credential data keys' },
  SKYWAY_ENCRYPTION_KEY: { roles: both, aws: 'local', description: 'Local envelope key when KMS is not used' },
  SKYWAY_OIDC_ISSUER: { roles: admin, aws: 'optional', description: 'OIDC issuer for admin sign-in' },
  SKYWAY_OIDC_AUDIENCE: { roles: admin, aws: 'optional', description: 'Accepted audiences (comma-separated); required with the issuer' },
  SKYWAY_OIDC_JWKS_URL: { roles: admin, aws: 'optional', description: 'JWKS URL when not discovered' },
  SKYWAY_OIDC_ROLES_CLAIM: { roles: admin, aws: 'optional', description: 'Claim holding the admin role' },
  SKYWAY_OIDC_CLIENT_ID: { roles: admin, aws: 'optional', description: "Console sign-in (code + PKCE): the OIDC client id; default the first audience" },
  SKYWAY_OIDC_CLIENT_SECRET: { roles: admin, aws: 'optional', secret: true, description: 'Console sign-in: client secret, for confidential clients only' },
  SKYWAY_CONSOLE_URL: { roles: admin, aws: 'optional', description: "Console's public origin (OIDC redirect URI); default from the request's Host" },
  SKYWAY_ADMIN_PROXY_HOPS: { default: '0', roles: admin, aws: 'optional', description: 'Proxies in front of the admin listener that append to X-Forwarded-For (2 behind CloudFront and the ALB): the console sign-in limit counts per client IP' },
  // Stores
  DATABASE_URL: { roles: both, aws: 'required', secret: true, description: 'Postgres URL of the regional store (usage, spend, stored responses); also the config store when CONFIG_DATABASE_URL is unset' },
  CONFIG_DATABASE_URL: { roles: both, aws: 'optional', secret: true, description: "Config store (keys, teams, users, deployments, audit, config changes): the global database's endpoint local to the region (writer in the primary region, reader elsewhere); unset = DATABASE_URL" },
  SKYWAY_LEDGER_DATABASE_URL: { roles: both, aws: 'optional', secret: true, description: "Global spend ledger in the config store's primary (AWS secondaries: the local reader endpoint with write forwarding); unset = CONFIG_DATABASE_URL" },
  SKYWAY_CONFIG_STORE_ROLE: { default: 'auto', roles: both, aws: 'optional', description: 'primary | replica | auto (select pg_is_in_recovery()): admin writes answer 503 config_store_read_only on a replica' },
  SKYWAY_CONFIG_CHANGES_POLL_MS: { roles: both, aws: 'optional', description: 'Poll interval of the cross-region change feed (config_changes) on the local config endpoint; default 250 with a separate config store, else off; 0 = off' },
  SKYWAY_CONFIG_CHANGES_RETENTION_HOURS: { default: '24', roles: both, aws: 'optional', description: 'Age after which config_changes rows are pruned (by tasks whose config store is the writer)' },
  SKYWAY_CONFIG_SCHEMA_WAIT_MS: { default: '120000', roles: api, aws: 'optional', description: "How long an api task on a config-store replica waits for the primary's migrations to replicate before it gives up" },
  REDIS_URL: { roles: both, aws: 'required', secret: true, description: 'Limits/budget Redis (noeviction), change bus, routing health' },
  SKYWAY_CACHE_REDIS_URL: { roles: api, aws: 'required', secret: true, description: 'Response-cache Redis, kept apart from limit and budget state (evicts); defaults to REDIS_URL locally' },
  SKYWAY_REDIS_CLUSTER: { default: '0', roles: api, aws: 'optional', description: '1 = cluster-mode client' },
  SKYWAY_REDIS_PREFIX: { default: 'skyway:', roles: api, aws: 'optional', description: 'Limits key prefix' },
  SKYWAY_REPLICAS: { default: '1', roles: api, aws: 'required', description: 'Most api tasks (scaling maximum): limits fall back to limit/replicas per task while Redis is down' },
  SKYWAY_LIMITS_FAILURE_POLICY: { roles: api, aws: 'optional', description: 'Per-limit Redis-outage policy, e.g. requests=local,budget=closed' },
  SKYWAY_LIMITS_HASH_TAG: { default: 'global', roles: api, aws: 'optional', description: 'global | team: cluster slot mapping' },
  SKYWAY_ADMISSION_LEASE_MS: { default: '600000', roles: api, aws: 'optional', description: 'Lifetime of an unsettled reservation' },
  SKYWAY_REDIS_COMMAND_TIMEOUT_MS: { default: '250', roles: api, aws: 'optional', description: 'Slower Redis calls count as Redis down' },
  // Global budgets (#14, admission/leases.ts; SKYWAY_LEDGER_DATABASE_URL is declared with the stores above).
  SKYWAY_BUDGET_LEASES: { default: 'auto', roles: api, aws: 'optional', description: 'auto | on | off: budgets as leases of the global ledger (auto: when the ledger is not DATABASE_URL)' },
  SKYWAY_BUDGET_LEASE_FRACTION: { default: '0.1', roles: api, aws: 'optional', description: 'One budget lease chunk as a fraction of the budget (more = fewer ledger calls, more stranded in idle regions)' },
  SKYWAY_BUDGET_LEASE_TIMEOUT_MS: { default: '2000', roles: api, aws: 'optional', description: 'A ledger call for a budget lease slower than this fails (the budget failure policy applies)' },
  SKYWAY_RATE_LIMIT_REGIONS: { default: '1', roles: api, aws: 'optional', description: 'Regions sharing each RPM/TPM limit: every region enforces ceil(limit / n)' },
  // Usage sinks
  SKYWAY_S3_BUCKET: { roles: both, aws: 'required', description: 'Payload archive bucket' },
  SKYWAY_S3_PREFIX: { default: 'usage/', roles: both, aws: 'optional', description: 'Archive key prefix' },
  S3_ENDPOINT: { roles: both, aws: 'local', description: 'S3 endpoint of a stand-in (s3rver)' },
  SKYWAY_USAGE_LEDGER_DAYS: { roles: api, aws: 'optional', description: 'Days of usage_events kept' },
  SKYWAY_USAGE_BATCH_SIZE: { roles: api, aws: 'optional', description: 'Usage batch rows' },
  SKYWAY_USAGE_FLUSH_MS: { roles: api, aws: 'optional', description: 'Usage batch interval' },
  SKYWAY_USAGE_MAX_QUEUE_ROWS: { roles: api, aws: 'optional', description: 'Usage queue bound before spooling' },
  SKYWAY_USAGE_SPOOL: { roles: api, aws: 'optional', description: 's3 (durable: batches in the archive bucket, replayed by any task) or local (task disk); default s3 when SKYWAY_S3_BUCKET is set' },
  SKYWAY_USAGE_SPOOL_BUCKET: { roles: api, aws: 'optional', description: 'Bucket of the durable spool (default SKYWAY_S3_BUCKET)' },
  SKYWAY_USAGE_SPOOL_PREFIX: { default: 'spool/', roles: api, aws: 'optional', description: 'Key prefix of the durable spool' },
  SKYWAY_USAGE_SPOOL_SCAN_MS: { default: '15000', roles: api, aws: 'optional', description: 'How often a task replays batches other tasks left in the durable spool' },
  SKYWAY_USAGE_SPILL_AFTER_MS: { default: '1000', roles: api, aws: 'optional', description: 'A hanging delivery has its batch written ahead to the spool after this long' },
  SKYWAY_BUDGET_SEED_TIMEOUT_MS: { default: '5000', roles: api, aws: 'optional', description: 'Longest wait for the ledger when rebuilding a budget Redis lost' },
  SKYWAY_ARCHIVE_REDACT_KEYS: { roles: api, aws: 'optional', description: 'JSON keys redacted in archived payloads' },
  SKYWAY_ARCHIVE_REDACT_PATTERNS: { roles: api, aws: 'optional', description: 'JSON array of regexes redacted in archived payloads' },
  SKYWAY_ARCHIVE_MAX_STRING: { roles: api, aws: 'optional', description: 'Longest archived string' },
  CLICKHOUSE_URL: { roles: both, aws: 'required', secret: true, description: 'ClickHouse Cloud URL (traces)' },
  CLICKHOUSE_USER: { roles: both, aws: 'required', secret: true, description: 'ClickHouse user' },
  CLICKHOUSE_PASSWORD: { roles: both, aws: 'required', secret: true, description: 'ClickHouse password' },
  CLICKHOUSE_DATABASE: { roles: api, aws: 'optional', description: 'ClickHouse database' },
  CLICKHOUSE_TTL_DAYS: { roles: api, aws: 'optional', description: 'Trace TTL' },
  CLICKHOUSE_DEDUP_WINDOW: { roles: api, aws: 'optional', description: 'ReplacingMergeTree dedup window' },
  OTEL_EXPORTER_OTLP_ENDPOINT: { roles: api, aws: 'optional', description: 'OTLP collector base URL' },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: { roles: api, aws: 'optional', description: 'OTLP traces URL' },
  OTEL_EXPORTER_OTLP_HEADERS: { roles: api, aws: 'optional', description: 'OTLP headers' },
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: { roles: api, aws: 'optional', description: 'OTLP trace headers' },
  OTEL_SERVICE_NAME: { default: 'skyway-gateway', roles: api, aws: 'optional', description: 'OTLP service name' },
  SKYWAY_EMF: { roles: api, aws: 'optional', description: '1/0: CloudWatch embedded metrics (default: on in ECS)' },
  // Edge
  SKYWAY_KVS_ARN: { roles: admin, aws: 'required', description: 'CloudFront KeyValueStore the admin role publishes to' },
  SKYWAY_EDGE_KVS_ARN: { roles: admin, aws: 'optional', description: 'Alias of SKYWAY_KVS_ARN' },
  SKYWAY_REGION_HEALTH_URL: { roles: admin, aws: 'optional', description: "Base URL of this region's api service (its load balancer); set = publish this region's health row to the edge KVS" },
  SKYWAY_REGION_HEALTH_INTERVAL_MS: { default: '5000', roles: admin, aws: 'optional', description: 'How often the health row is published (REGION_HEALTH.intervalMs)' },
  SKYWAY_REGION_WEIGHT: { default: '1', roles: admin, aws: 'optional', description: "This region's relative weight at the edge" },
  SKYWAY_REGION_NEAR: { roles: admin, aws: 'optional', description: 'Viewer countries (ISO alpha-2, comma-separated) the edge sends here first' },
  SKYWAY_REGION_ORIGIN_ID: { roles: admin, aws: 'optional', description: "This region's CloudFront origin id (default: the region name)" },
  SKYWAY_EDGE_KVS_FILE: { roles: admin, aws: 'local', description: 'Local KVS file (the local edge and the rehearsal read it)' },
  // Local endpoints of AWS services (tests, the rehearsal)
  AWS_ENDPOINT_URL_KMS: { roles: both, aws: 'local', description: 'KMS endpoint of a stand-in' },
  AWS_ENDPOINT_URL_SECRETS_MANAGER: { roles: both, aws: 'local', description: 'Secrets Manager endpoint of a stand-in' },
  AWS_ACCESS_KEY_ID: { roles: both, aws: 'local', description: 'Static credentials of a stand-in (s3rver); in ECS the task role provides credentials' },
  AWS_SECRET_ACCESS_KEY: { roles: both, aws: 'local', description: 'Static credentials of a stand-in (s3rver)' },
  AWS_SESSION_TOKEN: { roles: both, aws: 'local', description: 'Static credentials of a stand-in' },
  // Set by the platform
  AWS_REGION: { roles: both, aws: 'platform', description: 'Set by Fargate' },
  AWS_DEFAULT_REGION: { roles: both, aws: 'platform', description: 'Set by Fargate' },
  AWS_EXECUTION_ENV: { roles: api, aws: 'platform', description: 'Set by Fargate (AWS_ECS_FARGATE)' },
  ECS_CONTAINER_METADATA_URI_V4: { roles: api, aws: 'platform', description: 'Set by ECS' },
  // The operator CLI in the image
  SKYWAY_ADMIN_URL: { default: 'http://127.0.0.1:4001', roles: ['cli'], aws: 'local', description: 'Admin API base URL for `skyway`' },
  SKYWAY_ADMIN_TOKEN: { roles: ['cli'], aws: 'local', description: 'Bearer token for `skyway` (else SKYWAY_MASTER_KEY)' },
} as const satisfies Record<string, EnvVarSpec>;

export type EnvName = keyof typeof ENV;

/** Whether `name` is declared in the contract. */
export function isContractEnv(name: string): name is EnvName {
  return Object.prototype.hasOwnProperty.call(ENV, name);
}

/** The declared variables a task of `role` must get from its task definition in AWS. */
export function requiredInAws(role: 'api' | 'admin'): EnvName[] {
  return (Object.keys(ENV) as EnvName[]).filter((n) => {
    const spec: EnvVarSpec = ENV[n];
    return spec.aws === 'required' && spec.roles.includes(role);
  });
}

/**
 * Variables whose names the deployment chooses (referenced from the YAML config as `api_key_env`), which the
 * contract cannot list; the gateway reads them only through the config loader.
 */
export const OPERATOR_DEFINED_ENV = 'names given by api_key_env in the config file';
