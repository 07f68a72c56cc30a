import type { ActionOutcome, ActionRecord, Incident, IncidentStatus } from "./incident.js";
import { type FenceTarget, quarantineTagKey } from "./plan.js";
import { IncidentStateConflictError, UndoFactsError, WrongAccountError } from "./release-errors.js";

/**
 * Releasing an incident undoes exactly what the responder did to IAM, as its recorded actions say;
 * resolving closes it and changes nothing. Pure: the incident, the clock and the caller come in as
 * arguments.
 */
export type CloseKind = "release" | "resolve";

/** One thing a release gives back, naming exactly one key or principal. */
export type UndoStep =
  | { readonly kind: "reactivate-key"; readonly accessKeyId: string; readonly userName: string }
  | { readonly kind: "detach-quarantine-policy"; readonly target: FenceTarget; readonly policyArn: string }
  | { readonly kind: "delete-revoke-policy"; readonly target: FenceTarget; readonly policyName: string }
  | { readonly kind: "untag-principal"; readonly target: FenceTarget; readonly tagKeys: readonly string[] };

export type UndoStepKind = UndoStep["kind"];

/** An action of the responder that a release leaves as it is, and why. */
export interface KeptAction {
  readonly action: ActionRecord;
  readonly reason: string;
}

export interface ReleasePlan {
  readonly incidentId: string;
  /** In order: the key first (mirroring containment), the tags that mark the principal last. */
  readonly steps: readonly UndoStep[];
  readonly kept: readonly KeptAction[];
}

/** Statuses an operator may close: the responder still holds the key, or only told people. */
export const CLOSABLE_STATUSES: readonly IncidentStatus[] = ["contained", "notified"];

/** Action kinds that mark a release or resolve in the incident's action list. */
export const CLOSE_MARKER_KINDS: readonly string[] = ["release", "resolve"];

const UNDO_ORDER: readonly UndoStepKind[] = [
  "reactivate-key",
  "detach-quarantine-policy",
  "delete-revoke-policy",
  "untag-principal",
];

export function closedStatusOf(kind: CloseKind): "released" | "resolved" {
  return kind === "release" ? "released" : "resolved";
}

/** Release and resolve are allowed from contained and notified; a closed incident is a conflict. */
export function assertClosable(incident: Pick<Incident, "incidentId" | "status">, kind: CloseKind): void {
  if (!CLOSABLE_STATUSES.includes(incident.status)) {
    throw new IncidentStateConflictError(incident.incidentId, incident.status, kind);
  }
}

/**
 * A release acts with the caller's credentials: in any other account than the incident's it would
 * change a same-named user or role there, and leave the real key Inactive.
 */
export function assertSameAccount(
  incident: Pick<Incident, "incidentId" | "accountId">,
  callerAccountId: string,
): void {
  if (incident.accountId !== callerAccountId) {
    throw new WrongAccountError(incident.incidentId, incident.accountId, callerAccountId);
  }
}

/**
 * The keys, other than `accessKeyId`, whose quarantine the principal's tags still mark: the
 * quarantine policy is per principal, so while one of them is contained it must stay attached.
 */
export function otherQuarantinedKeys(tagKeys: readonly string[], accessKeyId: string): string[] {
  const prefix = quarantineTagKey("");
  return tagKeys
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length))
    .filter((key) => key !== "" && key !== accessKeyId)
    .sort();
}

/** Recorded on the incident that keeps a quarantine policy another incident's release left attached. */
export const TAKE_OVER_KIND = "take-over-quarantine-policy";
/** Recorded on the incident whose release left the policy attached for another key's quarantine. */
export const HAND_OVER_KIND = "hand-over-quarantine-policy";

/**
 * The actions recorded since the incident was last released or resolved: a later signal may
 * contain the key again, and a release gives back only what that containment did.
 */
export function actionsSinceLastClose(actions: readonly ActionRecord[]): readonly ActionRecord[] {
  let start = 0;
  actions.forEach((action, index) => {
    if (CLOSE_MARKER_KINDS.includes(action.kind)) start = index + 1;
  });
  return actions.slice(start);
}

const NAME = String.raw`[\w+=,.@-]{1,128}`;
const KEY_TARGET = new RegExp(String.raw`^((?:AKIA|ASIA)[A-Z0-9]{16}) \(user (${NAME})\)$`);
const FENCE_TARGET = new RegExp(`^(user|role) (${NAME})$`);

/** `user alice` / `role web` → the principal; undefined for anything else. */
export function fenceTargetOf(text: string): FenceTarget | undefined {
  const match = FENCE_TARGET.exec(text);
  if (!match) return undefined;
  return { type: match[1] === "role" ? "role" : "user", name: match[2] as string };
}

/** `AKIA… (user alice)` → the key and its user; undefined for anything else. */
export function keyTargetOf(text: string): { accessKeyId: string; userName: string } | undefined {
  const match = KEY_TARGET.exec(text);
  if (!match) return undefined;
  return { accessKeyId: match[1] as string, userName: match[2] as string };
}

