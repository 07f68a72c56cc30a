import { isAccessKeyId, keyKindOf } from "../access-key.js";
import { describeError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import { type ActionRecord, type Incident, isHeld, type KeySubject, subjectLabelOf } from "../incident.js";
import { isListed, type PrincipalFacts } from "../plan.js";
import type { IamPort } from "../ports.js";
import type { RespondSettings } from "./execution.js";

/**
 * One round trip to Inactive: when the signal names the key's user, UpdateAccessKey is sent at
 * once, beside (not after) the reads that exemption, release and dedupe need. Only where nothing
 * those reads could say would forbid it: enforce mode, a long-term key of a named user that is not
 * on the deploy-time exempt list (IAM denies the respond role any write on those anyway), a signal
 * that asks for containment, no sample, no drill, and exemption by tag not honoured (that needs a
 * read first). Every race it opens fails safe; the README lists them.
 */
export interface EarlyDisableTarget {
  readonly userName: string;
  readonly accessKeyId: string;
}

/** What the disable sent beside the reads came to: it never rejects. */
export type EarlyDisableResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export interface EarlyDisable extends EarlyDisableTarget {
  readonly result: Promise<EarlyDisableResult>;
}

/** The key to disable before any read, or undefined when a read must come first. Pure: decided before any I/O. */
export function earlyDisableTargetOf(
  exposure: Exposure,
  settings: Pick<RespondSettings, "mode" | "exemptPrincipals" | "honorExemptTag">,
): EarlyDisableTarget | undefined {
  const p = exposure.principal;
  if (exposure.sample || exposure.intent !== "contain" || exposure.source === "drill") return undefined;
  // The audit's enforcement is not a leak: whether it may act (announced, due, not released since)
  // is read first, never raced.
  if (exposure.source === "audit") return undefined;
  if (settings.mode !== "enforce" || settings.honorExemptTag === true) return undefined;
  if (p.type !== "user" || p.name === undefined || isListed(p.name, settings.exemptPrincipals)) {
    return undefined;
  }
  if (!isAccessKeyId(exposure.accessKeyId) || keyKindOf(exposure.accessKeyId) !== "long-term")
    return undefined;
  return { userName: p.name, accessKeyId: exposure.accessKeyId };
}

/** Sends the disable now; its outcome is read by the disable step (or recorded when the plan has none). */
export function startEarlyDisable(target: EarlyDisableTarget, iam: IamPort): EarlyDisable {
  const result = iam.disableKey(target.userName, target.accessKeyId).then(
    (): EarlyDisableResult => ({ ok: true }),
    (error: unknown): EarlyDisableResult => ({ ok: false, error }),
  );
  return { ...target, result };
}

/** The key's status before the responder acted, as far as a read concurrent with the disable can tell. */
export interface PreviousStatus {
  readonly previousStatus: "Active" | "Inactive" | "unknown";
  readonly outcome: "done" | "already";
  readonly detail?: string;
}

export const UNKNOWN_PREVIOUS_STATUS =
  "status before unknown (read while the disable was in flight): a release leaves the key Inactive";

/**
 * A ListAccessKeys read sent beside the disable answers with the status before it (Active: it was
 * Active, only the responder sets it Inactive) or after it (Inactive: it was Inactive before, or the
 * disable landed first). An Inactive read is the responder's own containment while its incident is
 * held (as when reads came first); otherwise the status before is unknown, and the undo recorded is
 * the conservative one: a release leaves the key Inactive and says so.
 */
export function previousStatusOf(
  facts: PrincipalFacts,
  incident: Pick<Incident, "status"> | undefined,
): PreviousStatus {
  if (facts.kind === "user" && facts.keyStatus === "Active")
    return { previousStatus: "Active", outcome: "done" };
  if (facts.kind === "user" && facts.keyStatus === "Inactive" && isHeld(incident)) {
    return { previousStatus: "Inactive", outcome: "already" };
  }
  return { previousStatus: "unknown", outcome: "done", detail: UNKNOWN_PREVIOUS_STATUS };
}

/** Does the plan's disable step name the key the early disable went to? */
export function isSameKey(early: EarlyDisableTarget, step: EarlyDisableTarget): boolean {
  return early.userName === step.userName && early.accessKeyId === step.accessKeyId;
}

/**
 * The record of an early disable the plan did not ask for (the signal was handled already, or the
 * lookup failed): the key stays Inactive (the safe side), and the record says so, with an undo that
 * reactivates it only if it was read Active.
 */
export function unplannedDisableAction(
  early: EarlyDisableTarget,
  previous: PreviousStatus,
  at: string,
  signalId: string,
  why: string,
): ActionRecord {
  const subject: KeySubject = { type: "key", accessKeyId: early.accessKeyId, userName: early.userName };
  return {
    kind: "disable-key",
    at,
    signalId,
    subject,
    target: subjectLabelOf(subject),
    outcome: previous.outcome,
    detail: `disabled beside the reads, before the plan said ${why}: left Inactive${previous.detail ? `; ${previous.detail}` : ""}`,
    undo: { previousStatus: previous.previousStatus },
  };
}

/** The early disable's failure, for the log. */
export function earlyFailure(result: EarlyDisableResult): string | undefined {
  return result.ok ? undefined : describeError(result.error);
}
