import { describeError, NoSuchEntityError } from "../errors.js";
import {
  type ActionOutcome,
  type ActionRecord,
  type Incident,
  type IncidentStatus,
  incidentIdOf,
  type ReleaseRecord,
  TAKE_OVER_KIND,
} from "../incident.js";
import type { AlertPublisher } from "../ports.js";
import { renderReleaseAlert } from "./alert.js";
import { IncidentChangedError, ReleaseInterruptedError, UnknownIncidentError } from "./errors.js";
import {
  actionsSinceLastClose,
  assertClosable,
  assertSameAccount,
  type CloseKind,
  closedStatusOf,
  describeUndoStep,
  judgeRelease,
  type KeptAction,
  otherQuarantinedKeys,
  planRelease,
  type ReleasePlan,
  type ReleaseVerdict,
  stillNeededReason,
  type UndoStep,
  undoTargetOf,
} from "./plan.js";
import type { IamReleasePort, IncidentReviewStore } from "./ports.js";
import { type ReleaseHold, reactivateInWindow } from "./reactivation.js";
import {
  closeMarkerOf,
  handOverRecordOf,
  operatorSignalId,
  takeOverRecordOf,
  undoRecordOf,
} from "./records.js";

export interface CloseDeps {
  readonly incidents: IncidentReviewStore;
  readonly now: () => Date;
}

export interface ReleaseDeps extends CloseDeps {
  /** Acts with the caller's credentials, in the caller's account. */
  readonly iam: IamReleasePort;
  /** The account `iam` acts in (STS GetCallerIdentity): a release refuses any other incident's account. */
  readonly callerAccountId: string;
  readonly alerts: AlertPublisher;
  /** Stack name for the commands the alert shows. */
  readonly stackName: string;
}

export interface CloseRequest {
  /** ARN of the caller (STS GetCallerIdentity). */
  readonly by: string;
  readonly reason: string;
}

/** An incident and what releasing it would do, before anything changes. */
export interface PreparedRelease {
  readonly incident: Incident;
  readonly plan: ReleasePlan;
}

export interface ReleaseOutcome {
  readonly incidentId: string;
  /** `released`, or the unchanged status when a step failed. */
  readonly status: IncidentStatus;
  readonly records: readonly ActionRecord[];
  /** What the release left as it was, and why: the plan's, and a quarantine policy other keys still need. */
  readonly kept: readonly KeptAction[];
  readonly verdict: ReleaseVerdict;
  readonly release: ReleaseRecord | undefined;
  readonly alerted: boolean;
  /** Why the alert could not be sent. */
  readonly alertError: string | undefined;
}

export async function loadIncident(incidents: IncidentReviewStore, incidentId: string): Promise<Incident> {
  const incident = await incidents.get(incidentId);
  if (incident === undefined) throw new UnknownIncidentError(incidentId);
  return incident;
}

/**
 * Reads the incident, checks that it may be released with credentials for `callerAccountId` and
 * plans the undo; changes nothing.
 */
export async function prepareRelease(
  incidents: IncidentReviewStore,
  incidentId: string,
  callerAccountId: string,
): Promise<PreparedRelease> {
  const incident = await loadIncident(incidents, incidentId);
  assertClosable(incident, "release");
  assertSameAccount(incident, callerAccountId);
  return { incident, plan: planRelease(incident) };
}

/** The quarantine and the session-deny policy are both per principal: the same hand-over applies to each. */
type DetachStep = Extract<UndoStep, { kind: "detach-quarantine-policy" | "detach-session-deny-policy" }>;

/** The other incidents holding the principal's fence: its fence item, and (records of older versions) its quarantine tags. */
async function otherHolders(step: DetachStep, incident: Incident, deps: ReleaseDeps): Promise<string[]> {
  const [holders, tagKeys] = await Promise.all([
    deps.incidents.leaveFence(incident.accountId, step.target, incident.incidentId),
    deps.iam.principalTagKeys(step.target),
  ]);
  const tagged = otherQuarantinedKeys(tagKeys, incident.accessKeyId).map((key) =>
    incidentIdOf(incident.accountId, key),
  );
  return [...new Set([...holders, ...tagged])].filter((id) => id !== incident.incidentId).sort();
}

function keyOf(incidentId: string, accountId: string): string {
  return incidentId.startsWith(`${accountId}-`) ? incidentId.slice(accountId.length + 1) : incidentId;
}

/**
 * Whether an incident can take the principal's fence over: an open one (contained or releasing), or
 * one that only fenced the user — a candidate key of AWS's quarantine that named none (decision
 * `fence`, status `notified`), whose own release then detaches it.
 */
