import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** What a replication group holds, which decides its eviction policy. */
export type CachePurpose = 'state' | 'responses';

/** `maxmemory-policy` per purpose: state (limits, budgets, reservations) must never be evicted. */
export const MAXMEMORY_POLICY: Record<CachePurpose, string> = { state: 'noeviction', responses: 'allkeys-lru' };

/** Parameter group family of a Valkey engine version (`8.0` → `valkey8`). */
export function parameterGroupFamily(engineVersion: string): string {
  const major = /^(\d+)/.exec(engineVersion)?.[1];
  if (!major) throw new Error(`GatewayCache: cannot derive a parameter group family from engine version '${engineVersion}'`);
  return `valkey${major}`;
}

export interface GatewayCacheProps {
  /**
   * What the group holds: `state` (limits, budgets, change bus; `noeviction`, so spend is never evicted and a
   * full store refuses writes instead) or `responses` (the response cache; `allkeys-lru`).
   * @default 'state'
   */
  readonly purpose?: CachePurpose;
  readonly vpc: ec2.IVpc;
  /** Security groups allowed to connect (the gateway services). */
  readonly clientSecurityGroups: readonly ec2.ISecurityGroup[];
  /** Node type, e.g. `cache.t4g.small`. */
  readonly nodeType: string;
  /**
   * Read replicas; with one or more, Multi-AZ and automatic failover are on.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Engine version.
   * @default '8.0'
   */
  readonly engineVersion?: string;
  /**
   * Port; not 6379, so scanners looking for Redis on its default port find nothing.
   * @default 6380
   */
  readonly port?: number;
  /**
   * Daily snapshots kept.
   * @default 1
   */
  readonly snapshotRetentionDays?: number;
}

/**
 * ElastiCache Valkey (cluster mode disabled) for limits, budgets and key-cache invalidation (or, with
 * `purpose: 'responses'`, for the response cache), with its own parameter group: TLS in transit, KMS at
 * rest, AUTH token from Secrets Manager, and a `REDIS_URL` secret (`rediss://`) composed at deploy time.
 */
export class GatewayCache extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly authToken: secretsmanager.Secret;
  /** Secret whose whole value is the `rediss://` URL the gateway reads from REDIS_URL. */
  readonly urlSecret: secretsmanager.Secret;
  readonly parameterGroup: elasticache.CfnParameterGroup;

  constructor(scope: Construct, id: string, props: GatewayCacheProps) {
    super(scope, id);
    const purpose = props.purpose ?? 'state';
    const engineVersion = props.engineVersion ?? '8.0';
    this.parameterGroup = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: parameterGroupFamily(engineVersion),
      description: `Skyway ${purpose}: maxmemory-policy ${MAXMEMORY_POLICY[purpose]}`,
      properties: { 'maxmemory-policy': MAXMEMORY_POLICY[purpose] },
    });
    const port = props.port ?? 6380;
    const replicas = props.replicas ?? 1;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Skyway Valkey', allowAllOutbound: false });
    for (const sg of props.clientSecurityGroups) this.securityGroup.addIngressRule(sg, ec2.Port.tcp(port), 'gateway tasks');
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'Skyway Valkey (isolated subnets)',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Skyway Valkey at rest' });
    // AUTH tokens allow printable ASCII except a few; alphanumerics also keep the URL free of escapes.
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'Skyway Valkey AUTH token',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: purpose === 'state' ? 'Skyway limits, budgets and key cache' : 'Skyway response cache',
      engine: 'valkey',
      engineVersion,
      cacheParameterGroupName: this.parameterGroup.ref,
      cacheNodeType: props.nodeType,
      numCacheClusters: 1 + replicas,
      automaticFailoverEnabled: replicas > 0,
      multiAzEnabled: replicas > 0,
      port,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      kmsKeyId: key.keyId,
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: props.snapshotRetentionDays ?? 1,
      autoMinorVersionUpgrade: true,
    });
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.DESTROY);
    const host = this.replicationGroup.attrPrimaryEndPointAddress;
    this.urlSecret = new secretsmanager.Secret(this, 'Url', {
      description: `${purpose === 'state' ? 'REDIS_URL' : 'SKYWAY_CACHE_REDIS_URL'} of the Skyway gateway (composed at deploy time from the AUTH token)`,
      secretStringValue: SecretValue.unsafePlainText(`rediss://:${this.authToken.secretValue.unsafeUnwrap()}@${host}:${port}`),
    });
    const rotationReason =
      'The AUTH token is set on the replication group and composed into REDIS_URL at deploy time; rotate it with a ROTATE-strategy deploy, not a Lambda.';
    Validations.of(this.authToken).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotationReason });
    Validations.of(this.urlSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotationReason });
    if (replicas === 0) {
      Validations.of(this.replicationGroup).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason: 'This environment is configured without replicas (cache.replicas = 0): limits state is rebuilt on failure; production sets replicas.',
      });
    }
  }
}
