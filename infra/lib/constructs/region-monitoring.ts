import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface RegionMonitoringProps {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Target group of the api service (its healthy host count is watched). */
  readonly apiTargetGroup: elbv2.ApplicationTargetGroup;
  readonly cluster: ecs.ICluster;
  /** Services shown on the dashboard. */
  readonly services: readonly ecs.FargateService[];
  readonly database: rds.DatabaseInstance;
  /** Postgres max_connections; the alarm fires at 90 % of it (180 of 200). */
  readonly databaseMaxConnections: number;
  readonly cache: elasticache.CfnReplicationGroup;
  /** Topic the alarms notify. */
  readonly topic: sns.ITopic;
  /** Dashboard name. */
  readonly dashboardName: string;
  /**
   * 5xx share of ALB requests (percent) that raises the alarm.
   * @default 1
   */
  readonly errorRatePercent?: number;
  /**
   * p95 target response time that raises the alarm.
   * @default Duration.millis(500)
   */
  readonly p95Latency?: Duration;
  /**
   * Healthy api targets below which the alarm fires.
   * @default 2
   */
  readonly minHealthyTargets?: number;
  /**
   * Database CPU percent that raises the alarm.
   * @default 80
   */
  readonly databaseCpuPercent?: number;
}

/** The reference deployment's regional alarms (to SNS) and a dashboard of the request path's stores and services. */
export class RegionMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  readonly taskStoppedRule: events.Rule;

  constructor(scope: Construct, id: string, props: RegionMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const alb = props.loadBalancer.metrics;
    const requests = alb.requestCount({ period, statistic: 'Sum' });
    const target5xx = alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' });
    const elb5xx = alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period, statistic: 'Sum' });
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(req > 0, 100 * (FILL(t5, 0) + FILL(e5, 0)) / req, 0)',
      usingMetrics: { req: requests, t5: target5xx, e5: elb5xx },
      label: '5xx %',
      period,
    });
    const p95 = alb.targetResponseTime({ period, statistic: 'p95' });
    const healthy = props.apiTargetGroup.metrics.healthyHostCount({ period, statistic: 'Minimum' });
    const dbCpu = props.database.metricCPUUtilization({ period, statistic: 'Average' });
    const dbConnections = props.database.metricDatabaseConnections({ period, statistic: 'Maximum' });
    const cacheMetric = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { ReplicationGroupId: props.cache.ref },
        statistic: 'Average',
        period,
      });

    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator,
      description: string,
      treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(props.topic));
      a.addOkAction(new actions.SnsAction(props.topic));
      this.alarms.push(a);
      return a;
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    alarm('Http5xxRate', errorRate, props.errorRatePercent ?? 1, above, '5xx responses above 1 % of ALB requests');
    alarm('LatencyP95', p95, (props.p95Latency ?? Duration.millis(500)).toMilliseconds() / 1000, above, 'p95 time to first byte from the gateway above 500 ms');
    alarm(
      'HealthyTargets',
      healthy,
      props.minHealthyTargets ?? 2,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      'Fewer than 2 healthy api tasks behind the ALB',
      cloudwatch.TreatMissingData.BREACHING,
    );
    alarm('DatabaseCpu', dbCpu, props.databaseCpuPercent ?? 80, above, 'Postgres CPU above 80 %');
    alarm('DatabaseConnections', dbConnections, Math.floor(props.databaseMaxConnections * 0.9), above, 'Postgres connections near max_connections');

    // Tasks that stop on their own (crash, failed health check, failed start) rather than by a deployment or scale-in.
    this.taskStoppedRule = new events.Rule(this, 'TaskStopped', {
      description: 'Skyway task stopped unexpectedly',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.cluster.clusterArn],
          lastStatus: ['STOPPED'],
          stopCode: ['EssentialContainerExited', 'TaskFailedToStart'],
        },
      },
      targets: [new eventTargets.SnsTopic(props.topic)],
    });
    const stoppedTasks = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.taskStoppedRule.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const stopped = new cloudwatch.Alarm(this, 'TaskStoppedUnexpectedly', {
      metric: stoppedTasks,
      threshold: 0,
      comparisonOperator: above,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'A gateway task stopped unexpectedly (essential container exited or failed to start)',
    });
    stopped.addAlarmAction(new actions.SnsAction(props.topic));
    this.alarms.push(stopped);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Requests', left: [requests] }),
          new cloudwatch.GraphWidget({ title: '5xx rate (%)', left: [errorRate] }),
          new cloudwatch.GraphWidget({
            title: 'Time to first byte',
            left: [alb.targetResponseTime({ period, statistic: 'p50' }), p95, alb.targetResponseTime({ period, statistic: 'p99' })],
          }),
          new cloudwatch.GraphWidget({ title: 'Healthy api tasks', left: [healthy] }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Task CPU (%)', left: props.services.map((s) => s.metricCpuUtilization({ period })) }),
          new cloudwatch.GraphWidget({ title: 'Task memory (%)', left: props.services.map((s) => s.metricMemoryUtilization({ period })) }),
          new cloudwatch.GraphWidget({ title: 'Postgres CPU and connections', left: [dbCpu], right: [dbConnections] }),
          new cloudwatch.GraphWidget({
            title: 'Valkey CPU and memory (%)',
            left: [cacheMetric('EngineCPUUtilization'), cacheMetric('DatabaseMemoryUsagePercentage')],
          }),
        ],
      ],
    });
  }
}

