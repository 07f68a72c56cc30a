import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../lambdas/core/contract.js";
import { RESPONSE_METRICS, SOURCE_DIMENSION } from "../lambdas/core/response-metrics.js";

export interface ResponderDashboardProps {
  readonly respondFunction: lambda.IFunction;
  readonly investigateFunction: lambda.IFunction;
  readonly auditFunction: lambda.IFunction;
  /** The dead-letter queues (and the informational queue), by what they hold. */
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  /** The period of every graph. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * One CloudWatch dashboard of the responder: signals by source, incidents contained and notified,
 * time to contain (the respond function's Powertools metrics), failures, dead-letter depth, and how
 * long investigations take.
 */
export class ResponderDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ResponderDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const own = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period,
        label,
      });
    const signalsBySource = new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},${SOURCE_DIMENSION},service} MetricName="${RESPONSE_METRICS.signals}"', 'Sum', ${period.toSeconds()})`,
      label: "",
      period,
    });
    const fns = {
      respond: props.respondFunction,
      investigate: props.investigateFunction,
      audit: props.auditFunction,
    };
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: "Signals by source",
            left: [signalsBySource],
            width: 12,
            stacked: true,
          }),
          new cloudwatch.GraphWidget({
            title: "Incidents contained / notified",
            left: [
              own(RESPONSE_METRICS.contained, "Sum", "contained"),
              own(RESPONSE_METRICS.notified, "Sum", "notified"),
            ],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Time to contain (signal to key disabled, ms)",
            left: [
              own(RESPONSE_METRICS.timeToContain, "p50", "p50"),
              own(RESPONSE_METRICS.timeToContain, "p99", "p99"),
              own(RESPONSE_METRICS.timeToContain, "Maximum", "max"),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: "Failures",
            left: [
              own(RESPONSE_METRICS.containmentFailures, "Sum", "containments failed"),
              new cloudwatch.MathExpression({
                expression: `SEARCH('{${METRICS_NAMESPACE},${SOURCE_DIMENSION},service} MetricName="${RESPONSE_METRICS.responseFailures}"', 'Sum', ${period.toSeconds()})`,
                label: "",
                period,
              }),
              ...Object.entries(fns).map(([name, fn]) =>
                fn.metricErrors({ period, statistic: "Sum", label: `${name} errors` }),
              ),
            ],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Dead-letter queues (messages waiting)",
            left: Object.entries(props.queues).map(([label, queue]) =>
              queue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum", label }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: "Investigate duration (ms)",
            left: [
              props.investigateFunction.metricDuration({ period, statistic: "p50", label: "p50" }),
              props.investigateFunction.metricDuration({ period, statistic: "Maximum", label: "max" }),
            ],
            width: 12,
          }),
        ],
      ],
    });
  }
}
