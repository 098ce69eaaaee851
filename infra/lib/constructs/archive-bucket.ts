import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../../../shared/contract/env.js';

export interface ArchiveBucketProps {
  /** Bucket receiving this bucket's server access logs. */
  readonly accessLogBucket: s3.IBucket;
  /**
   * Days before objects move to Standard-IA (S3 requires at least 30).
   * @default 30
   */
  readonly infrequentAccessAfterDays?: number;
  /**
   * Days before objects move to Glacier Flexible Retrieval.
   * @default 90
   */
  readonly glacierAfterDays?: number;
  /**
   * Days before objects expire.
   * @default 365
   */
  readonly expireAfterDays?: number;
  /**
   * Keep the bucket when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/** The payload archive (request/response bodies as batched objects): KMS, versioned, TLS only, private, aged out. */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    const ia = props.infrequentAccessAfterDays ?? 30;
    const glacier = props.glacierAfterDays ?? 90;
    const expire = props.expireAfterDays ?? 365;
    if (!(ia < glacier && glacier < expire)) throw new Error(`ArchiveBucket: need infrequent access (${ia}) < glacier (${glacier}) < expiry (${expire}) days`);
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Skyway payload archive' });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          // Only the archive ages into Glacier: spooled usage batches must stay readable for replay.
          id: 'age-out',
          prefix: ENV.SKYWAY_S3_PREFIX.default,
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(ia) },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(glacier) },
          ],
          expiration: Duration.days(expire),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        {
          // Undelivered usage batches (any task replays and deletes them); a batch still here after 30 days
          // is one no sink could take: it expires rather than moving to a storage class replay cannot read.
          id: 'spool',
          prefix: ENV.SKYWAY_USAGE_SPOOL_PREFIX.default,
          expiration: Duration.days(30),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy: props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
