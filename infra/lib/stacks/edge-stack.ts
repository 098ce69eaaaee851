import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, globalSecretNames, hostNames, originHostName, originId } from '../config/environment.js';
import { SkywayEdge } from '../constructs/skyway-edge.js';

/** CloudFront resources, their WAF and their metrics exist only in us-east-1. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Built viewer-request function (`dist/edge/viewer-request.js`). */
  readonly functionFile: string;
}

/** The edge of one environment, deployed to us-east-1 before the regional stacks. */
export class EdgeStack extends Stack {
  readonly edge: SkywayEdge;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: EDGE_REGION }, crossRegionReferences: true });
    const { config } = props;
    const hosts = hostNames(config);
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.domain.hostedZoneId,
      zoneName: config.domain.zoneName,
    });
    this.edge = new SkywayEdge(this, 'Edge', {
      name: config.name,
      functionFile: props.functionFile,
      apiHost: hosts.api,
      adminHost: hosts.admin,
      hostedZone,
      origins: config.regions.map((r) => ({ id: originId(r.region), domainName: originHostName(config, r.region) })),
      secretReplicaRegions: config.regions.map((r) => r.region).filter((r) => r !== EDGE_REGION),
      secretNames: globalSecretNames(config),
      adminAllowlist: config.adminAllowlist,
      rateLimits: {
        ipRateLimit: config.waf.ipRateLimit,
        authorizationRateLimit: config.waf.authorizationRateLimit,
        windowSeconds: config.waf.windowSeconds,
      },
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      retainData: config.retainData,
      priceClass: config.priceClass as cloudfront.PriceClass,
    });
  }

  /** ARN of the KeyValueStore (a cross-region reference when read from a regional stack). */
  get keyValueStoreArn(): string {
    return this.edge.edgeFunction.keyValueStore.keyValueStoreArn;
  }
}
