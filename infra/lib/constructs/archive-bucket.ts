import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

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
          id: 'age-out',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(ia) },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(glacier) },
          ],
          expiration: Duration.days(expire),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
