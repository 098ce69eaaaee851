import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface RegionNetworkProps {
  /** VPC CIDR. */
  readonly cidr: string;
  /**
   * Availability zones to span (at least two).
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * NAT gateways: one is cheaper, one per AZ survives the loss of an AZ.
   * @default 1
   */
  readonly natGateways?: number;
  /** Retention of the flow log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Keep the flow log group when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * The regional VPC: public subnets (ALB, NAT), private subnets with egress (tasks, which call LLM providers on the
 * internet), isolated subnets (Postgres, Valkey); endpoints so that image pulls, secrets, logs and archives stay off
 * the NAT; flow logs of all traffic.
 */
export class RegionNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;
  /** Interface endpoints; closed until `allowEndpointsFrom` opens them to a client. */
  readonly interfaceEndpoints: ec2.InterfaceVpcEndpoint[] = [];

  constructor(scope: Construct, id: string, props: RegionNetworkProps) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    if (maxAzs < 2) throw new Error('RegionNetwork needs at least two availability zones');
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      maxAzs,
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: {
        all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL },
      },
      restrictDefaultSecurityGroup: false,
    });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const endpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    };
    for (const [name, service] of Object.entries(endpoints)) {
      this.interfaceEndpoints.push(
        this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true, open: false, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
      );
    }
  }

  /** Lets `client` reach every interface endpoint on 443 (the endpoints admit no one else). */
  allowEndpointsFrom(client: ec2.IConnectable): void {
    for (const endpoint of this.interfaceEndpoints) endpoint.connections.allowDefaultPortFrom(client, 'gateway tasks');
  }
}
