import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface LogBucketProps {
  /**
   * Days after which log objects expire.
   * @default 90
   */
  readonly expireAfterDays?: number;
  /**
   * Whether the bucket must accept ACL-based log delivery (CloudFront standard logs need it).
   * @default false
   */
  readonly aclLogDelivery?: boolean;
  /**
   * Keep the bucket and its logs when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * A bucket that receives access logs (ALB, S3 server access, CloudFront). SSE-S3, not KMS: ALB and CloudFront log
 * delivery cannot write into buckets encrypted with a customer key.
 */
export class LogBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogBucketProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: props.aclLogDelivery ? s3.ObjectOwnership.OBJECT_WRITER : s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.expireAfterDays ?? 90) }],
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop and into another bucket would only move the question.',
    });
  }
}
