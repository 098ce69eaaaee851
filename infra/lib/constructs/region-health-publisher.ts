/**
 * What a region needs to publish its health row to the edge KVS (regional/src/boot/region-health.ts): the api
 * service registered in a private DNS namespace so that the admin tasks can ask its readiness from inside the VPC
 * (the origin ALB admits only CloudFront's origin-facing prefix list), the security-group path between them, and
 * the admin role's settings naming this region's CloudFront origin id, weight and nearby viewer countries.
 */
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { contractEnvironment } from './contract-env.js';
import type { GatewayService } from './gateway-service.js';

export interface RegionHealthPublisherProps {
  readonly vpc: ec2.IVpc;
  /** Environment name: the namespace is `<name>.skyway.internal`. */
  readonly name: string;
  /** Region code: the row's name in the table. */
  readonly region: string;
  /** Id of this region's origin in the distribution (the function selects it with `cf.selectRequestOriginById`). */
  readonly originId: string;
  /** Port of the api role. */
  readonly apiPort: number;
  /**
   * Relative weight of this region among the healthy ones near a viewer.
   * @default 1
   */
  readonly weight?: number;
  /**
   * Viewer countries (ISO 3166-1 alpha-2) sent here first.
   * @default - none (this region serves viewers only when no region lists their country)
   */
  readonly near?: readonly string[];
}

export class RegionHealthPublisher extends Construct {
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  /** Settings of the admin role (plain values from the contract). */
  readonly adminEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: RegionHealthPublisherProps) {
    super(scope, id);
    const weight = props.weight ?? 1;
    if (!(weight > 0)) throw new Error(`RegionHealthPublisher: weight of ${props.region} must be > 0`);
    const near = props.near ?? [];
    const bad = near.filter((c) => !/^[A-Z]{2}$/.test(c));
    if (bad.length) throw new Error(`RegionHealthPublisher: near countries of ${props.region} must be ISO alpha-2 codes: ${bad.join(', ')}`);
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(props.originId)) throw new Error(`RegionHealthPublisher: invalid origin id ${props.originId}`);
    const namespaceName = `${props.name}.skyway.internal`;
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', { name: namespaceName, vpc: props.vpc });
    this.adminEnvironment = contractEnvironment({
      SKYWAY_REGION: props.region,
      SKYWAY_REGION_HEALTH_URL: `http://api.${namespaceName}:${props.apiPort}`,
      SKYWAY_REGION_ORIGIN_ID: props.originId,
      SKYWAY_REGION_WEIGHT: String(weight),
      ...(near.length ? { SKYWAY_REGION_NEAR: near.join(',') } : {}),
    });
  }

  /** Registers the api tasks as `api.<namespace>` and lets the admin tasks reach their port. */
  connect(api: GatewayService, admin: GatewayService, apiPort: number): void {
    api.service.enableCloudMap({ cloudMapNamespace: this.namespace, name: 'api', dnsRecordType: servicediscovery.DnsRecordType.A, dnsTtl: Duration.seconds(10) });
    api.securityGroup.addIngressRule(admin.securityGroup, ec2.Port.tcp(apiPort), 'admin role: region health probe');
  }
}
