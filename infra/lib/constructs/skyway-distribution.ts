import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../../../shared/contract/index.js';
import { ADMIN_PATH_PATTERNS, adminViewerRequestCode } from './admin-viewer-request.js';

/** Header CloudFront adds to every origin request; the ALB forwards only requests that carry the secret value. */
export { ORIGIN_VERIFY_HEADER } from '../../../shared/contract/index.js';

export interface RegionOrigin {
  /** Origin id, selected by the viewer-request function with `cf.selectRequestOriginById`. */
  readonly id: string;
  /** DNS name of the region's ALB with a certificate for it (`origin-<region>.<zone>`). */
  readonly domainName: string;
}

export interface SkywayDistributionProps {
  /** Regional origins; the first is the default behaviour's origin. */
  readonly origins: readonly RegionOrigin[];
  /** Public host names served (API and admin). */
  readonly domainNames: readonly string[];
  /**
   * The admin host: `/admin` and `/admin/*` get their own behaviour (to the first region's origin, where the ALB
   * routes them to the admin service) with a function that accepts only this host.
   * @default - no admin behaviour (the API function answers /admin with 404)
   */
  readonly adminHost?: string;
  /** Hosted zone in which the certificate is validated and the alias records are created. */
  readonly hostedZone: route53.IHostedZone;
  /** The viewer-request function. */
  readonly viewerRequest: cloudfront.IFunction;
  /** ARN of the CLOUDFRONT-scope web ACL. */
  readonly webAclArn: string;
  /** Value of the origin-verification header (a dynamic reference to the secret, never a literal). */
  readonly originVerifyValue: string;
  /** Bucket for standard access logs (must accept ACL log delivery). */
  readonly logBucket: s3.IBucket;
  /**
   * Origin response timeout: the longest gap between packets of a response. SSE streams send a heartbeat well within it.
   * @default Duration.seconds(60)
   */
  readonly originReadTimeout?: Duration;
  /**
   * How long CloudFront keeps an idle connection to the origin open; the ALB idle timeout must be longer.
   * @default Duration.seconds(60)
   */
  readonly originKeepaliveTimeout?: Duration;
  /**
   * Price class.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
}

/**
 * The distribution in front of every region: nothing cached (LLM responses are per request), every viewer header but
 * Host forwarded (so `authorization` reaches the gateway), HTTPS only with TLS 1.2+, one origin per regional ALB.
 */
export class SkywayDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly certificate: acm.Certificate;
  /** The admin behaviour's function, when `adminHost` is set. */
  readonly adminFunction?: cloudfront.Function;

  constructor(scope: Construct, id: string, props: SkywayDistributionProps) {
    super(scope, id);
    if (props.origins.length === 0) throw new Error('SkywayDistribution needs at least one regional origin');
    const [primaryName, ...otherNames] = props.domainNames;
    if (!primaryName) throw new Error('SkywayDistribution needs at least one domain name');
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: primaryName,
      subjectAlternativeNames: otherNames,
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
    });
    const toOrigin = (o: RegionOrigin): cloudfront.IOrigin =>
      new origins.HttpOrigin(o.domainName, {
        originId: o.id,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        readTimeout: props.originReadTimeout ?? Duration.seconds(60),
        keepaliveTimeout: props.originKeepaliveTimeout ?? Duration.seconds(60),
        customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originVerifyValue },
      });
    const behaviour = (origin: cloudfront.IOrigin, viewerRequest: cloudfront.IFunction = props.viewerRequest): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: false,
      functionAssociations: [{ function: viewerRequest, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
    });
    const [primary, ...others] = props.origins.map(toOrigin);
    // A distribution only holds origins that some behaviour uses. Each further region gets a behaviour under
    // /_regions/<id>/ so that its origin exists and the function can switch a request to it by id.
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    others.forEach((origin, i) => {
      additionalBehaviors[`/_regions/${props.origins[i + 1]!.id}/*`] = behaviour(origin);
    });
    if (props.adminHost) {
      this.adminFunction = new cloudfront.Function(this, 'AdminViewerRequest', {
        code: cloudfront.FunctionCode.fromInline(adminViewerRequestCode(props.adminHost)),
        runtime: cloudfront.FunctionRuntime.JS_2_0,
        comment: `Skyway admin host ${props.adminHost}`,
        autoPublish: true,
      });
      for (const pattern of ADMIN_PATH_PATTERNS) additionalBehaviors[pattern] = behaviour(primary!, this.adminFunction);
    }
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Skyway ${primaryName}`,
      defaultBehavior: behaviour(primary!),
      additionalBehaviors,
      domainNames: [...props.domainNames],
      certificate: this.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      enableIpv6: true,
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'A global API gateway: geographic restriction is a per-deployment policy decision (data residency is enforced by home regions in the edge function), not a default.',
    });
    for (const name of props.domainNames) {
      const label = name.split('.')[0]!;
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      new route53.ARecord(this, `Alias-${label}`, { zone: props.hostedZone, recordName: name, target });
      new route53.AaaaRecord(this, `AliasV6-${label}`, { zone: props.hostedZone, recordName: name, target });
    }
  }
}
