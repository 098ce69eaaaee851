import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface EdgeMonitoringProps {
  readonly distribution: cloudfront.Distribution;
  /** Name of the viewer-request function. */
  readonly functionName: string;
  /** Name of the web ACL (its `WebACL` metric dimension). */
  readonly webAclName: string;
  /** Topic the alarms notify. */
  readonly topic: sns.ITopic;
  /** Dashboard name. */
  readonly dashboardName: string;
  /**
   * CloudFront 5xx error rate (percent) that raises the alarm.
   * @default 1
   */
  readonly errorRatePercent?: number;
  /**
   * Function compute utilisation (percent of the ~1 ms budget) that raises the alarm.
   * @default 70
   */
  readonly computeUtilizationPercent?: number;
  /**
   * WAF blocked requests per 5 minutes that raise the alarm (a flood, or a rule blocking real traffic).
   * @default 1000
   */
  readonly wafBlocksPer5Minutes?: number;
}

/**
 * Alarms and dashboard of the edge. CloudFront, Function and WAF metrics exist only in us-east-1 (region "Global"),
 * so this construct must live in the edge stack.
 */
export class EdgeMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: EdgeMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const fn = (metricName: string, statistic: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/CloudFront',
        metricName,
        dimensionsMap: { FunctionName: props.functionName, Region: 'Global' },
        statistic,
        period,
      });
    const errorRate = props.distribution.metric5xxErrorRate({ period, statistic: 'Average' });
    const fnErrors = fn('FunctionExecutionErrors', 'Sum');
    const fnValidationErrors = fn('FunctionValidationErrors', 'Sum');
    const fnThrottles = fn('FunctionThrottles', 'Sum');
    const fnCompute = fn('FunctionComputeUtilization', 'Maximum');
    const wafBlocked = new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: props.webAclName, Rule: 'ALL' },
      statistic: 'Sum',
      period,
    });
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string): void => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(props.topic));
      a.addOkAction(new actions.SnsAction(props.topic));
      this.alarms.push(a);
    };
    alarm('Cdn5xxRate', errorRate, props.errorRatePercent ?? 1, 'CloudFront 5xx error rate above threshold (origins failing or unreachable)');
    alarm('FunctionErrors', fnErrors, 0, 'The viewer-request function threw: requests fail at the edge');
    alarm('FunctionValidationErrors', fnValidationErrors, 0, 'The viewer-request function returned an invalid event');
    alarm('FunctionThrottles', fnThrottles, 0, 'The viewer-request function is throttled (compute budget exceeded)');
    alarm('FunctionCompute', fnCompute, props.computeUtilizationPercent ?? 70, 'The viewer-request function is near its compute limit');
    alarm('WafBlocks', wafBlocked, props.wafBlocksPer5Minutes ?? 1000, 'WAF is blocking many requests: an attack, or a rule hitting real traffic');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Requests', left: [props.distribution.metricRequests({ period, statistic: 'Sum' })] }),
          new cloudwatch.GraphWidget({
            title: 'Error rates (%)',
            left: [props.distribution.metric4xxErrorRate({ period }), errorRate],
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Function errors and throttles', left: [fnErrors, fnValidationErrors, fnThrottles] }),
          new cloudwatch.GraphWidget({ title: 'Function compute utilisation (%)', left: [fnCompute] }),
          new cloudwatch.GraphWidget({ title: 'WAF blocked requests', left: [wafBlocked] }),
        ],
      ],
    });
  }
}
