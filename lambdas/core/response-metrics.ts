import { containmentFailed } from "./containment.js";
import type { Exposure } from "./exposure.js";
import type { ActionRecord } from "./incident.js";
import type { Decision } from "./plan.js";

/**
 * The respond function's metrics (namespace LeakedKeyResponder, Powertools Metrics, embedded metric
 * format): what the stack's dashboard shows. Names are the contract with the dashboard.
 */
export const RESPONSE_METRICS = {
  /** One per signal handled (dimension `Source`). */
  signals: "Signals",
  /** Signals whose response contained the key (or its sessions). */
  contained: "IncidentsContained",
  /** Signals only reported (notify-only, exempt, policy, nothing to change). */
  notified: "IncidentsNotified",
  /** From the signal's own time (`observedAt`) to the containing IAM change, in milliseconds. */
  timeToContain: "TimeToContain",
  /** A containment whose first IAM change failed: the key may still be active. */
  containmentFailures: "ContainmentFailures",
  /** A signal whose response did not complete (the invocation fails and is retried, then dead-lettered). */
  responseFailures: "ResponseFailures",
} as const;

/** The dimension of the per-source metric. */
export const SOURCE_DIMENSION = "Source";

export interface ResponseMetric {
  readonly name: (typeof RESPONSE_METRICS)[keyof typeof RESPONSE_METRICS];
  readonly unit: "Count" | "Milliseconds";
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Where metrics go (Powertools Metrics in Lambda). */
export interface MetricsSink {
  record(metrics: readonly ResponseMetric[]): void;
}

/** The IAM changes that contain: the key disabled, or its sessions denied. */
const CONTAINING = new Set(["disable-key", "revoke-sessions", "attach-session-deny-policy"]);

/** The metrics of one handled signal; duplicates count only as a signal. */
export function responseMetricsOf(
  exposure: Pick<Exposure, "source" | "observedAt">,
  outcome: { readonly decision: Decision; readonly actions: readonly ActionRecord[] },
): ResponseMetric[] {
  const count = (name: ResponseMetric["name"], dimensions: Record<string, string> = {}): ResponseMetric => ({
    name,
    unit: "Count",
    value: 1,
    dimensions,
  });
  const metrics = [count(RESPONSE_METRICS.signals, { [SOURCE_DIMENSION]: exposure.source })];
  if (outcome.decision === "notify") metrics.push(count(RESPONSE_METRICS.notified));
  if (outcome.decision !== "contain") return metrics;
  if (containmentFailed(outcome.actions)) return [...metrics, count(RESPONSE_METRICS.containmentFailures)];
  metrics.push(count(RESPONSE_METRICS.contained));
  const contained = outcome.actions.find((a) => CONTAINING.has(a.kind) && a.outcome === "done");
  const elapsed = contained ? Date.parse(contained.at) - Date.parse(exposure.observedAt) : Number.NaN;
  if (Number.isFinite(elapsed) && elapsed >= 0) {
    metrics.push({
      name: RESPONSE_METRICS.timeToContain,
      unit: "Milliseconds",
      value: elapsed,
      dimensions: {},
    });
  }
  return metrics;
}

/** The metric of a signal whose response failed (thrown: retried, then dead-lettered). */
export function failureMetricsOf(exposure: Pick<Exposure, "source">): ResponseMetric[] {
  return [
    {
      name: RESPONSE_METRICS.responseFailures,
      unit: "Count",
      value: 1,
      dimensions: { [SOURCE_DIMENSION]: exposure.source },
    },
  ];
}
