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
import { IncidentChangedError, UnknownIncidentError } from "./errors.js";
import {
  actionsSinceLastClose,
  assertClosable,
  assertSameAccount,
  type CloseKind,
  closedStatusOf,
  judgeRelease,
  type KeptAction,
  otherQuarantinedKeys,
  planRelease,
  type ReleasePlan,
  type ReleaseVerdict,
  stillNeededReason,
  type UndoStep,
} from "./plan.js";
import type { IamReleasePort, IncidentReviewStore } from "./ports.js";
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

/**
 * The quarantine policy is per principal, incidents are per key: while the principal carries
 * another key's quarantine tag, the policy stays attached and that key's incident takes it over, so
 * its own release detaches it. Undefined when no other key needs it (detach as planned). Any doubt
 * (tags unreadable, no incident to hand over to) fails the step: the policy stays, the release
 * stays open.
 */
async function keepForOtherKeys(
  step: DetachStep,
  incident: Incident,
  at: string,
  signalId: string,
  deps: ReleaseDeps,
): Promise<{ record: ActionRecord; kept?: KeptAction } | undefined> {
  let others: string[];
  try {
    others = otherQuarantinedKeys(await deps.iam.principalTagKeys(step.target), incident.accessKeyId);
  } catch (error) {
    if (error instanceof NoSuchEntityError) {
      return { record: undoRecordOf(step, at, "not-found", signalId, error.message) };
    }
    return {
      record: undoRecordOf(
        step,
        at,
        "failed",
        signalId,
        `not detached: cannot tell whether another key's quarantine needs it: ${describeError(error)}`,
      ),
    };
  }
  const [heir] = others;
  if (heir === undefined) return undefined;
  const heirIncidentId = incidentIdOf(incident.accountId, heir);
  const needed = `still needed by the quarantine of ${others.join(", ")}`;
  try {
    if ((await deps.incidents.get(heirIncidentId)) === undefined) {
      return {
        record: undoRecordOf(
          step,
          at,
          "failed",
          signalId,
          `not detached: ${needed}, but there is no incident ${heirIncidentId} to hand it over to; detach it by hand once that quarantine ends`,
        ),
      };
    }
    await deps.incidents.appendActions(
      heirIncidentId,
      [takeOverRecordOf(step, incident.incidentId, at, signalId)],
      at,
    );
  } catch (error) {
    return {
      record: undoRecordOf(
        step,
        at,
        "failed",
        signalId,
        `not detached: ${needed}, but it could not be handed over to incident ${heirIncidentId}: ${describeError(error)}`,
      ),
    };
  }
  const reason = stillNeededReason(others, heirIncidentId);
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

async function runUndo(
  step: UndoStep,
  iam: IamReleasePort,
): Promise<{ outcome: ActionOutcome; detail?: string }> {
  try {
    switch (step.kind) {
      case "reactivate-key":
        await iam.reactivateKey(step.userName, step.accessKeyId);
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
 * Undoes the prepared plan step by step (each independently: one gone key does not stop the
 * rest; a quarantine policy another key's quarantine still needs is kept and handed over to that
 * key's incident), then records it in one conditional write: status `released`, the undo results, a release
 * marker and who and why — unless a step failed, when the results are recorded and the status
 * stays, so the release can run again (every step is idempotent). Then alerts.
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
  const records: ActionRecord[] = [];
  const keptNow: KeptAction[] = [];
  for (const step of prepared.plan.steps) {
    const at = deps.now().toISOString();
    if (step.kind === "detach-quarantine-policy" || step.kind === "detach-session-deny-policy") {
      const held = await keepForOtherKeys(step, incident, at, signalId, deps);
      if (held !== undefined) {
        records.push(held.record);
        if (held.kept) keptNow.push(held.kept);
        continue;
      }
    }
    const result = await runUndo(step, deps.iam);
    records.push(undoRecordOf(step, at, result.outcome, signalId, result.detail));
  }
  const plan: ReleasePlan = { ...prepared.plan, kept: [...prepared.plan.kept, ...keptNow] };
  const verdict = judgeRelease(records);
  const at = deps.now().toISOString();
  const release: ReleaseRecord | undefined = verdict.complete
    ? { at, by: request.by, reason: request.reason, kind: "release" }
    : undefined;
  const status = verdict.complete ? closedStatusOf("release") : incident.status;
  const written = release
    ? [...records, closeMarkerOf("release", incident.incidentId, at, request.by, request.reason)]
    : records;
  try {
    await deps.incidents.recordClose({
      incidentId: incident.incidentId,
      expectedStatus: incident.status,
      expectedActionCount: incident.actions.length,
      status,
      actions: written,
      release,
      now: at,
    });
  } catch (error) {
    if (error instanceof IncidentChangedError && records.length > 0) {
      // IAM changed already: keep the audit trail, without claiming the release.
      await deps.incidents.appendActions(incident.incidentId, records, at);
    }
    throw error;
  }
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
    expectedActionCount: incident.actions.length,
    status: closedStatusOf(kind),
    actions: [closeMarkerOf(kind, incidentId, at, request.by, request.reason)],
    release,
    now: at,
  });
  return { incident, release };
}