function keptReason(action: ActionRecord): string | undefined {
  switch (action.outcome) {
    case "failed":
      return "failed when the responder tried it: nothing to undo";
    case "not-found":
      return "its target did not exist: nothing to undo";
    case "planned-only":
      return "only planned (notify-only): nothing was done";
    case "already":
      return action.kind === "disable-key"
        ? "the key was already Inactive before the responder acted: it stays Inactive"
        : action.kind === "attach-quarantine-policy"
          ? "the policy was attached before the responder acted: it stays attached"
          : "already so before the responder acted: left as it is";
    case "done":
      return undefined;
  }
}

const RESPONDER_ACTION_KINDS = [
  "disable-key",
  "attach-quarantine-policy",
  TAKE_OVER_KIND,
  "revoke-sessions",
  "tag-principal",
];

/**
 * The exact undo of what the responder did since the incident was last closed: the key is
 * reactivated only if the responder disabled an Active key; the quarantine policy is detached only
 * if the responder attached it (or another incident's release handed it over to this one); its inline deny policy is deleted and its tags removed. Repeated
 * containments (a key re-enabled and contained again) undo once. An action that says it was done
 * but lacks the facts to undo it fails the plan: undoing by guesswork is not undoing exactly.
 */
export function planRelease(incident: Pick<Incident, "incidentId" | "actions">): ReleasePlan {
  const steps: UndoStep[] = [];
  const kept: KeptAction[] = [];
  const seen = new Set<string>();
  const tagsByTarget = new Map<string, { target: FenceTarget; keys: string[] }>();
  const missing = (action: ActionRecord, what: string) =>
    new UndoFactsError(incident.incidentId, action.kind, action.target, what);
  const fenceTarget = (action: ActionRecord): FenceTarget => {
    const target = fenceTargetOf(action.target);
    if (!target) throw missing(action, `target "${action.target}" names no user or role`);
    return target;
  };
  const add = (id: string, step: UndoStep) => {
    if (seen.has(id)) return;
    seen.add(id);
    steps.push(step);
  };

  for (const action of actionsSinceLastClose(incident.actions)) {
    if (!RESPONDER_ACTION_KINDS.includes(action.kind)) continue;
    const reason = keptReason(action);
    if (reason !== undefined) {
      kept.push({ action, reason });
      continue;
    }
    const undo = action.undo ?? {};
    switch (action.kind) {
      case "disable-key": {
        const key = keyTargetOf(action.target);
        if (!key) throw missing(action, `target "${action.target}" names no key and user`);
        if (undo.previousStatus === undefined) throw missing(action, "undo.previousStatus missing");
        if (undo.previousStatus !== "Active") {
          kept.push({ action, reason: `the key was ${undo.previousStatus} before: it stays Inactive` });
          break;
        }
        add(`key:${key.accessKeyId}`, { kind: "reactivate-key", ...key });
        break;
      }
      case "attach-quarantine-policy":
      case TAKE_OVER_KIND: {
        // A policy the responder attached, or one another incident's release handed over.
        const target = fenceTarget(action);
        if (!undo.policyArn) throw missing(action, "undo.policyArn missing");
        add(`detach:${target.type}:${target.name}:${undo.policyArn}`, {
          kind: "detach-quarantine-policy",
          target,
          policyArn: undo.policyArn,
        });
        break;
      }
      case "revoke-sessions": {
        const target = fenceTarget(action);
        if (!undo.policyName) throw missing(action, "undo.policyName missing");
        add(`inline:${target.type}:${target.name}:${undo.policyName}`, {
          kind: "delete-revoke-policy",
          target,
          policyName: undo.policyName,
        });
        break;
      }
      case "tag-principal": {
        const target = fenceTarget(action);
        const keys = (undo.tagKeys ?? "")
          .split(",")
          .map((k) => k.trim())
          .filter((k) => k !== "");
        if (keys.length === 0) throw missing(action, "undo.tagKeys missing");
        const id = `${target.type}:${target.name}`;
        const entry = tagsByTarget.get(id) ?? { target, keys: [] };
        for (const k of keys) if (!entry.keys.includes(k)) entry.keys.push(k);
        tagsByTarget.set(id, entry);
        break;
      }
    }
  }
  for (const { target, keys } of tagsByTarget.values()) {
    steps.push({ kind: "untag-principal", target, tagKeys: keys });
  }
  const ordered = UNDO_ORDER.flatMap((kind) => steps.filter((s) => s.kind === kind));
  // A repeated containment finds the key disabled and the policy attached by the first one: its
  // "already" is the responder's own doing, undone by the first action's step.
  const undoneBy = (action: ActionRecord) =>
    action.outcome === "already" &&
    ordered.some((step) =>
      action.kind === "disable-key"
        ? step.kind === "reactivate-key" && keyTargetOf(action.target)?.accessKeyId === step.accessKeyId
        : action.kind === "attach-quarantine-policy" &&
          step.kind === "detach-quarantine-policy" &&
          undoTargetOf(step) === action.target,
    );
  return { incidentId: incident.incidentId, steps: ordered, kept: kept.filter((k) => !undoneBy(k.action)) };
}

