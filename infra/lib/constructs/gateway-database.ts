import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { databaseUrlSecret, URL_UNSAFE } from './database-url.js';

export interface GatewayDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Security groups allowed to connect (the gateway services). */
  readonly clientSecurityGroups: readonly ec2.ISecurityGroup[];
  /** Instance class, e.g. `t4g.medium` or `r7g.large`. */
  readonly instanceType: string;
  /** Standby in a second AZ. */
  readonly multiAz: boolean;
  /** Initial storage in GiB. */
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling in GiB. */
  readonly maxAllocatedStorageGiB: number;
  /**
   * Automated backup retention.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /** Refuse deletion of the instance. */
  readonly deletionProtection: boolean;
  /**
   * `max_connections` (the reference deployment's 200).
   * @default 200
   */
  readonly maxConnections?: number;
  /**
   * Keep a final snapshot when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Postgres engine version.
   * @default rds.PostgresEngineVersion.VER_17
   */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /**
   * Port; not 5432, so scanners looking for Postgres on its default port find nothing.
   * @default 5433
   */
  readonly port?: number;
}

/**
 * RDS Postgres of one region (the regional store: usage events, spend aggregates, stored responses, request logs;
 * in a single-region environment also the config store): KMS-encrypted, in isolated subnets, TLS enforced, the reference
 * parameter group, and a `DATABASE_URL` secret composed at deploy time from the generated credentials.
 */
export class GatewayDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  /** Secret whose whole value is the `postgres://` URL the gateway reads from DATABASE_URL. */
  readonly urlSecret: secretsmanager.Secret;
  readonly maxConnections: number;

  constructor(scope: Construct, id: string, props: GatewayDatabaseProps) {
    super(scope, id);
    const engine = rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? rds.PostgresEngineVersion.VER_17 });
    const port = props.port ?? 5433;
    this.maxConnections = props.maxConnections ?? 200;
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Skyway Postgres storage' });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Skyway Postgres', allowAllOutbound: false });
    for (const sg of props.clientSecurityGroups) this.securityGroup.addIngressRule(sg, ec2.Port.tcp(port), 'gateway tasks');
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Skyway reference settings',
      parameters: {
        max_connections: String(this.maxConnections),
        // Units of 8 KB pages: a quarter of instance memory for shared buffers, three quarters as cache estimate.
        shared_buffers: '{DBInstanceClassMemory/32768}',
        effective_cache_size: '{DBInstanceClassMemory*3/32768}',
        work_mem: '16384',
        maintenance_work_mem: '262144',
        random_page_cost: '1.1',
        idle_in_transaction_session_timeout: '60000',
        statement_timeout: '30000',
        log_min_duration_statement: '1000',
        'rds.force_ssl': '1',
      },
    });
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      port,
      multiAz: props.multiAz,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      storageEncryptionKey: key,
      credentials: rds.Credentials.fromGeneratedSecret('skyway', { excludeCharacters: URL_UNSAFE }),
      databaseName: 'skyway',
      parameterGroup,
      backupRetention: props.backupRetention ?? Duration.days(7),
      deletionProtection: props.deletionProtection,
      removalPolicy: props.retain ?? true ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: key,
      monitoringInterval: Duration.seconds(60),
      autoMinorVersionUpgrade: true,
      iamAuthentication: true,
      publiclyAccessible: false,
    });
    const password = this.instance.secret!.secretValueFromJson('password').unsafeUnwrap();
    const endpoint = this.instance.instanceEndpoint;
    this.urlSecret = databaseUrlSecret(this, 'Url', {
      description: 'DATABASE_URL of the Skyway gateway (composed at deploy time from the generated credentials)',
      password,
      host: endpoint.hostname,
      port: `${endpoint.port}`,
    });
    const rotationReason =
      'The gateway reads DATABASE_URL, a secret composed from this password at deploy time; single-user rotation would leave it stale. Rotate by redeploying after changing the password.';
    Validations.of(this.instance.node.findChild('Secret')).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotationReason });
    Validations.of(this.instance.node.findChild('MonitoringRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'The AWS-maintained service-role policy for RDS Enhanced Monitoring; it only lets RDS write OS metrics to CloudWatch Logs.',
    });
    // Environment differences are data: an environment that turns these off says so in cdk.json, and the
    // acknowledgement records that it was deliberate.
    if (!props.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'This environment sets database.multiAz=false in cdk.json (a throwaway environment); production sets it true.',
      });
    }
    if (!props.deletionProtection) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'This environment sets database.deletionProtection=false in cdk.json so it can be torn down; production sets it true.',
      });
    }
    Validations.of(this.urlSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotationReason });
  }
}
