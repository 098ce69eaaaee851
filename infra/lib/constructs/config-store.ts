import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { databaseUrlSecret, URL_UNSAFE } from './database-url.js';

/**
 * Aurora PostgreSQL with write forwarding from secondary regions of a global database (14.9+, 15.4+, 16.x); the
 * reader-side local write forwarding of 16.4+ comes with it.
 */
export const CONFIG_STORE_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_16_6;

/** The role of this region's cluster in the global database. */
export type ConfigStoreRole =
  | {
      readonly kind: 'primary';
      /** Regions of the secondary clusters (the credentials secret is replicated there). */
      readonly secondaryRegions: readonly string[];
    }
  | { readonly kind: 'secondary' };

export interface ConfigStoreProps {
  readonly vpc: ec2.IVpc;
  /** Security groups allowed to connect (the gateway services). */
  readonly clientSecurityGroups: readonly ec2.ISecurityGroup[];
  /** Primary (writer, creates the global cluster) or secondary (read-only, joins it). */
  readonly role: ConfigStoreRole;
  /** Name of the global cluster, the same in every region (`skyway-<env>-config`). */
  readonly globalClusterIdentifier: string;
  /**
   * Name of the master credentials secret: generated in the primary region, replicated to every secondary region,
   * read there by name (a secondary cluster has no credentials of its own: the users live in the replicated storage).
   */
  readonly credentialsSecretName: string;
  /** Instance class of every instance, e.g. `r6g.large` (Aurora global databases need memory-optimized classes). */
  readonly instanceType: string;
  /** Instances per regional cluster: the writer and readers in the primary, readers in a secondary. */
  readonly instances: number;
  /**
   * Automated backup retention.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /** Refuse deletion of the clusters (and of the global cluster). */
  readonly deletionProtection: boolean;
  /**
   * Keep a final snapshot when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Port; not 5432, as for the regional store.
   * @default 5433
   */
  readonly port?: number;
  /**
   * Replication lag of a secondary (ms) that raises its alarm.
   * @default 5000
   */
  readonly replicationLagAlarmMs?: number;
}

/**
 * This region's cluster of the config store: the Aurora PostgreSQL Global Database that holds keys, teams, users,
 * deployments, the audit log, signing secrets, the `config_changes` feed and the global spend ledger.
 *
 * The primary region runs a `DatabaseCluster` (writer + readers) and the `AWS::RDS::GlobalCluster` made from it;
 * every other region a secondary `AWS::RDS::DBCluster` that joins it by `GlobalClusterIdentifier`, carries no
 * master credentials and forwards writes to the primary (the spend ledger is written from every region). Each
 * region's tasks get two URLs as secrets (`urls`):
 * - `config`: CONFIG_DATABASE_URL, the endpoint local to the region — the writer endpoint in the primary, the
 *   reader endpoint in a secondary (its writer endpoint is inactive until the cluster is promoted);
 * - `ledger`: SKYWAY_LEDGER_DATABASE_URL — the writer in the primary; in a secondary the reader endpoint too,
 *   whose instances forward writes to the primary (write forwarding is served by a secondary's readers).
 *
 * @example
 * new ConfigStore(this, 'ConfigStore', {
 *   vpc, clientSecurityGroups: [api.securityGroup, admin.securityGroup], role: { kind: 'secondary' },
 *   globalClusterIdentifier: 'skyway-prod-config', credentialsSecretName: 'skyway/prod/config-store/credentials',
 *   instanceType: 'r7g.large', instances: 2, deletionProtection: true,
 * });
 */
