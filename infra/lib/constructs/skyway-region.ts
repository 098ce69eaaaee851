import { Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PORTS } from '../../../shared/contract/index.js';
import { AlarmTopic } from './alarm-topic.js';
import { contractEnvironment } from './contract-env.js';
import { ConsoleUserPool, type ConsoleUserPoolProps } from './console-user-pool.js';
import { ArchiveBucket } from './archive-bucket.js';
import { GatewayCache } from './gateway-cache.js';
import { ConfigStore, type ConfigStoreProps } from './config-store.js';
import { GatewayDatabase } from './gateway-database.js';
import { type GatewayScaling, GatewayService } from './gateway-service.js';
import { LogBucket } from './log-bucket.js';
import { OriginLoadBalancer } from './origin-load-balancer.js';
import { RegionHealthPublisher } from './region-health-publisher.js';
import { RegionMonitoring } from './region-monitoring.js';
import { RegionNetwork } from './region-network.js';

/** KeyValueStore actions the admin role's publisher needs. */
export const KVS_PUBLISHER_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:GetKey',
  'cloudfront-keyvaluestore:ListKeys',
  'cloudfront-keyvaluestore:UpdateKeys',
  'cloudfront-keyvaluestore:PutKey',
  'cloudfront-keyvaluestore:DeleteKey',
];

export const API_PORT = PORTS.api;
/** Secrets Manager name prefix of provider credentials that run-time deployments reference. */
export const PROVIDER_SECRETS_PREFIX = (name: string): string => `skyway/${name}/providers/`;

export const ADMIN_PORT = PORTS.admin;

export interface SkywayRegionProps {
  /** Short name used in resource names (`skyway-<name>-<region>`), e.g. the environment name. */
  readonly name: string;
  /** The gateway image, e.g. `ecs.ContainerImage.fromAsset(repoRoot)`. */
  readonly image: ecs.ContainerImage;
  /** VPC CIDR. */
  readonly cidr: string;
  /** Id of the CloudFront origin-facing managed prefix list in this region. */
  readonly cloudFrontPrefixListId: string;
  /** Zone holding `originDomainName`. */
  readonly hostedZone: route53.IHostedZone;
  /** Name CloudFront uses for this region's ALB. */
  readonly originDomainName: string;
  /** Names of the secrets replicated from the edge stack. */
  readonly secretNames: { readonly originVerify: string; readonly masterKey: string; readonly keySigning: string };
  /** ARN of the edge KeyValueStore the admin role publishes to. */
  readonly keyValueStoreArn: string;
  /**
   * Availability zones.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * NAT gateways.
   * @default 1
   */
  readonly natGateways?: number;
  /**
   * Postgres sizing and protection.
   * @default { instanceType: 't4g.medium', multiAz: true, allocatedStorageGiB: 50, maxAllocatedStorageGiB: 200, backupRetentionDays: 7, deletionProtection: true, maxConnections: 200 }
   */
  readonly database?: {
    readonly instanceType: string;
    readonly multiAz: boolean;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    readonly backupRetentionDays: number;
    readonly deletionProtection: boolean;
    readonly maxConnections: number;
  };
  /**
   * This region's cluster of the config store (an Aurora PostgreSQL Global Database shared by every region of a
   * multi-region environment); its tasks get CONFIG_DATABASE_URL and SKYWAY_LEDGER_DATABASE_URL.
   * @default - none: the region's database (`DATABASE_URL`) is also the config store (single-region environments)
   */
  readonly configStore?: Omit<ConfigStoreProps, 'vpc' | 'clientSecurityGroups' | 'retain'>;
  /**
   * The key that seals provider credentials: `single` (one region), `multi-region-primary` (a multi-Region key
   * created here) or a replica of the primary's multi-Region key. With a global config store, credentials sealed
   * by the admin service of one region must open in every region: the replica has the same key id and material.
   * @default { kind: 'single' }
   */
  readonly credentialsKey?: { readonly kind: 'single' | 'multi-region-primary' } | { readonly kind: 'replica'; readonly primaryKeyArn: string };
  /**
   * Valkey sizing.
   * @default { nodeType: 'cache.t4g.small', replicas: 1 }
   */
  readonly cache?: { readonly nodeType: string; readonly replicas: number };
  /**
   * Valkey sizing of the response cache (its own replication group: it evicts, limit and budget state must not).
   * @default { nodeType: 'cache.t4g.small', replicas: 0 }
   */
  readonly responseCache?: { readonly nodeType: string; readonly replicas: number };
  /**
   * api service sizing and scaling.
   * @default { cpu: 1024, memoryMiB: 2048, minTasks: 2, maxTasks: 10, requestsPerTarget: 1000 }
   */
  readonly api?: { readonly cpu: number; readonly memoryMiB: number } & GatewayScaling;
  /**
   * admin service sizing.
   * @default { cpu: 256, memoryMiB: 512, tasks: 1 }
   */
  readonly admin?: { readonly cpu: number; readonly memoryMiB: number; readonly tasks: number };
  /**
   * How long stopping tasks drain streams.
   * @default Duration.seconds(90)
   */
  readonly drainTime?: Duration;
  /**
   * Log retention.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Archive lifecycle in days.
   * @default { infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 365 }
   */
  readonly archive?: { readonly infrequentAccessAfterDays: number; readonly glacierAfterDays: number; readonly expireAfterDays: number };
  /**
   * E-mail subscribed to the alarm topic.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * Keep data (database snapshot, archive, logs) when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Extra plain settings for both roles (e.g. SKYWAY_CONFIG pointing at a file in the image).
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * LOG_LEVEL of the gateway.
   * @default 'info'
   */
  readonly logLevel?: string;
  /**
   * Publish this region's health row to the edge KVS (the edge then chooses regions by health): its origin id in
   * the distribution, weight and nearby viewer countries.
   * @default - no health row: the edge sends keys without a home region to the distribution's default origin
   */
  readonly edgeRouting?: { readonly originId: string; readonly weight?: number; readonly near?: readonly string[] };
  /**
   * Regions that share each key's RPM/TPM limits (SKYWAY_RATE_LIMIT_REGIONS): every region enforces
   * ceil(limit / n) in its own Redis, so a limit holds across regions (regional/src/admission/README.md).
   * @default 1
   */
  readonly rateLimitRegions?: number;
  /**
   * Console sign-in through a Cognito user pool created here, whose settings (`SKYWAY_OIDC_*`,
   * `SKYWAY_CONSOLE_URL`) the admin service gets. Give it to the region whose admin service the admin host
   * reaches; `retain` defaults to `retainData`.
   * @default - no user pool: the console signs in with the master key only
   */
  readonly console?: ConsoleUserPoolProps;
}