function holdsFence(heir: Incident, step: DetachStep): boolean {
  if (heir.status === "contained" || heir.status === "releasing") return true;
  if (heir.status !== "notified") return false;
  return actionsSinceLastClose(heir.actions).some(
    (a) =>
      (a.kind === "attach-session-deny-policy" || a.kind === "attach-quarantine-policy") &&
      (a.outcome === "done" || a.outcome === "already") &&
      a.subject?.type === step.target.type &&
      a.subject.name === step.target.name,
  );
}

/**
 * Hands the quarantine policy over to the incident of another contained key of the principal: it
 * stays attached, and that incident's own release detaches it. A record for each side.
 */
async function handOver(
  step: DetachStep,
  incident: Incident,
  others: readonly string[],
  at: string,
  signalId: string,
  deps: ReleaseDeps,
): Promise<{ record: ActionRecord; kept?: KeptAction }> {
  const [heirIncidentId] = others as [string, ...string[]];
  const keys = others.map((id) => keyOf(id, incident.accountId));
  const needed = `still needed by the quarantine of ${keys.join(", ")}`;
  const failed = (detail: string) => ({ record: undoRecordOf(step, at, "failed", signalId, detail) });
  try {
    const heir = await deps.incidents.get(heirIncidentId);
    if (heir === undefined || !holdsFence(heir, step)) {
      return failed(
        `not detached: ${needed}, but there is no open incident ${heirIncidentId} to hand it over to; detach it by hand once that quarantine ends`,
      );
    }
    await deps.incidents.appendActions(
      heirIncidentId,
      [takeOverRecordOf(step, incident.incidentId, at, signalId)],
      at,
    );
  } catch (error) {
    return failed(
      `not detached: ${needed}, but it could not be handed over to incident ${heirIncidentId}: ${describeError(error)}`,
    );
  }
  const reason = stillNeededReason(keys, heirIncidentId);
  const record = handOverRecordOf(step, at, signalId, reason);
  const attached = actionsSinceLastClose(incident.actions).find(
    (a) =>
      (a.kind === "attach-quarantine-policy" ||
        a.kind === "attach-session-deny-policy" ||
        a.kind === TAKE_OVER_KIND) &&
      a.outcome === "done" &&
      a.subject?.type === step.target.type &&
      a.subject.name === step.target.name &&
      a.undo?.policyArn === step.policyArn,
  );
  return { record, kept: { action: attached ?? record, reason } };
}

/**
 * The quarantine policy is per principal, incidents are per key. The principal's fence item says
 * which incidents hold it (each registers before attaching): this incident leaves it; while others
 * remain, the policy stays and is handed over. Otherwise it is detached — and if another key's
 * containment registered meanwhile, it is attached again and handed over to that incident, so a
 * release never strips a fence another open incident relies on. Any doubt fails the step: the
 * policy stays, the release stays open.
 */
async function detachUnlessNeeded(
  step: DetachStep,
  incident: Incident,
  at: string,
  signalId: string,
  deps: ReleaseDeps,
): Promise<{ record: ActionRecord; kept?: KeptAction }> {
  const failed = (detail: string) => ({ record: undoRecordOf(step, at, "failed", signalId, detail) });
  let others: string[];
  try {
    others = await otherHolders(step, incident, deps);
  } catch (error) {
    if (error instanceof NoSuchEntityError) {
      return { record: undoRecordOf(step, at, "not-found", signalId, error.message) };
    }
    return failed(
      `not detached: cannot tell whether another key's quarantine needs it: ${describeError(error)}`,
    );
  }
  if (others.length > 0) return handOver(step, incident, others, at, signalId, deps);
  const result = await runUndo(step, deps.iam);
  const record = undoRecordOf(step, at, result.outcome, signalId, result.detail);
  if (result.outcome !== "done") return { record };
  try {
    const joined = (await deps.incidents.fenceHolders(incident.accountId, step.target)).filter(
      (id) => id !== incident.incidentId,
    );
    if (joined.length === 0) return { record };
    // Another key's containment took the fence while it was being detached: put it back.
    await deps.iam.restore.attachPolicy(step.target, step.policyArn);
    return handOver(step, incident, joined, at, signalId, deps);
  } catch (error) {
    return failed(
      `detached, but whether another key's containment needs it again is unknown: ${describeError(error)}`,
    );
  }
}

