import type { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import { PowertoolsMetricsSink } from "../../lambdas/adapters/powertools-metrics.js";
import type { ActionRecord } from "../../lambdas/core/incident.js";
import { failureMetricsOf, responseMetricsOf } from "../../lambdas/core/response-metrics.js";
import { GUARDDUTY_EXPOSURE, KEY } from "../support/exposures.js";

const exposure = { ...GUARDDUTY_EXPOSURE, observedAt: "2026-11-28T12:00:00.000Z" };
function action(
  kind: ActionRecord["kind"],
  at: string,
  outcome: ActionRecord["outcome"] = "done",
): ActionRecord {
  return { kind, at, outcome, signalId: exposure.signalId, target: `${KEY} (user alice)` } as ActionRecord;
}

describe("responseMetricsOf", () => {
  it("a containment: a signal of its source, one incident contained, the time from the signal to the key's disable", () => {
    const metrics = responseMetricsOf(exposure, {
      decision: "contain",
      actions: [
        action("disable-key", "2026-11-28T12:00:00.750Z"),
        action("attach-quarantine-policy", "2026-11-28T12:00:01.100Z"),
      ],
    });
    expect(metrics).toEqual([
      { name: "Signals", unit: "Count", value: 1, dimensions: { Source: "guardduty" } },
      { name: "IncidentsContained", unit: "Count", value: 1, dimensions: {} },
      { name: "TimeToContain", unit: "Milliseconds", value: 750, dimensions: {} },
    ]);
  });

  it("a role's sessions revoked count as contained, timed by the revoke", () => {
    const metrics = responseMetricsOf(exposure, {
      decision: "contain",
      actions: [action("revoke-sessions", "2026-11-28T12:00:02.000Z")],
    });
    expect(metrics.find((m) => m.name === "TimeToContain")?.value).toBe(2000);
  });

  it("a containment whose first IAM change failed counts as a failure, never as contained", () => {
    const metrics = responseMetricsOf(exposure, {
      decision: "contain",
      actions: [action("disable-key", "2026-11-28T12:00:00.750Z", "failed")],
    });
    expect(metrics.map((m) => m.name)).toEqual(["Signals", "ContainmentFailures"]);
  });

  it("a key already inactive: contained, with no time (nothing was changed)", () => {
    const metrics = responseMetricsOf(exposure, {
      decision: "contain",
      actions: [action("disable-key", "2026-11-28T12:00:00.750Z", "already")],
    });
    expect(metrics.map((m) => m.name)).toEqual(["Signals", "IncidentsContained"]);
  });

  it.each([
    ["notify", ["Signals", "IncidentsNotified"]],
    ["duplicate", ["Signals"]],
    ["ignore", ["Signals"]],
  ] as const)("a %s decision counts %j", (decision, names) => {
    expect(responseMetricsOf(exposure, { decision, actions: [] }).map((m) => m.name)).toEqual(names);
  });

  it("a failed response counts as a failure of its source", () => {
    expect(failureMetricsOf(exposure)).toEqual([
      { name: "ResponseFailures", unit: "Count", value: 1, dimensions: { Source: "guardduty" } },
    ]);
  });
});

describe("PowertoolsMetricsSink", () => {
  it("publishes each metric on its own, with its dimensions", () => {
    const calls: string[] = [];
    const metrics = {
      singleMetric: () => ({
        addDimension: (name: string, value: string) => calls.push(`dimension ${name}=${value}`),
        addMetric: (name: string, unit: string, value: number) =>
          calls.push(`metric ${name} ${unit} ${value}`),
      }),
    } as unknown as Metrics;
    new PowertoolsMetricsSink(metrics).record([
      { name: "Signals", unit: "Count", value: 1, dimensions: { Source: "health" } },
      { name: "TimeToContain", unit: "Milliseconds", value: 420, dimensions: {} },
    ]);
    expect(calls).toEqual([
      "dimension Source=health",
      "metric Signals Count 1",
      "metric TimeToContain Milliseconds 420",
    ]);
  });
});
