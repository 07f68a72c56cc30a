import {
  type ActionOf,
  type ActionRecord,
  actionsSinceLastClose,
  type CloseKind,
  type Incident,
  type IncidentStatus,
  TAKE_OVER_KIND,
} from "../incident.js";
import { quarantineTagKey } from "../plan.js";
import type { FenceTarget } from "../vocabulary.js";
import { IncidentStateConflictError, UndoFactsError, WrongAccountError } from "./errors.js";

/**
 * Releasing an incident undoes exactly what the responder did to IAM, as its recorded actions say;
 * resolving closes it and changes nothing. Pure: the incident, the clock and the caller come in as
 * arguments. Every fact comes from the typed action records: nothing here reads display text.
 */
export type { CloseKind } from "../incident.js";

/** One thing a release gives back, naming exactly one key or principal. */
export type UndoStep =
  | { readonly kind: "reactivate-key"; readonly accessKeyId: string; readonly userName: string }
  | { readonly kind: "detach-quarantine-policy"; readonly target: FenceTarget; readonly policyArn: string }
  | { readonly kind: "detach-session-deny-policy"; readonly target: FenceTarget; readonly policyArn: string }
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

/**
 * Statuses an operator may close: the responder still holds the key, it only told people, or an
 * earlier release stopped half-way (run it again: every step is idempotent).
 */
export const CLOSABLE_STATUSES: readonly IncidentStatus[] = ["contained", "notified", "releasing"];

const UNDO_ORDER: readonly UndoStepKind[] = [
  "reactivate-key",
  "detach-quarantine-policy",
  "detach-session-deny-policy",
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

export { actionsSinceLastClose };

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
        : action.kind === "attach-quarantine-policy" || action.kind === "attach-session-deny-policy"
          ? "the policy was attached before the responder acted: it stays attached"
          : "already so before the responder acted: left as it is";
    case "done":
      return undefined;
  }
}

type UndoableAction = ActionOf<
  | "disable-key"
  | "attach-quarantine-policy"
  | "attach-session-deny-policy"
  | typeof TAKE_OVER_KIND
  | "revoke-sessions"
  | "tag-principal"
>;

function isUndoable(action: ActionRecord): action is UndoableAction {
  switch (action.kind) {
    case "disable-key":
    case "attach-quarantine-policy":
    case "attach-session-deny-policy":
    case TAKE_OVER_KIND:
    case "revoke-sessions":
    case "tag-principal":
      return true;
    default:
      return false;
  }
}

/** What one done action asks a release to give back, or why it stays; UndoFactsError when facts are missing. */
type Undo = { readonly step: UndoStep } | { readonly kept: string };

function missing(incidentId: string, action: ActionRecord, what: string): UndoFactsError {
  return new UndoFactsError(incidentId, action.kind, action.target, what);
}

function fenceTargetOf(incidentId: string, action: Exclude<UndoableAction, { kind: "disable-key" }>) {
  if (action.subject === undefined) {
    throw missing(incidentId, action, `target "${action.target}" names no user or role`);
  }
  return action.subject;
}

function undoOf(incidentId: string, action: UndoableAction): Undo {
  switch (action.kind) {
    case "disable-key": {
      const key = action.subject;
      if (key === undefined)
        throw missing(incidentId, action, `target "${action.target}" names no key and user`);
      const previous = action.undo?.previousStatus;
      if (previous === undefined) throw missing(incidentId, action, "undo.previousStatus missing");
      if (previous === "unknown") {
        return {
          kept: "its status before the responder acted is unknown (read while it was being disabled): it stays Inactive; reactivate it by hand if it was Active",
        };
      }
      if (previous !== "Active") return { kept: `the key was ${previous} before: it stays Inactive` };
      return { step: { kind: "reactivate-key", accessKeyId: key.accessKeyId, userName: key.userName } };
    }
    case "attach-quarantine-policy":
    case "attach-session-deny-policy":
    case TAKE_OVER_KIND: {
      // A policy the responder attached, or one another incident's release handed over.
      const target = fenceTargetOf(incidentId, action);
      const policyArn = action.undo?.policyArn;
      if (!policyArn) throw missing(incidentId, action, "undo.policyArn missing");
      const sessionDeny =
        action.kind === "attach-session-deny-policy" ||
        (action.kind === TAKE_OVER_KIND && action.undo?.policy === "session-deny");
      const kind = sessionDeny ? "detach-session-deny-policy" : "detach-quarantine-policy";
      return { step: { kind, target, policyArn } };
    }
    case "revoke-sessions": {
      const target = fenceTargetOf(incidentId, action);
      const policyName = action.undo?.policyName;
      if (!policyName) throw missing(incidentId, action, "undo.policyName missing");
      return { step: { kind: "delete-revoke-policy", target, policyName } };
    }
    case "tag-principal": {
      const target = fenceTargetOf(incidentId, action);
      const tagKeys = action.undo?.tagKeys ?? [];
      if (tagKeys.length === 0) throw missing(incidentId, action, "undo.tagKeys missing");
      return { step: { kind: "untag-principal", target, tagKeys } };
    }
  }
}

