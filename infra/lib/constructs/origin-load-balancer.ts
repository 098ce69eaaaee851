import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface OriginLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** Id of the `com.amazonaws.global.cloudfront.origin-facing` managed prefix list in this region. */
  readonly cloudFrontPrefixListId: string;
  /** Name CloudFront connects to (`origin-<region>.<zone>`); gets a certificate and an alias record. */
  readonly domainName: string;
  /** Zone of `domainName`. */
  readonly hostedZone: route53.IHostedZone;
  /** Bucket for ALB access logs (SSE-S3). */
  readonly logBucket: s3.IBucket;
  /**
   * Idle timeout; must exceed CloudFront's origin read and keep-alive timeouts so the ALB never closes a connection
   * CloudFront is about to reuse or a stream between heartbeats.
   * @default Duration.seconds(120)
   */
  readonly idleTimeout?: Duration;
}

/**
 * The regional ALB, reachable only from CloudFront: its security group admits only the CloudFront origin-facing
 * prefix list on 443, and the HTTPS listener answers 403 unless a rule (added by each service) matches the
 * origin-verification header.
 */
export class OriginLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: OriginLoadBalancerProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Skyway ALB: HTTPS from CloudFront origin-facing addresses only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.prefixList(props.cloudFrontPrefixListId), ec2.Port.tcp(443), 'CloudFront origin-facing');
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: this.securityGroup,
      idleTimeout: props.idleTimeout ?? Duration.seconds(120),
      dropInvalidHeaderFields: true,
      http2Enabled: true,
    });
    this.loadBalancer.logAccessLogs(props.logBucket, 'alb');
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domainName,
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
    });
    this.listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(403, {
        contentType: 'application/json',
        messageBody: '{"error":{"message":"Forbidden","type":"invalid_request_error","code":"origin_not_verified"}}',
      }),
    });
    new route53.ARecord(this, 'Alias', {
      zone: props.hostedZone,
      recordName: props.domainName,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
    });
  }
}