async function runUndo(
  step: UndoStep,
  iam: IamReleasePort,
  deadline?: Date,
): Promise<{ outcome: ActionOutcome; detail?: string }> {
  try {
    switch (step.kind) {
      case "reactivate-key":
        await iam.reactivateKey(step.userName, step.accessKeyId, deadline);
        return { outcome: "done" };
      case "detach-quarantine-policy":
      case "detach-session-deny-policy":
        return (await iam.detachPolicy(step.target, step.policyArn)) === "detached"
          ? { outcome: "done" }
          : { outcome: "already", detail: "not attached any more" };
      case "delete-revoke-policy":
        return (await iam.deleteInlinePolicy(step.target, step.policyName)) === "deleted"
          ? { outcome: "done" }
          : { outcome: "already", detail: "deleted already" };
      case "untag-principal":
        await iam.untagPrincipal(step.target, step.tagKeys);
        return { outcome: "done" };
      default: {
        const unreachable: never = step;
        throw new Error(`unknown undo step ${JSON.stringify(unreachable)}`);
      }
    }
  } catch (error) {
    if (error instanceof NoSuchEntityError) return { outcome: "not-found", detail: error.message };
    return { outcome: "failed", detail: describeError(error) };
  }
}

/**
 * Runs the plan's undo steps, each on its own: one gone key does not stop the rest. A key is
 * reactivated inside a recorded window (reactivation.ts); a signal that contained the key meanwhile
 * stops the undo there (`changed`), with what was done so far in `records`.
 */
async function undoAll(
  prepared: PreparedRelease,
  signalId: string,
  hold: ReleaseHold,
  deps: ReleaseDeps,
): Promise<{ records: ActionRecord[]; kept: KeptAction[]; changed?: IncidentChangedError }> {
  const records: ActionRecord[] = [];
  const kept: KeptAction[] = [];
  for (const step of prepared.plan.steps) {
    const at = deps.now().toISOString();
    if (step.kind === "detach-quarantine-policy" || step.kind === "detach-session-deny-policy") {
      const result = await detachUnlessNeeded(step, prepared.incident, at, signalId, deps);
      records.push(result.record);
      if (result.kept) kept.push(result.kept);
      continue;
    }
    if (step.kind === "reactivate-key") {
      const { result, changed } = await reactivateInWindow(step, hold, deps, (s, deadline) =>
        runUndo(s, deps.iam, deadline),
      );
      if (result) records.push(undoRecordOf(step, at, result.outcome, signalId, result.detail));
      if (changed) return { records, kept, changed };
      continue;
    }
    const result = await runUndo(step, deps.iam);
    records.push(undoRecordOf(step, at, result.outcome, signalId, result.detail));
  }
  return { records, kept };
}

