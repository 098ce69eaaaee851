/**
 * Every value the rehearsal needs that the templates do not carry, in one table. Each row is a documented
 * substitution of something AWS provides after a deploy (an endpoint, a resource name, a port) by its local
 * stand-in; infra/README.md prints the same table. Nothing else in the rehearsal is configured by hand.
 */
export interface MappingRow {
  /** What the template (or AWS) has. */
  aws: string;
  /** What the rehearsal uses instead. */
  local: string;
  why: string;
}

export const MAPPING: readonly MappingRow[] = [
  { aws: 'Container port (PORT / ADMIN_PORT / SKYWAY_METRICS_PORT) of each task', local: 'a free loopback port per task (the task definition value is kept for the role, only the number changes)', why: 'Fargate gives every task its own IP; on one machine tasks share 127.0.0.1' },
  { aws: 'HOST=0.0.0.0', local: '127.0.0.1', why: 'Traffic stays on loopback' },
  { aws: 'Fn::GetAtt RDS Endpoint.Address / Endpoint.Port', local: "127.0.0.1 and the port of the region's partition proxy in front of a real Postgres", why: 'the proxy can cut the network to Postgres (scenario e) without stopping the server' },
  { aws: 'database name /skyway and ?sslmode=no-verify in DATABASE_URL', local: 'a private database per region (rehearsal_<env>_<region>_<run>), sslmode dropped', why: 'one Postgres server hosts every region; TLS in transit is not rehearsed' },
  { aws: 'The config store of a multi-region environment: AWS::RDS::GlobalCluster, the primary AWS::RDS::DBCluster and the secondary one (GlobalClusterIdentifier) with their DBInstances; Fn::GetAtt DBCluster Endpoint.Address / ReadEndpoint.Address in CONFIG_DATABASE_URL', local: "primary cluster: a private Postgres primary; secondary cluster: a hot standby of it fed by real streaming replication (test-support/pg-replica.ts) with an adjustable apply delay; each behind its own partition proxy (127.0.0.1:<proxy port>/skyway, sslmode dropped); a cluster's instances are one server; the master user and password are the primary cluster's, from the stand-in's generated secret", why: 'storage-level replication and instance counts cannot be reproduced locally; streaming replication gives the same read-only secondary (pg_is_in_recovery) and a replication lag a scenario can set; the proxies let a scenario cut one region\'s cluster' },
  { aws: 'SKYWAY_LEDGER_DATABASE_URL of a secondary region: its reader endpoint, whose instances forward writes to the primary cluster (EnableGlobalWriteForwarding)', local: "127.0.0.1:<port of the primary's partition proxy>: the connection is made to the primary server itself. Deviation: Postgres has no write forwarding (a standby refuses writes), so forwarded statements run on the primary directly and a read on the same connection sees the primary, not the secondary", why: 'the ledger only needs its writes to land in the primary, which this keeps; cutting the primary region cuts them too, as it does in Aurora' },
  { aws: 'Fn::GetAtt ElastiCache PrimaryEndPoint.Address and the template Port (6380), rediss://', local: 'redis://127.0.0.1:<port of a private redis-server per replication group>', why: 'TLS in transit is not rehearsed; the AUTH token (requirepass) and maxmemory-policy come from the template' },
  { aws: 'ElastiCache node memory (cacheNodeType)', local: 'maxmemory 64mb per redis-server', why: 'node sizes are not reproducible locally; the eviction policy is' },
  { aws: 'Ref AWS::S3::Bucket (bucket name chosen by CloudFormation)', local: 'skyway-<env>-<region>-<logical id, lower case> in s3rver; S3_ENDPOINT + s3rver credentials', why: 'bucket names exist only after a deploy' },
  { aws: 'KMS key ARN (Fn::GetAtt Key.Arn)', local: 'arn:aws:kms:<region>:<account>:key/<logical id> (a multi-Region key and its replicas: key/mrk-<logical id of the primary>); AWS_ENDPOINT_URL_KMS = the local KMS stand-in of the region, which decrypts as KMS does (a key of its own region that wrapped the data key, or a replica of the same multi-Region key)', why: 'no KMS locally' },
  { aws: 'Secrets Manager (ECS secrets by ARN, {{resolve:secretsmanager:…}})', local: 'the local Secrets Manager stand-in: one generated value per AWS::SecretsManager::Secret (replicas by name share it); AWS_ENDPOINT_URL_SECRETS_MANAGER for run-time references', why: 'ECS resolves secrets at task start; the stand-in does it for the harness' },
  { aws: 'ClickHouse Cloud secret (url CHANGE-ME placeholder)', local: 'CLICKHOUSE_URL empty (trace sink off)', why: 'an external service outside AWS; not part of the deployment' },
  { aws: 'SKYWAY_KVS_ARN (the KeyValueStore, via the cross-region export reader)', local: 'SKYWAY_EDGE_KVS_FILE = the KVS stand-in file of that store', why: 'the KVS API endpoint is account-scoped and SigV4a-signed; the file backend is the same publisher' },
  { aws: 'origin domain names (origin-<region>.<zone>, HTTPS) and the distribution aliases', local: 'http://127.0.0.1:<ALB stand-in port of that region>; the CloudFront stand-in listens on one port and takes the host from the Host header', why: 'no DNS or certificates locally' },
  { aws: 'SKYWAY_REGION_HEALTH_URL = http://api.<env>.skyway.internal:<port> (Cloud Map private DNS of the api tasks)', local: "http://127.0.0.1:<ALB stand-in port of that region> (the admin role's probe sends the origin-verify header, so the listener rule forwards it to the api tasks)", why: 'no private DNS locally; both reach the same api tasks' },
  { aws: 'SKYWAY_OIDC_ISSUER = https://cognito-idp.<region>.amazonaws.com/<Ref user pool>, SKYWAY_OIDC_CLIENT_ID / SKYWAY_OIDC_AUDIENCE = Ref app client (cdk.json `console`)', local: 'the logical ids of the pool and the client in their place; the issuer stays unreachable (no Cognito here): the admin task starts because issuer discovery waits for the first SSO sign-in or bearer token, and scenario a checks that the console offers SSO; master-key sign-in is what the scenarios use', why: 'Cognito has no local stand-in; the OIDC code + PKCE flow itself is proven by the console browser test against a loopback issuer' },
  { aws: 'cloudfront-viewer-country (CloudFront derives it from the viewer IP)', local: 'sent by the rehearsal client with more than one region (a–f: near the serving region; 4, g, h: per viewer)', why: 'every rehearsal viewer has the same loopback IP' },
  { aws: 'Task role credentials, AWS_REGION', local: 'AWS_REGION = the stack region; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY = s3rver\'s', why: 'IAM is not rehearsed' },
  { aws: 'ALB health check interval and ECS health-check timings (seconds)', local: 'the same thresholds on a 200 ms interval', why: 'a rehearsal of seconds, not minutes; thresholds and paths are the template\'s' },
  { aws: 'ALB deregistration delay before ECS sends SIGTERM', local: 'the target stops receiving new requests at once and SIGTERM follows immediately; the gateway drains in-flight streams within the stop timeout', why: 'the drain that matters is the gateway\'s; waiting the full delay would add minutes per task' },
  { aws: 'Model providers', local: 'the mock upstream (loadtest/mock), registered through the admin API as a deployment with a KMS-sealed key', why: 'no provider keys locally; the templates set no SKYWAY_CONFIG, so models come from the admin API' },
  { aws: 'https provider endpoints', local: 'SKYWAY_UPSTREAM_ALLOW_HTTP_HOSTS=127.0.0.1 added to every task', why: 'the mock upstream is plain http on loopback, which the admin API refuses for an api_base otherwise' },
  { aws: 'Viewer IP (WAF admin allowlist)', local: 'the first address of the template\'s allowlist CIDR as the viewer IP', why: 'WAF is not rehearsed beyond what the stand-in reads' },
];

/** The table as Markdown (infra/README.md carries the same rows). */
export function mappingMarkdown(): string {
  return ['| AWS (template) | rehearsal | why |', '|---|---|---|', ...MAPPING.map((r) => `| ${r.aws} | ${r.local} | ${r.why} |`)].join('\n');
}

/** Health checks run every this many ms (the template's thresholds apply). */
export const HEALTH_INTERVAL_MS = 200;
/** maxmemory of each private redis-server. */
export const REDIS_MAXMEMORY = '64mb';