export class ConfigStore extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  /** The regional cluster's identifier (a `Ref`). */
  readonly clusterIdentifier: string;
  /** The global cluster (primary region only). */
  readonly globalCluster: rds.CfnGlobalCluster | undefined;
  /** Secrets whose whole value is a `postgres://` URL: CONFIG_DATABASE_URL and SKYWAY_LEDGER_DATABASE_URL. */
  readonly urls: { readonly config: secretsmanager.Secret; readonly ledger: secretsmanager.Secret };
  private readonly lagAlarmMs: number;
  private readonly isSecondary: boolean;

  constructor(scope: Construct, id: string, props: ConfigStoreProps) {
    super(scope, id);
    if (!Number.isInteger(props.instances) || props.instances < 1) throw new Error(`ConfigStore: instances must be a positive integer, got ${props.instances}`);
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(props.globalClusterIdentifier)) throw new Error(`ConfigStore: invalid global cluster identifier '${props.globalClusterIdentifier}'`);
    const port = props.port ?? 5433;
    this.lagAlarmMs = props.replicationLagAlarmMs ?? 5000;
    this.isSecondary = props.role.kind === 'secondary';
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: CONFIG_STORE_ENGINE_VERSION });
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Skyway config store (Aurora global database) storage' });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Skyway config store (Aurora)', allowAllOutbound: false });
    for (const sg of props.clientSecurityGroups) this.securityGroup.addIngressRule(sg, ec2.Port.tcp(port), 'gateway tasks');
    const parameterGroup = new rds.ParameterGroup(this, 'ClusterParameters', {
      engine,
      description: 'Skyway config store (cluster)',
      parameters: { 'rds.force_ssl': '1', idle_in_transaction_session_timeout: '60000', statement_timeout: '30000', log_min_duration_statement: '1000' },
    });
    const removalPolicy = props.retain ?? true ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;
    const backupRetention = props.backupRetention ?? Duration.days(7);
    const instanceType = new ec2.InstanceType(props.instanceType);
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    let writerHost: string;
    let readerHost: string;
    let password: string;
    if (props.role.kind === 'primary') {
      const instance = (name: string) => rds.ClusterInstance.provisioned(name, { instanceType, publiclyAccessible: false, enablePerformanceInsights: true, performanceInsightEncryptionKey: key, autoMinorVersionUpgrade: true });
      const cluster = new rds.DatabaseCluster(this, 'Cluster', {
        engine,
        credentials: rds.Credentials.fromGeneratedSecret('skyway', {
          secretName: props.credentialsSecretName,
          excludeCharacters: URL_UNSAFE,
          replicaRegions: props.role.secondaryRegions.map((region) => ({ region })),
        }),
        defaultDatabaseName: 'skyway',
        writer: instance('Writer'),
        readers: Array.from({ length: props.instances - 1 }, (_, i) => instance(`Reader${i + 1}`)),
        vpc: props.vpc,
        vpcSubnets: subnets,
        securityGroups: [this.securityGroup],
        port,
        storageEncrypted: true,
        storageEncryptionKey: key,
        parameterGroup,
        backup: { retention: backupRetention },
        deletionProtection: props.deletionProtection,
        removalPolicy,
        cloudwatchLogsExports: ['postgresql'],
        iamAuthentication: true,
        monitoringInterval: Duration.seconds(60),
      });
      this.clusterIdentifier = cluster.clusterIdentifier;
      // Made from the primary cluster: engine, version, encryption and database name come from it.
      this.globalCluster = new rds.CfnGlobalCluster(this, 'Global', {
        globalClusterIdentifier: props.globalClusterIdentifier,
        sourceDbClusterIdentifier: cluster.clusterIdentifier,
        deletionProtection: props.deletionProtection,
      });
      // A secondary region's cluster attaches once the primary has its writer instance.
      this.globalCluster.node.addDependency(cluster);
      writerHost = cluster.clusterEndpoint.hostname;
      readerHost = writerHost;
      password = cluster.secret!.secretValueFromJson('password').unsafeUnwrap();
      Validations.of(cluster.node.findChild('Secret')).acknowledge({ id: 'AwsSolutions-SMG4', reason: ROTATION_REASON });
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Deletion protection follows configStore.deletionProtection in cdk.json (off only in throwaway environments).',
      });
      const monitoringRole = cluster.node.tryFindChild('MonitoringRole');
      if (monitoringRole) {
        Validations.of(monitoringRole).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
          reason: 'The AWS-maintained service-role policy for RDS Enhanced Monitoring; it only lets RDS write OS metrics to CloudWatch Logs.',
        });
      }
    } else {
      const subnetGroup = new rds.SubnetGroup(this, 'Subnets', { vpc: props.vpc, vpcSubnets: subnets, description: 'Skyway config store (secondary)' });
      const { parameterGroupName } = parameterGroup.bindToCluster({});
      // No MasterUsername/MasterUserPassword/DatabaseName: a secondary takes them from the global cluster's storage.
      const cluster = new rds.CfnDBCluster(this, 'Cluster', {
        engine: 'aurora-postgresql',
        engineVersion: CONFIG_STORE_ENGINE_VERSION.auroraPostgresFullVersion,
        globalClusterIdentifier: props.globalClusterIdentifier,
        enableGlobalWriteForwarding: true,
        dbSubnetGroupName: subnetGroup.subnetGroupName,
        vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
        port,
        storageEncrypted: true,
        kmsKeyId: key.keyArn,
        dbClusterParameterGroupName: parameterGroupName,
        backupRetentionPeriod: backupRetention.toDays(),
        deletionProtection: props.deletionProtection,
        enableCloudwatchLogsExports: ['postgresql'],
        enableIamDatabaseAuthentication: true,
        copyTagsToSnapshot: true,
      });
      cluster.applyRemovalPolicy(removalPolicy);
      for (let i = 0; i < props.instances; i++) {
        new rds.CfnDBInstance(this, `Reader${i + 1}`, {
          dbClusterIdentifier: cluster.ref,
          engine: 'aurora-postgresql',
          dbInstanceClass: `db.${instanceType.toString()}`,
          dbSubnetGroupName: subnetGroup.subnetGroupName,
          publiclyAccessible: false,
          enablePerformanceInsights: true,
          performanceInsightsKmsKeyId: key.keyArn,
          autoMinorVersionUpgrade: true,
        });
      }
      this.clusterIdentifier = cluster.ref;
      this.globalCluster = undefined;
      writerHost = cluster.attrReadEndpointAddress;
      readerHost = cluster.attrReadEndpointAddress;
      // By name: the replica of the primary's generated secret (the stack depends on the primary region's stack).
      password = SecretValue.secretsManager(props.credentialsSecretName, { jsonField: 'password' }).unsafeUnwrap();
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Deletion protection follows configStore.deletionProtection in cdk.json (off only in throwaway environments).',
      });
    }

    const stackPort = String(port);
    this.urls = {
      config: databaseUrlSecret(this, 'ConfigUrl', {
        description: `CONFIG_DATABASE_URL of the Skyway gateway: the config store's ${this.isSecondary ? 'reader' : 'writer'} endpoint in this region`,
        password,
        host: this.isSecondary ? readerHost : writerHost,
        port: stackPort,
      }),
      ledger: databaseUrlSecret(this, 'LedgerUrl', {
        description: `SKYWAY_LEDGER_DATABASE_URL of the Skyway gateway: ${this.isSecondary ? 'the reader endpoint, whose instances forward writes to the primary region' : 'the config store writer'}`,
        password,
        host: writerHost,
        port: stackPort,
      }),
    };
    for (const s of [this.urls.config, this.urls.ledger]) Validations.of(s).acknowledge({ id: 'AwsSolutions-SMG4', reason: ROTATION_REASON });
  }

  /** Alarms on this cluster: the replication lag of a secondary (Aurora's `AuroraGlobalDBReplicationLag`). */
  addAlarms(topic: sns.ITopic): cloudwatch.Alarm[] {
    if (!this.isSecondary) return [];
    const lag = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'AuroraGlobalDBReplicationLag',
      dimensionsMap: { DBClusterIdentifier: this.clusterIdentifier },
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    const alarm = new cloudwatch.Alarm(this, 'ReplicationLagAlarm', {
      alarmDescription: `Config store replication from the primary region lags over ${this.lagAlarmMs} ms: key changes and revocations reach this region late`,
      metric: lag,
      threshold: this.lagAlarmMs,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(topic));
    return [alarm];
  }
}

const ROTATION_REASON =
  'The gateway reads CONFIG_DATABASE_URL and SKYWAY_LEDGER_DATABASE_URL, secrets composed from this password at deploy time in every region; rotation would leave them stale. Rotate by changing the password and redeploying every region.';