/** How an undo step is named in the incident's action list (same shapes as the responder's). */
export function undoTargetOf(step: UndoStep): string {
  return step.kind === "reactivate-key"
    ? `${step.accessKeyId} (user ${step.userName})`
    : `${step.target.type} ${step.target.name}`;
}

/** The facts of an undo step worth keeping beside its result. */
export function undoDetailOf(step: UndoStep): string {
  switch (step.kind) {
    case "reactivate-key":
      return `access key ${step.accessKeyId} → Active`;
    case "detach-quarantine-policy":
      return `detach ${step.policyArn}`;
    case "delete-revoke-policy":
      return `delete inline policy ${step.policyName}`;
    case "untag-principal":
      return `remove tags ${step.tagKeys.join(", ")}`;
  }
}

/** A sentence for people: what the step will do. */
export function describeUndoStep(step: UndoStep): string {
  switch (step.kind) {
    case "reactivate-key":
      return `Reactivate access key ${step.accessKeyId} of user ${step.userName}`;
    case "detach-quarantine-policy":
      return `Detach ${step.policyArn} from ${step.target.type} ${step.target.name}`;
    case "delete-revoke-policy":
      return `Delete inline policy ${step.policyName} of ${step.target.type} ${step.target.name}`;
    case "untag-principal":
      return `Remove tag${step.tagKeys.length > 1 ? "s" : ""} ${step.tagKeys.join(", ")} from ${step.target.type} ${step.target.name}`;
  }
}

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
  return {
    kind: step.kind,
    target: undoTargetOf(step),
    at,
    outcome,
    detail: detail === undefined ? undoDetailOf(step) : `${undoDetailOf(step)}: ${detail}`,
    signalId,
  };
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
    at,
    outcome: "done",
    detail: `${by}: ${reason}`,
    signalId: operatorSignalId(kind, at),
  };
}

export interface ReleaseRecord {
  readonly at: string;
  readonly by: string;
  readonly reason: string;
  readonly kind: CloseKind;
}

/** What the undo results mean: `complete` unless a step failed; `conflicts` name what was gone. */
export interface ReleaseVerdict {
  readonly complete: boolean;
  /** Steps whose key or principal no longer exists (deleted meanwhile): nothing left to give back. */
  readonly conflicts: readonly ActionRecord[];
  /** Steps that failed (access denied, throttling, ...): the release must run again. */
  readonly failures: readonly ActionRecord[];
}

export function judgeRelease(records: readonly ActionRecord[]): ReleaseVerdict {
  const failures = records.filter((r) => r.outcome === "failed");
  return {
    complete: failures.length === 0,
    conflicts: records.filter((r) => r.outcome === "not-found"),
    failures,
  };
}

/** One line per conflict, for people: what could not be given back and why. */
export function describeConflict(record: ActionRecord): string {
  if (record.kind === "reactivate-key") {
    const key = keyTargetOf(record.target);
    return key
      ? `access key ${key.accessKeyId} of user ${key.userName} no longer exists (deleted meanwhile?): it could not be reactivated`
      : `${record.target} no longer exists: the key could not be reactivated`;
  }
  return `${record.target} no longer exists (deleted meanwhile?): ${record.kind} had nothing to act on`;
}

/** Why a release leaves the quarantine policy attached: other keys of the principal are still contained. */
export function stillNeededReason(otherKeys: readonly string[], heirIncidentId: string): string {
  const keys = otherKeys.join(", ");
  return `still needed by the quarantine of ${keys}: it stays attached, held now by incident ${heirIncidentId}, whose release detaches it`;
}

/** The record on the releasing incident: the policy stays, handed over to another incident. */
export function handOverRecordOf(
  step: Extract<UndoStep, { kind: "detach-quarantine-policy" }>,
  at: string,
  signalId: string,
  reason: string,
): ActionRecord {
  return {
    kind: HAND_OVER_KIND,
    target: undoTargetOf(step),
    at,
    outcome: "done",
    detail: `${step.policyArn} kept attached: ${reason}`,
    signalId,
  };
}

/** The record on the incident that now holds the policy, with what its own release needs to detach it. */
export function takeOverRecordOf(
  step: Extract<UndoStep, { kind: "detach-quarantine-policy" }>,
  fromIncidentId: string,
  at: string,
  signalId: string,
): ActionRecord {
  return {
    kind: TAKE_OVER_KIND,
    target: undoTargetOf(step),
    at,
    outcome: "done",
    detail: `${step.policyArn} handed over by the release of incident ${fromIncidentId}, which the responder attached it for`,
    undo: { policyArn: step.policyArn },
    signalId,
  };
}
