import type { Incident, SignalRecord } from "../incident.js";
import type { ContainedDetail } from "./contained-event.js";

/** Investigate this containment, with these facts from the stored incident; or skip, and why. */
export type ContainmentVerdict =
  | { readonly kind: "investigate"; readonly containmentId: string; readonly detail: ContainedDetail }
  | { readonly kind: "skip"; readonly reason: string };

/** The signal that contained the key last: the containment an investigation is about. */
function lastContainingSignal(incident: Incident): SignalRecord | undefined {
  return incident.signals
    .filter((s) => s.decision === "contain")
    .reduce<SignalRecord | undefined>(
      (last, s) => (last && last.receivedAt > s.receivedAt ? last : s),
      undefined,
    );
}

/** The containment the incident is in (`<signal id>@<received at>`) and when it began; undefined unless contained. */
export function currentContainment(
  incident: Incident,
): { readonly containmentId: string; readonly containedAt: string } | undefined {
  if (incident.status !== "contained") return undefined;
  const signal = lastContainingSignal(incident);
  if (signal === undefined) return undefined;
  return { containmentId: `${signal.signalId}@${signal.receivedAt}`, containedAt: signal.receivedAt };
}

/**
 * Whether the stored incident is to be investigated now: only while it is contained, and once per
 * containment (`<signal id>@<received at>` of the signal that contained it; a new containment after
 * a release is a new one). The facts come from the incident, never from the event that asked.
 */
export function containmentToInvestigate(
  incident: Incident,
  investigatedContainment: string | undefined,
): ContainmentVerdict {
  if (incident.status !== "contained") {
    return { kind: "skip", reason: `incident is ${incident.status}, not contained` };
  }
  const signal = lastContainingSignal(incident);
  if (signal === undefined) return { kind: "skip", reason: "no containing signal recorded on the incident" };
  const containmentId = `${signal.signalId}@${signal.receivedAt}`;
  if (investigatedContainment === containmentId) {
    return { kind: "skip", reason: "already investigated for this containment" };
  }
  const observed = Number.isNaN(Date.parse(signal.observedAt)) ? {} : { observedAt: signal.observedAt };
  return {
    kind: "investigate",
    containmentId,
    detail: {
      incidentId: incident.incidentId,
      accountId: incident.accountId,
      region: signal.region,
      accessKeyId: incident.accessKeyId,
      principal: { ...incident.principal },
      signal: signal.signal,
      severity: signal.severity,
      containedAt: signal.receivedAt,
      ...observed,
    },
  };
}
