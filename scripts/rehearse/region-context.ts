/**
 * What CloudFormation knows about one stack after a deploy, answered locally for the intrinsics resolver:
 * pseudo parameters, `Ref`s (secret ARNs, bucket names), and `Fn::GetAtt`s (KMS key ARNs, the RDS and
 * ElastiCache endpoints as placeholders that task-env.ts maps to the local stores, the KeyValueStore ARN behind
 * the cross-region export reader, the Aurora cluster endpoints as placeholders too). Every substitution is a row of mapping.ts.
 */
import { resolveValue, type CfnValue, type IntrinsicContext } from './intrinsics.js';
import type { SecretsStandIn } from './secrets.js';
import type { Template } from './template-model.js';

export interface StackFacts {
  env: string;
  region: string;
  account: string;
  template: Template;
  secrets: SecretsStandIn;
  /** The edge template (for the KeyValueStore behind SKYWAY_KVS_ARN). */
  edge: Template;
  /** Port of the database partition proxy of this region. */
  databasePort?: number;
  /** Every regional stack's template (for cross-region references between regions, e.g. a multi-Region key). */
  peers?: Array<{ region: string; template: Template }>;
}

/** KMS key ARN in the stand-in: a multi-Region key's id is `mrk-<logical id of its primary>` in every region. */
const kmsKeyArn = (f: StackFacts, id: string): string =>
  `arn:aws:kms:${f.region}:${f.account}:key/${f.template.Resources[id]?.Properties?.MultiRegion === true ? `mrk-${id}` : id}`;

/** Placeholder host of a replication group's primary endpoint (task-env.ts replaces it). */
export const redisHost = (logicalId: string): string => `rg-${logicalId}.rehearsal`;
/** Placeholder host of an RDS instance endpoint. */
export const databaseHost = (logicalId: string): string => `db-${logicalId}.rehearsal`;
/** Placeholder hosts of an Aurora cluster's writer (Endpoint) and reader (ReadEndpoint) endpoints. */
export const clusterHost = (logicalId: string, endpoint: 'writer' | 'reader'): string => `dbc-${logicalId}-${endpoint}.rehearsal`;

export const bucketName = (env: string, region: string, logicalId: string): string =>
  `skyway-${env}-${region}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 63);

export const kvsArn = (account: string, logicalId: string): string => `arn:aws:cloudfront::${account}:key-value-store/${logicalId}`;

export function stackContext(f: StackFacts): IntrinsicContext {
  const typeOf = (id: string): string | undefined => f.template.Resources[id]?.Type;
  const ctx: IntrinsicContext = {
    ref(id) {
      switch (id) {
        case 'AWS::Partition':
          return 'aws';
        case 'AWS::Region':
          return f.region;
        case 'AWS::AccountId':
          return f.account;
        case 'AWS::URLSuffix':
          return 'amazonaws.com';
        case 'AWS::StackName':
          return `Skyway-${f.env}-${f.region}`;
      }
      const type = typeOf(id);
      if (type === 'AWS::SecretsManager::Secret') return f.secrets.arnOf(f.region, id, f.account);
      if (type === 'AWS::SecretsManager::SecretTargetAttachment') {
        const target = f.template.Resources[id]!.Properties!.SecretId as { Ref: string };
        return ctx.ref(target.Ref);
      }
      if (type === 'AWS::S3::Bucket') return bucketName(f.env, f.region, id);
      // The console's user pool and app client ids exist only after a deploy: their logical ids stand in (mapping.ts).
      if (type === 'AWS::Cognito::UserPool' || type === 'AWS::Cognito::UserPoolClient') return id;
      if (!type) throw new Error(`Ref to unknown resource ${id}`);
      return id;
    },
    getAtt(id, attr) {
      const type = typeOf(id);
      if (type === 'AWS::KMS::Key' && attr === 'Arn') return kmsKeyArn(f, id);
      // A replica has its primary's key id in its own region.
      if (type === 'AWS::KMS::ReplicaKey' && attr === 'Arn') {
        return resolveValue(f.template.Resources[id]!.Properties!.PrimaryKeyArn as CfnValue, ctx).replace(/^(arn:[^:]+:kms:)[^:]+:/, `$1${f.region}:`);
      }
      if (type === 'AWS::RDS::DBInstance' && attr === 'Endpoint.Address') return databaseHost(id);
      if (type === 'AWS::RDS::DBInstance' && attr === 'Endpoint.Port') return String(f.databasePort ?? 5432);
      if (type === 'AWS::RDS::DBCluster' && attr === 'Endpoint.Address') return clusterHost(id, 'writer');
      if (type === 'AWS::RDS::DBCluster' && attr === 'ReadEndpoint.Address') return clusterHost(id, 'reader');
      if (type === 'AWS::RDS::DBCluster' && attr === 'Endpoint.Port') return String(f.template.Resources[id]!.Properties?.Port ?? 5432);
      if (type === 'AWS::ElastiCache::ReplicationGroup' && attr === 'PrimaryEndPoint.Address') return redisHost(id);
      if (type === 'AWS::CloudFront::KeyValueStore' && attr === 'Arn') return kvsArn(f.account, id);
      if (type === 'AWS::S3::Bucket' && attr === 'Arn') return `arn:aws:s3:::${bucketName(f.env, f.region, id)}`;
      if (type === 'Custom::CrossRegionExportReader') {
        // The value the edge stack exported: find the edge resource named in the export.
        for (const [edgeId, r] of Object.entries(f.edge.Resources)) {
          if (r.Type === 'AWS::CloudFront::KeyValueStore' && attr.includes(edgeId)) return kvsArn(f.account, edgeId);
        }
        // Or another region's multi-Region key (the credentials key a replica copies).
        for (const peer of f.peers ?? []) {
          for (const [peerId, r] of Object.entries(peer.template.Resources)) {
            if (r.Type === 'AWS::KMS::Key' && attr.includes(peerId)) return kmsKeyArn({ ...f, region: peer.region, template: peer.template }, peerId);
          }
        }
      }
      throw new Error(`Fn::GetAtt ${id}.${attr} (${type ?? 'unknown'}) has no rehearsal mapping`);
    },
    secret(id, key) {
      return f.secrets.resolve(f.region, id, key);
    },
  };
  return ctx;
}
