import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { SecretValue } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic.js';
import { EdgeFunction } from './edge-function.js';
import { EdgeMonitoring } from './edge-monitoring.js';
import { GlobalSecrets } from './global-secrets.js';
import { LogBucket } from './log-bucket.js';
import { type RegionOrigin, SkywayDistribution } from './skyway-distribution.js';
import { SkywayWebAcl } from './skyway-web-acl.js';

export interface SkywayEdgeProps {
  /** Short name used in resource names (`skyway-<name>`), e.g. the environment name. */
  readonly name: string;
  /** Path of the built viewer-request function (`dist/edge/viewer-request.js`). */
  readonly functionFile: string;
  /** Public API host name, e.g. `api.example.com`. */
  readonly apiHost: string;
  /** Admin host name, e.g. `admin.example.com`. */
  readonly adminHost: string;
  /** Public hosted zone holding both host names. */
  readonly hostedZone: route53.IHostedZone;
  /** Regional origins; the first is the default. */
  readonly origins: readonly RegionOrigin[];
  /** Regions other than this stack's that need replicas of the shared secrets. */
  readonly secretReplicaRegions: readonly string[];
  /** Names of the shared secrets. */
  readonly secretNames: { readonly originVerify: string; readonly masterKey: string; readonly keySigning: string };
  /**
   * CIDRs allowed on the admin host.
   * @default [] - admin host closed
   */
  readonly adminAllowlist?: readonly string[];
  /**
   * WAF rate limits per window.
   * @default { ipRateLimit: 2000, authorizationRateLimit: 1000, windowSeconds: 300 }
   */
  readonly rateLimits?: { readonly ipRateLimit: number; readonly authorizationRateLimit: number; readonly windowSeconds: number };
  /**
   * E-mail for edge alarms.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * Keep secrets and logs when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * CloudFront price class.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
}

/**
 * Everything Skyway runs at the edge, in us-east-1: KeyValueStore, viewer-request function, distribution, WAF,
 * shared secrets, alarms and dashboard.
 */
export class SkywayEdge extends Construct {
  readonly edgeFunction: EdgeFunction;
  readonly distribution: SkywayDistribution;
  readonly webAcl: SkywayWebAcl;
  readonly secrets: GlobalSecrets;
  readonly monitoring: EdgeMonitoring;
  readonly alarmTopic: AlarmTopic;

  constructor(scope: Construct, id: string, props: SkywayEdgeProps) {
    super(scope, id);
    const prefix = `skyway-${props.name}`;
    const rates = props.rateLimits ?? { ipRateLimit: 2000, authorizationRateLimit: 1000, windowSeconds: 300 };
    this.secrets = new GlobalSecrets(this, 'Secrets', {
      originVerifyName: props.secretNames.originVerify,
      masterKeyName: props.secretNames.masterKey,
      keySigningName: props.secretNames.keySigning,
      replicaRegions: props.secretReplicaRegions,
      retain: props.retainData ?? true,
    });
    this.edgeFunction = new EdgeFunction(this, 'Function', { codeFile: props.functionFile, comment: `${prefix} viewer-request` });
    this.webAcl = new SkywayWebAcl(this, 'Waf', {
      name: `${prefix}-edge`,
      adminHost: props.adminHost,
      adminAllowlist: props.adminAllowlist ?? [],
      ...rates,
    });
    const logs = new LogBucket(this, 'AccessLogs', { aclLogDelivery: true, retain: props.retainData ?? true });
    this.distribution = new SkywayDistribution(this, 'Cdn', {
      origins: props.origins,
      domainNames: [props.apiHost, props.adminHost],
      adminHost: props.adminHost,
      hostedZone: props.hostedZone,
      viewerRequest: this.edgeFunction.function,
      webAclArn: this.webAcl.webAcl.attrArn,
      // A dynamic reference by name: CloudFormation resolves it at deploy, the value never enters the template.
      originVerifyValue: SecretValue.secretsManager(props.secretNames.originVerify).unsafeUnwrap(),
      logBucket: logs.bucket,
      ...(props.priceClass ? { priceClass: props.priceClass } : {}),
    });
    this.distribution.node.addDependency(this.secrets.originVerify);
    this.alarmTopic = new AlarmTopic(this, 'Alarms', props.alarmEmail ? { email: props.alarmEmail } : {});
    this.monitoring = new EdgeMonitoring(this, 'Monitoring', {
      distribution: this.distribution.distribution,
      functionName: this.edgeFunction.function.functionName,
      webAclName: `${prefix}-edge`,
      topic: this.alarmTopic.topic,
      dashboardName: `${prefix}-edge`,
    });
  }
}
