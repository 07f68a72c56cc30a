import {
  type ActionOf,
  type ActionOutcome,
  type ActionRecord,
  type CloseKind,
  HAND_OVER_KIND,
  TAKE_OVER_KIND,
} from "../incident.js";
import { type UndoStep, undoDetailOf, undoTargetOf } from "./plan.js";

/** What a release or resolve writes onto incidents: typed action records, facts beside their wording. */

/** The signal id under which an operator's actions are recorded (the action schema requires one). */
export function operatorSignalId(kind: CloseKind, at: string): string {
  return `lkr:${kind}:${at}`;
}

export function undoRecordOf(
  step: UndoStep,
  at: string,
  outcome: ActionOutcome,
  signalId: string,
  detail?: string,
): ActionRecord {
  const base = {
    target: undoTargetOf(step),
    at,
    outcome,
    detail: detail === undefined ? undoDetailOf(step) : `${undoDetailOf(step)}: ${detail}`,
    signalId,
  };
  return step.kind === "reactivate-key"
    ? {
        ...base,
        kind: step.kind,
        subject: { type: "key", accessKeyId: step.accessKeyId, userName: step.userName },
      }
    : { ...base, kind: step.kind, subject: step.target };
}

/** The action that marks a release or resolve: later releases undo only what comes after it. */
export function closeMarkerOf(
  kind: CloseKind,
  incidentId: string,
  at: string,
  by: string,
  reason: string,
): ActionRecord {
  return {
    kind,
    target: incidentId,
    subject: { type: "incident", incidentId },
    at,
    outcome: "done",
    detail: `${by}: ${reason}`,
    signalId: operatorSignalId(kind, at),
  };
}

type DetachStep = Extract<UndoStep, { kind: "detach-quarantine-policy" | "detach-session-deny-policy" }>;

/** The record on the releasing incident: the policy stays, handed over to another incident. */
export function handOverRecordOf(
  step: DetachStep,
  at: string,
  signalId: string,
  reason: string,
): ActionOf<typeof HAND_OVER_KIND> {
  return {
    kind: HAND_OVER_KIND,
    target: undoTargetOf(step),
    subject: step.target,
    at,
    outcome: "done",
    detail: `${step.policyArn} kept attached: ${reason}`,
    signalId,
  };
}

/** The record on the incident that now holds the policy, with what its own release needs to detach it. */
export function takeOverRecordOf(
  step: DetachStep,
  fromIncidentId: string,
  at: string,
  signalId: string,
): ActionOf<typeof TAKE_OVER_KIND> {
  return {
    kind: TAKE_OVER_KIND,
    target: undoTargetOf(step),
    subject: step.target,
    at,
    outcome: "done",
    detail: `${step.policyArn} handed over by the release of incident ${fromIncidentId}, which the responder attached it for`,
    undo: {
      policyArn: step.policyArn,
      ...(step.kind === "detach-session-deny-policy" ? { policy: "session-deny" as const } : {}),
    },
    signalId,
  };
}
