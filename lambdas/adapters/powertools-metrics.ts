import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../core/contract.js";
import type { MetricsSink, ResponseMetric } from "../core/response-metrics.js";

const UNITS: Record<ResponseMetric["unit"], (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
};

/**
 * Powertools Metrics: each metric one embedded-metric-format line on stdout (CloudWatch Logs turns
 * it into a metric), dimensions `service` and the metric's own.
 */
export class PowertoolsMetricsSink implements MetricsSink {
  constructor(
    private readonly metrics: Metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
    }),
  ) {}

  record(list: readonly ResponseMetric[]): void {
    for (const m of list) {
      const single = this.metrics.singleMetric();
      for (const [name, value] of Object.entries(m.dimensions)) single.addDimension(name, value);
      single.addMetric(m.name, UNITS[m.unit], m.value);
    }
  }
}
