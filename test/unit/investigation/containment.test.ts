import { describe, expect, it } from "vitest";
import { containmentToInvestigate } from "../../../lambdas/core/investigation/containment.js";
import { ACCOUNT_ID, storedIncident } from "./support.js";

const KEY = "AKIAR7ISFR69YWROPYAN";
const AT = "2024-08-01T14:00:00.000Z";

describe("containmentToInvestigate", () => {
  it("investigates a contained incident with the facts of the signal that contained it", () => {
    expect(containmentToInvestigate(storedIncident(KEY, AT), undefined)).toEqual({
      kind: "investigate",
      containmentId: `guardduty:finding-1@${AT}`,
      detail: {
        incidentId: `${ACCOUNT_ID}-${KEY}`,
        accountId: ACCOUNT_ID,
        region: "us-east-1",
        accessKeyId: KEY,
        principal: { type: "user", name: "christophe" },
        signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        severity: "high",
        containedAt: AT,
        observedAt: AT,
      },
    });
  });

  it("takes the latest containing signal, not a later notification", () => {
    const base = storedIncident(KEY, AT);
    const first = base.signals[0] as (typeof base.signals)[number];
    const incident = storedIncident(KEY, AT, {
      signals: [
        { ...first, signalId: "health:later", receivedAt: "2024-08-02T00:00:00.000Z", region: "global" },
        first,
        {
          ...first,
          signalId: "cloudtrail:notice",
          receivedAt: "2024-08-03T00:00:00.000Z",
          decision: "notify",
        },
      ],
    });
    const verdict = containmentToInvestigate(incident, `guardduty:finding-1@${AT}`);
    expect(verdict).toMatchObject({
      kind: "investigate",
      containmentId: "health:later@2024-08-02T00:00:00.000Z",
      detail: { region: "global", containedAt: "2024-08-02T00:00:00.000Z" },
    });
  });

  it.each([
    ["released", "incident is released, not contained"],
    ["resolved", "incident is resolved, not contained"],
    ["notified", "incident is notified, not contained"],
  ] as const)("skips an incident that is %s", (status, reason) => {
    expect(containmentToInvestigate(storedIncident(KEY, AT, { status }), undefined)).toEqual({
      kind: "skip",
      reason,
    });
  });

  it("skips a containment already investigated", () => {
    expect(containmentToInvestigate(storedIncident(KEY, AT), `guardduty:finding-1@${AT}`)).toEqual({
      kind: "skip",
      reason: "already investigated for this containment",
    });
  });

  it("skips a contained incident with no containing signal on record", () => {
    const incident = storedIncident(KEY, AT);
    const notify = {
      ...(incident.signals[0] as (typeof incident.signals)[number]),
      decision: "notify" as const,
    };
    expect(containmentToInvestigate({ ...incident, signals: [notify] }, undefined)).toEqual({
      kind: "skip",
      reason: "no containing signal recorded on the incident",
    });
  });
});