/**
 * One Skyway region: network, origin ALB (CloudFront only), the api and admin services from one image, Postgres,
 * Valkey, the payload archive, secrets, and the reference alarms and dashboard.
 *
 * @example
 * new SkywayRegion(this, 'Skyway', {
 *   name: 'prod', image: ecs.ContainerImage.fromAsset('.'), cidr: '10.40.0.0/16',
 *   cloudFrontPrefixListId: 'pl-4fa04526', hostedZone, originDomainName: 'origin-eu-west-1.skyway.example.com',
 *   secretNames: { originVerify: 'skyway/prod/origin-verify', masterKey: 'skyway/prod/master-key' },
 *   keyValueStoreArn: edge.keyValueStoreArn,
 * });
 */
export class SkywayRegion extends Construct {
  readonly network: RegionNetwork;
  readonly origin: OriginLoadBalancer;
  readonly cluster: ecs.Cluster;
  readonly api: GatewayService;
  readonly admin: GatewayService;
  readonly database: GatewayDatabase;
  /** This region's cluster of the global config store (multi-region environments). */
  readonly configStore: ConfigStore | undefined;
  readonly cache: GatewayCache;
  readonly responseCache: GatewayCache;
  readonly archive: ArchiveBucket;
  readonly clickHouse: secretsmanager.Secret;
  /** Wraps the data keys of provider credentials stored in Postgres (envelope encryption, SKYWAY_KMS_KEY_ID). */
  readonly credentialsKey: kms.IKey;
  readonly monitoring: RegionMonitoring;
  /** The admin role's health row for the edge (with `edgeRouting`): the api service in private DNS, the admin's settings. */
  readonly healthPublisher: RegionHealthPublisher | undefined;
  readonly alarmTopic: AlarmTopic;
  /** The console's user pool, hosted UI domain and app client (with `console`). */
  readonly consoleUserPool: ConsoleUserPool | undefined;