/** Same key or principal (and policy): a repeated containment is undone once. */
function identityOf(step: UndoStep): string {
  switch (step.kind) {
    case "reactivate-key":
      return `key:${step.accessKeyId}`;
    case "detach-quarantine-policy":
    case "detach-session-deny-policy":
      return `detach:${step.target.type}:${step.target.name}:${step.policyArn}`;
    case "delete-revoke-policy":
      return `inline:${step.target.type}:${step.target.name}:${step.policyName}`;
    case "untag-principal":
      return `tags:${step.target.type}:${step.target.name}`;
  }
}

function merge(existing: UndoStep | undefined, step: UndoStep): UndoStep {
  if (existing?.kind !== "untag-principal" || step.kind !== "untag-principal") return existing ?? step;
  // Tags of the same principal are removed in one step, each key once.
  return { ...existing, tagKeys: [...new Set([...existing.tagKeys, ...step.tagKeys])] };
}

/**
 * A repeated containment finds the key disabled and the policy attached by the first one: its
 * "already" is the responder's own doing, undone by the first action's step.
 */
function undoneBy(action: ActionRecord, steps: readonly UndoStep[]): boolean {
  if (action.outcome !== "already") return false;
  return steps.some((step) =>
    action.kind === "disable-key"
      ? step.kind === "reactivate-key" && action.subject?.accessKeyId === step.accessKeyId
      : (action.kind === "attach-quarantine-policy" || action.kind === "attach-session-deny-policy") &&
        (step.kind === "detach-quarantine-policy" || step.kind === "detach-session-deny-policy") &&
        action.subject?.type === step.target.type &&
        action.subject.name === step.target.name,
  );
}

/**
 * The exact undo of what the responder did since the incident was last closed: the key is
 * reactivated only if the responder disabled an Active key; the quarantine policy is detached only
 * if the responder attached it (or another incident's release handed it over to this one); its
 * inline deny policy is deleted and its tags removed. Repeated containments (a key re-enabled and
 * contained again) undo once. An action that says it was done but lacks the facts to undo it
 * fails the plan: undoing by guesswork is not undoing exactly.
 */
export function planRelease(incident: Pick<Incident, "incidentId" | "actions">): ReleasePlan {
  const steps = new Map<string, UndoStep>();
  const kept: KeptAction[] = [];
  for (const action of actionsSinceLastClose(incident.actions)) {
    if (!isUndoable(action)) continue;
    const reason = keptReason(action);
    if (reason !== undefined) {
      kept.push({ action, reason });
      continue;
    }
    const undo = undoOf(incident.incidentId, action);
    if ("kept" in undo) {
      kept.push({ action, reason: undo.kept });
      continue;
    }
    const id = identityOf(undo.step);
    steps.set(id, merge(steps.get(id), undo.step));
  }
  const ordered = UNDO_ORDER.flatMap((kind) => [...steps.values()].filter((s) => s.kind === kind));
  return {
    incidentId: incident.incidentId,
    steps: ordered,
    kept: kept.filter((k) => !undoneBy(k.action, ordered)),
  };
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
    case "detach-session-deny-policy":
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
    case "detach-session-deny-policy":
      return `Detach ${step.policyArn} from ${step.target.type} ${step.target.name}`;
    case "delete-revoke-policy":
      return `Delete inline policy ${step.policyName} of ${step.target.type} ${step.target.name}`;
    case "untag-principal":
      return `Remove tag${step.tagKeys.length > 1 ? "s" : ""} ${step.tagKeys.join(", ")} from ${step.target.type} ${step.target.name}`;
  }
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
    const key = record.subject;
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