/** The inverse of one undo step that was done: containment as it was before the release. */
async function restoreOne(
  step: UndoStep,
  incidentId: string,
  at: string,
  iam: IamReleasePort,
): Promise<void> {
  switch (step.kind) {
    case "reactivate-key":
      return iam.restore.disableKey(step.userName, step.accessKeyId);
    case "detach-quarantine-policy":
    case "detach-session-deny-policy":
      await iam.restore.attachPolicy(step.target, step.policyArn);
      return;
    case "delete-revoke-policy":
      return iam.restore.putRevokePolicy(step.target, step.policyName, at);
    case "untag-principal":
      return iam.restore.tagPrincipal(
        step.target,
        Object.fromEntries(step.tagKeys.map((key) => [key, `${incidentId} ${at} restored`])),
      );
    default: {
      const unreachable: never = step;
      throw new Error(`unknown undo step ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A release that did not complete still holds the principal's fence: its detach steps hold it again. */
async function holdFenceAgain(prepared: PreparedRelease, deps: ReleaseDeps): Promise<void> {
  const { incident } = prepared;
  for (const step of prepared.plan.steps) {
    if (step.kind === "detach-quarantine-policy" || step.kind === "detach-session-deny-policy") {
      await deps.incidents
        .holdFence(incident.accountId, step.target, incident.incidentId)
        .catch(() => undefined);
    }
  }
}

/**
 * A new signal contained the key again while the release ran (the close write found the incident
 * changed): put back everything the release undid — the key Inactive first — and record it, so the
 * incident that says contained is contained. Never claims the release.
 */
async function restoreContainment(
  prepared: PreparedRelease,
  records: readonly ActionRecord[],
  signalId: string,
  deps: ReleaseDeps,
  cause: unknown,
): Promise<never> {
  const at = deps.now().toISOString();
  const done = prepared.plan.steps.filter((step) =>
    records.some((r) => r.kind === step.kind && r.outcome === "done" && r.target === undoTargetOf(step)),
  );
  const restored: string[] = [];
  const failed: string[] = [];
  const notes: ActionRecord[] = [];
  for (const step of done) {
    try {
      await restoreOne(step, prepared.incident.incidentId, at, deps.iam);
      restored.push(describeUndoStep(step));
      notes.push(
        undoRecordOf(
          step,
          at,
          "failed",
          signalId,
          "put back: a new signal contained the key while it was being released",
        ),
      );
    } catch (error) {
      failed.push(`${describeUndoStep(step)}: ${describeError(error)}`);
    }
  }
  await holdFenceAgain(prepared, deps);
  await deps.incidents
    .appendActions(prepared.incident.incidentId, [...records, ...notes], at)
    .catch(() => undefined);
  throw new ReleaseInterruptedError(prepared.incident.incidentId, restored, failed, { cause });
}

/**
 * Releases an incident as a state machine: `releasing` (a conditional write on the status and
 * version read) before anything changes in IAM, then the undo steps, then `released` — conditional
 * on the incident still being the one this release moved to `releasing`. A signal that contained
 * the key meanwhile makes that write fail: the release puts its changes back and says so
 * (ReleaseInterruptedError). A failed step leaves the incident `releasing` with the results
 * recorded, so the release can run again (every step is idempotent). Then alerts.
 */
export async function executeRelease(
  prepared: PreparedRelease,
  request: CloseRequest,
  deps: ReleaseDeps,
): Promise<ReleaseOutcome> {
  const { incident } = prepared;
  // Before anything changes: the caller's credentials act in the caller's account only.
  assertSameAccount(incident, deps.callerAccountId);
  const startedAt = deps.now().toISOString();
  const signalId = operatorSignalId("release", startedAt);
  const hold: ReleaseHold = {
    incidentId: incident.incidentId,
    version: await deps.incidents.beginRelease(
      incident.incidentId,
      incident.status,
      incident.version,
      startedAt,
    ),
  };
  const { records, kept, changed } = await undoAll(prepared, signalId, hold, deps);
  // A signal contained the key while it was being reactivated: put back what was undone.
  if (changed) return restoreContainment(prepared, records, signalId, deps, changed);
  const plan: ReleasePlan = { ...prepared.plan, kept: [...prepared.plan.kept, ...kept] };
  const verdict = judgeRelease(records);
  const at = deps.now().toISOString();
  const release: ReleaseRecord | undefined = verdict.complete
    ? { at, by: request.by, reason: request.reason, kind: "release" }
    : undefined;
  // Incomplete: `releasing` once anything in IAM was given back (the key may be Active: never
  // `contained` then); as it was when nothing changed.
  const changedIam = records.some((r) => r.outcome === "done");
  const status: IncidentStatus = verdict.complete
    ? closedStatusOf("release")
    : changedIam
      ? "releasing"
      : incident.status;
  const written = release
    ? [...records, closeMarkerOf("release", incident.incidentId, at, request.by, request.reason)]
    : records;
  try {
    await deps.incidents.recordClose({
      incidentId: incident.incidentId,
      expectedStatus: "releasing",
      expectedVersion: hold.version,
      status,
      actions: written,
      release,
      now: at,
    });
  } catch (error) {
    if (error instanceof IncidentChangedError)
      return restoreContainment(prepared, records, signalId, deps, error);
    throw error;
  }
  if (status !== "released") await holdFenceAgain(prepared, deps);
  let alerted = false;
  let alertError: string | undefined;
  try {
    await deps.alerts.publish(
      renderReleaseAlert({
        incident,
        plan,
        records,
        verdict,
        request,
        status,
        at,
        stackName: deps.stackName,
      }),
    );
    alerted = true;
  } catch (error) {
    alertError = describeError(error);
  }
  return {
    incidentId: incident.incidentId,
    status,
    records,
    kept: plan.kept,
    verdict,
    release,
    alerted,
    alertError,
  };
}

/** Closes an incident without undoing anything (the operator rotated the key): the key stays Inactive. */
export async function resolveIncident(
  incidentId: string,
  request: CloseRequest,
  deps: CloseDeps,
): Promise<{ incident: Incident; release: ReleaseRecord }> {
  const incident = await loadIncident(deps.incidents, incidentId);
  assertClosable(incident, "resolve");
  const kind: CloseKind = "resolve";
  const at = deps.now().toISOString();
  const release: ReleaseRecord = { at, by: request.by, reason: request.reason, kind };
  await deps.incidents.recordClose({
    incidentId,
    expectedStatus: incident.status,
    expectedVersion: incident.version,
    status: closedStatusOf(kind),
    actions: [closeMarkerOf(kind, incidentId, at, request.by, request.reason)],
    release,
    now: at,
  });
  return { incident, release };
}