  constructor(scope: Construct, id: string, props: SkywayRegionProps) {
    super(scope, id);
    const retain = props.retainData ?? true;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const database = props.database ?? {
      instanceType: 't4g.medium',
      multiAz: true,
      allocatedStorageGiB: 50,
      maxAllocatedStorageGiB: 200,
      backupRetentionDays: 7,
      deletionProtection: true,
      maxConnections: 200,
    };
    const cacheSize = props.cache ?? { nodeType: 'cache.t4g.small', replicas: 1 };
    const apiSize = props.api ?? { cpu: 1024, memoryMiB: 2048, minTasks: 2, maxTasks: 10, requestsPerTarget: 1000 };
    const adminSize = props.admin ?? { cpu: 256, memoryMiB: 512, tasks: 1 };

    this.network = new RegionNetwork(this, 'Network', {
      cidr: props.cidr,
      maxAzs: props.maxAzs ?? 2,
      natGateways: props.natGateways ?? 1,
      logRetention,
      retain,
    });
    const vpc = this.network.vpc;
    const logBucket = new LogBucket(this, 'AccessLogs', { retain });
    this.origin = new OriginLoadBalancer(this, 'Origin', {
      vpc,
      cloudFrontPrefixListId: props.cloudFrontPrefixListId,
      domainName: props.originDomainName,
      hostedZone: props.hostedZone,
      logBucket: logBucket.bucket,
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
    this.archive = new ArchiveBucket(this, 'Archive', { accessLogBucket: logBucket.bucket, retain, ...props.archive });

    const originVerify = secretsmanager.Secret.fromSecretNameV2(this, 'OriginVerify', props.secretNames.originVerify);
    const masterKey = secretsmanager.Secret.fromSecretNameV2(this, 'MasterKey', props.secretNames.masterKey);
    const keySigning = secretsmanager.Secret.fromSecretNameV2(this, 'KeySigning', props.secretNames.keySigning);
    this.clickHouse = new secretsmanager.Secret(this, 'ClickHouse', {
      description: 'ClickHouse Cloud connection of the Skyway gateway: fill in url, user and password after the first deploy',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ url: 'https://CHANGE-ME.clickhouse.cloud:8443', user: 'default' }),
        generateStringKey: 'password',
        excludePunctuation: true,
      },
    });
    Validations.of(this.clickHouse).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Credentials of an external service (ClickHouse Cloud): rotated in ClickHouse by its owner, then pasted here; AWS cannot rotate them.',
    });

    const keyKind = props.credentialsKey ?? { kind: 'single' };
    const keyDescription = 'Skyway: wraps the data keys of provider credentials of run-time deployments (envelope encryption)';
    if (keyKind.kind === 'replica') {
      const replica = new kms.CfnReplicaKey(this, 'CredentialsKeyReplica', {
        primaryKeyArn: keyKind.primaryKeyArn,
        description: `${keyDescription}; replica of the first region's multi-Region key`,
        // The account's administrators manage it; grants to the task roles are IAM policies (below).
        keyPolicy: { Version: '2012-10-17', Statement: [{ Sid: 'AccountAdmin', Effect: 'Allow', Principal: { AWS: `arn:${Stack.of(this).partition}:iam::${Stack.of(this).account}:root` }, Action: 'kms:*', Resource: '*' }] },
      });
      replica.applyRemovalPolicy(retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      this.credentialsKey = kms.Key.fromKeyArn(this, 'CredentialsKey', replica.attrArn);
    } else {
      this.credentialsKey = new kms.Key(this, 'CredentialsKey', {
        description: keyDescription,
        enableKeyRotation: true,
        multiRegion: keyKind.kind === 'multi-region-primary',
        removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
    }

    // Both roles share one image, one set of settings and one security group boundary per role.
    const plain: Record<string, string> = {
      ...props.environment,
      ...contractEnvironment({
        PORT: String(API_PORT),
        ADMIN_PORT: String(ADMIN_PORT),
        HOST: '0.0.0.0',
        LOG_LEVEL: props.logLevel ?? 'info',
        SKYWAY_S3_BUCKET: this.archive.bucket.bucketName,
        SKYWAY_KMS_KEY_ID: this.credentialsKey.keyArn,
      }),
    };
    const secrets = (): Record<string, ecs.Secret> => ({
      SKYWAY_MASTER_KEY: ecs.Secret.fromSecretsManager(masterKey),
      SKYWAY_KEY_SIGNING_SECRETS: ecs.Secret.fromSecretsManager(keySigning),
      SKYWAY_ORIGIN_VERIFY_SECRET: ecs.Secret.fromSecretsManager(originVerify),
      DATABASE_URL: ecs.Secret.fromSecretsManager(this.database.urlSecret),
      REDIS_URL: ecs.Secret.fromSecretsManager(this.cache.urlSecret),
      CLICKHOUSE_URL: ecs.Secret.fromSecretsManager(this.clickHouse, 'url'),
      CLICKHOUSE_USER: ecs.Secret.fromSecretsManager(this.clickHouse, 'user'),
      CLICKHOUSE_PASSWORD: ecs.Secret.fromSecretsManager(this.clickHouse, 'password'),
    });
    // Referenced by name: the replica in this region resolves it, and no cross-region reference is needed.
    const originVerifyValue = SecretValue.secretsManager(props.secretNames.originVerify).unsafeUnwrap();
    const drainTime = props.drainTime ?? Duration.seconds(90);

    // The stores admit the services' security groups and the services read the stores' URL secrets: create the
    // services first, then the stores, then hand the secrets to the containers.
    const common = {
      cluster: this.cluster,
      image: props.image,
      listener: this.origin.listener,
      loadBalancerSecurityGroup: this.origin.securityGroup,
      originVerifyValue,
      drainTime,
      logRetention,
    };
    const routing = props.edgeRouting;
    this.healthPublisher = routing
      ? new RegionHealthPublisher(this, 'HealthPublisher', { vpc, name: props.name, region: Stack.of(this).region, apiPort: API_PORT, originId: routing.originId, ...(routing.weight !== undefined ? { weight: routing.weight } : {}), ...(routing.near ? { near: routing.near } : {}) })
      : undefined;
    this.consoleUserPool = props.console ? new ConsoleUserPool(this, 'ConsoleUsers', { retain, ...props.console }) : undefined;
    this.admin = new GatewayService(this, 'Admin', {
      ...common,
      role: 'admin',
      port: ADMIN_PORT,
      cpu: adminSize.cpu,
      memoryMiB: adminSize.memoryMiB,
      desiredCount: adminSize.tasks,
      // The admin host reaches the admin listener through CloudFront and the ALB: two proxies append to
      // X-Forwarded-For, so the console's sign-in limit counts the viewer's address, not the ALB's.
      environment: { ...plain, ...contractEnvironment({ SKYWAY_KVS_ARN: props.keyValueStoreArn, SKYWAY_ADMIN_PROXY_HOPS: '2' }), ...this.healthPublisher?.adminEnvironment, ...this.consoleUserPool?.consoleEnvironment() },
      secrets: {},
      priority: 10,
      pathPatterns: ['/admin', '/admin/*', '/console', '/console/*'],
    });
    this.api = new GatewayService(this, 'Api', {
      ...common,
      role: 'api',
      port: API_PORT,
      cpu: apiSize.cpu,
      memoryMiB: apiSize.memoryMiB,
      desiredCount: apiSize.minTasks,
      // During a Redis outage each task admits limit / SKYWAY_REPLICAS: the scaling maximum keeps the sum of
      // every task's share within the limit however far the service has scaled out.
      // The usage spool lives in the archive bucket (spool/ prefix, read/write below), so a replaced task's
      // undelivered batches are replayed by any other task (regional/src/usage/README.md).
      environment: { ...plain, ...contractEnvironment({ SKYWAY_REPLICAS: String(apiSize.maxTasks), SKYWAY_USAGE_SPOOL: 's3', SKYWAY_RATE_LIMIT_REGIONS: props.rateLimitRegions && props.rateLimitRegions > 1 ? String(props.rateLimitRegions) : undefined }) },
      secrets: {},
      priority: 20,
      scaling: apiSize,
    });
    this.healthPublisher?.connect(this.api, this.admin, API_PORT);
    const clients = [this.api.securityGroup, this.admin.securityGroup];
    this.database = new GatewayDatabase(this, 'Database', {
      vpc,
      clientSecurityGroups: clients,
      instanceType: database.instanceType,
      multiAz: database.multiAz,
      allocatedStorageGiB: database.allocatedStorageGiB,
      maxAllocatedStorageGiB: database.maxAllocatedStorageGiB,
      backupRetention: Duration.days(database.backupRetentionDays),
      deletionProtection: database.deletionProtection,
      maxConnections: database.maxConnections,
      retain,
    });
    this.configStore = props.configStore ? new ConfigStore(this, 'ConfigStore', { ...props.configStore, vpc, clientSecurityGroups: clients, retain }) : undefined;
    this.cache = new GatewayCache(this, 'Cache', { vpc, clientSecurityGroups: clients, nodeType: cacheSize.nodeType, replicas: cacheSize.replicas, purpose: 'state' });
    const responseCacheSize = props.responseCache ?? { nodeType: 'cache.t4g.small', replicas: 0 };
    this.responseCache = new GatewayCache(this, 'ResponseCache', {
      vpc,
      clientSecurityGroups: [this.api.securityGroup],
      nodeType: responseCacheSize.nodeType,
      replicas: responseCacheSize.replicas,
      purpose: 'responses',
    });
    for (const service of [this.api, this.admin]) {
      for (const [name, secret] of Object.entries(secrets())) service.addSecret(name, secret);
      if (this.configStore) {
        service.addSecret('CONFIG_DATABASE_URL', ecs.Secret.fromSecretsManager(this.configStore.urls.config));
        service.addSecret('SKYWAY_LEDGER_DATABASE_URL', ecs.Secret.fromSecretsManager(this.configStore.urls.ledger));
      }
    }
    this.api.addSecret('SKYWAY_CACHE_REDIS_URL', ecs.Secret.fromSecretsManager(this.responseCache.urlSecret));
    this.archive.bucket.grantReadWrite(this.api.taskDefinition.taskRole);
    this.archive.bucket.grantRead(this.admin.taskDefinition.taskRole);
    const stack = Stack.of(this);
    const bucketArnFinding = `<${stack.resolve(stack.getLogicalId(this.archive.bucket.node.defaultChild as s3.CfnBucket)) as string}.Arn>`;
    const readActions = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];
    this.api.acknowledgeArchiveGrants(bucketArnFinding, [...readActions, 's3:DeleteObject*', 's3:Abort*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']);
    this.admin.acknowledgeArchiveGrants(bucketArnFinding, readActions);
    for (const service of [this.api, this.admin]) this.network.allowEndpointsFrom(service.securityGroup);
    this.admin.taskDefinition.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: KVS_PUBLISHER_ACTIONS, resources: [props.keyValueStoreArn] }),
    );
    // Provider credentials: the admin role seals new ones, the api role opens them; either may instead
    // reference a secret under skyway/<name>/providers/ that the api role reads.
    this.credentialsKey.grant(this.admin.taskDefinition.taskRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.credentialsKey.grantDecrypt(this.api.taskDefinition.taskRole);
    const providerSecrets = `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${PROVIDER_SECRETS_PREFIX(props.name)}*`;
    this.api.taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [providerSecrets] }));
    const apiPolicy = this.api.taskDefinition.taskRole.node.tryFindChild('DefaultPolicy');
    if (apiPolicy) {
      Validations.of(apiPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${stack.region}:${stack.account}:secret:${PROVIDER_SECRETS_PREFIX(props.name)}*]`,
        reason: `Provider credentials referenced by run-time deployments live under ${PROVIDER_SECRETS_PREFIX(props.name)} (names chosen by operators at run time); the api role may read only that prefix.`,
      });
    }

    this.alarmTopic = new AlarmTopic(this, 'Alarms', props.alarmEmail ? { email: props.alarmEmail } : {});
    this.monitoring = new RegionMonitoring(this, 'Monitoring', {
      loadBalancer: this.origin.loadBalancer,
      apiTargetGroup: this.api.targetGroup,
      cluster: this.cluster,
      services: [this.api.service, this.admin.service],
      database: this.database.instance,
      databaseMaxConnections: this.database.maxConnections,
      cache: this.cache.replicationGroup,
      topic: this.alarmTopic.topic,
      dashboardName: `skyway-${props.name}-${Stack.of(this).region}`,
    });
    this.configStore?.addAlarms(this.alarmTopic.topic);
  }
}
