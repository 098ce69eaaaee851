import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HEALTH_PATHS, ORIGIN_VERIFY_HEADER } from '../../../shared/contract/index.js';
import { contractProblems } from './contract-env.js';

/** Fargate's ceiling for a container's stop timeout. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;

export interface GatewayScaling {
  /** Fewest tasks. */
  readonly minTasks: number;
  /** Most tasks. */
  readonly maxTasks: number;
  /** ALBRequestCountPerTarget target (requests per task per minute). */
  readonly requestsPerTarget: number;
  /**
   * Average CPU above which tasks are added.
   * @default 70
   */
  readonly scaleOutCpuPercent?: number;
  /**
   * Average CPU below which tasks are removed.
   * @default 30
   */
  readonly scaleInCpuPercent?: number;
}

export interface GatewayServiceProps {
  readonly cluster: ecs.ICluster;
  /** The gateway image (one image for both roles). */
  readonly image: ecs.ContainerImage;
  /** SKYWAY_ROLE of the container. */
  readonly role: 'api' | 'admin';
  /** Port the role serves on (PORT for api, ADMIN_PORT for admin); target group and health checks use it. */
  readonly port: number;
  /** Task CPU units. */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memoryMiB: number;
  /** Tasks at deploy time (the scaling minimum when scaling is set). */
  readonly desiredCount: number;
  /** Plain settings (no secrets). */
  readonly environment: Record<string, string>;
  /** Settings read from Secrets Manager at task start. */
  readonly secrets: Record<string, ecs.Secret>;
  /** HTTPS listener of the origin ALB. */
  readonly listener: elbv2.ApplicationListener;
  /** Security group of the ALB (allowed to reach the tasks). */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** Listener rule priority (lower wins). */
  readonly priority: number;
  /** Value the origin-verification header must carry (a dynamic reference, never a literal). */
  readonly originVerifyValue: string;
  /**
   * Path patterns routed to this service; none means every path that carries the header.
   * @default - all paths
   */
  readonly pathPatterns?: readonly string[];
  /**
   * How long a stopping task keeps serving in-flight streams; also the ALB deregistration delay.
   * The container's stop timeout is this plus 10 s, so SIGKILL never cuts a drain short.
   * @default Duration.seconds(90)
   */
  readonly drainTime?: Duration;
  /** Log retention of the service's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Auto scaling on CPU steps and request count.
   * @default - fixed `desiredCount`
   */
  readonly scaling?: GatewayScaling;
}

/**
 * One role of the gateway on Fargate behind the origin ALB: task definition with secrets and health check, service
 * with deployment circuit breaker, target group with readiness checks, a listener rule that requires the
 * origin-verification header, optional auto scaling.
 */
export class GatewayService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  private readonly plainNames: string[];
  private readonly secretNames: string[];

  constructor(scope: Construct, id: string, props: GatewayServiceProps) {
    super(scope, id);
    const drain = props.drainTime ?? Duration.seconds(90);
    const stopTimeout = drain.toSeconds() + 10;
    if (stopTimeout > FARGATE_MAX_STOP_TIMEOUT_SECONDS) {
      throw new Error(`GatewayService: drain time ${drain.toSeconds()} s leaves no room under Fargate's ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} s stop timeout`);
    }
    const vpc = props.cluster.vpc;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const healthUrl = `http://127.0.0.1:${props.port}${HEALTH_PATHS.liveliness}`;
    const environment = {
      ...props.environment,
      SKYWAY_ROLE: props.role,
      SKYWAY_DRAIN_TIMEOUT_MS: String(drain.toMilliseconds()),
    };
    this.plainNames = Object.keys(environment);
    this.secretNames = Object.keys(props.secrets);
    // The container must get what the contract requires of its role, by the contract's names (synth fails otherwise).
    this.node.addValidation({ validate: () => contractProblems(props.role, this.plainNames, this.secretNames) });
    this.taskDefinition.addContainer('gateway', {
      image: props.image,
      essential: true,
      environment,
      secrets: props.secrets,
      portMappings: [{ containerPort: props.port, protocol: ecs.Protocol.TCP, name: props.role }],
      stopTimeout: Duration.seconds(stopTimeout),
      healthCheck: {
        // The image has no curl; Node 20's fetch is enough.
        command: ['CMD-SHELL', `node -e "fetch('${healthUrl}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: props.role,
        logGroup: this.logGroup,
        // Never block the event loop on a slow log pipe; drop lines past the buffer instead.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `Skyway ${props.role} tasks`,
      // Tasks call LLM providers on the internet through NAT.
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(props.loadBalancerSecurityGroup, ec2.Port.tcp(props.port), 'origin ALB');
    props.loadBalancerSecurityGroup.connections.allowTo(this.securityGroup, ec2.Port.tcp(props.port), `to ${props.role} tasks`);
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      healthCheckGracePeriod: Duration.seconds(60),
      enableExecuteCommand: false,
    });
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc,
      port: props.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: drain,
      healthCheck: {
        path: HEALTH_PATHS.readiness,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    this.service.attachToApplicationTargetGroup(this.targetGroup);
    const conditions = [elbv2.ListenerCondition.httpHeader(ORIGIN_VERIFY_HEADER, [props.originVerifyValue])];
    if (props.pathPatterns?.length) conditions.push(elbv2.ListenerCondition.pathPatterns([...props.pathPatterns]));
    new elbv2.ApplicationListenerRule(this, 'Rule', {
      listener: props.listener,
      priority: props.priority,
      conditions,
      action: elbv2.ListenerAction.forward([this.targetGroup]),
    });
    if (props.scaling) this.addScaling(props.scaling);
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls and log writes are scoped by CDK to the repository and log group.',
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'Only non-secret settings (ports, role, log level, bucket name, timeouts) are plain environment variables; every credential comes from Secrets Manager through `secrets`.',
    });
  }

  /** Hands a Secrets Manager reference to the container as the variable `name` (a contract name). */
  addSecret(name: string, secret: ecs.Secret): void {
    this.taskDefinition.defaultContainer!.addSecret(name, secret);
    this.secretNames.push(name);
  }

  /** Records why the task role's S3/KMS grants (from `grantRead`/`grantReadWrite` on the archive) use wildcards. */
  acknowledgeArchiveGrants(bucketArnFinding: string, actions: readonly string[]): void {
    const reason =
      'Generated by grantRead/grantReadWrite on the payload archive: object-level actions on that one bucket and its KMS key only; the wildcards are S3 action families and the bucket\'s object keys.';
    const policy = this.taskDefinition.taskRole.node.tryFindChild('DefaultPolicy');
    if (!policy) return;
    for (const action of actions) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${bucketArnFinding}/*]`, reason });
  }

  private addScaling(scaling: GatewayScaling): void {
    const capacity = this.service.autoScaleTaskCount({ minCapacity: scaling.minTasks, maxCapacity: scaling.maxTasks });
    // Step scaling rather than target tracking: out fast above the high mark, in gently below the low one.
    capacity.scaleOnMetric('Cpu', {
      metric: this.service.metricCpuUtilization({ period: Duration.minutes(1) }),
      scalingSteps: [
        { upper: scaling.scaleInCpuPercent ?? 30, change: -1 },
        { lower: scaling.scaleOutCpuPercent ?? 70, change: +2 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: Duration.seconds(60),
    });
    capacity.scaleOnRequestCount('Requests', {
      requestsPerTarget: scaling.requestsPerTarget,
      targetGroup: this.targetGroup,
      scaleInCooldown: Duration.seconds(300),
      scaleOutCooldown: Duration.seconds(60),
    });
  }
}
