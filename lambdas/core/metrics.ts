import { METRICS_NAMESPACE } from "./contract.js";

/**
 * One count of `metric` as CloudWatch's embedded metric format: the fields a JSON log line
 * carries at its top level for CloudWatch Logs to turn it into a metric (no dimensions).
 */
export function emfCount(metric: string, at: Date): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: metric, Unit: "Count" }] },
      ],
    },
    [metric]: 1,
  };
}
