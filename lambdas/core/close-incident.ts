import { describeError, NoSuchEntityError } from "./errors.js";
import type { ActionOutcome, ActionRecord, Incident } from "./incident.js";
import type { FenceTarget } from "./plan.js";
import type { AlertPublisher } from "./ports.js";
import {
  assertClosable,
  type CloseKind,
  closedStatusOf,
  closeMarkerOf,
  judgeRelease,
  operatorSignalId,
  planRelease,
  type ReleasePlan,
  type ReleaseRecord,
  type ReleaseVerdict,
  type UndoStep,
  undoRecordOf,
} from "./release.js";
import { IncidentChangedError, UnknownIncidentError } from "./release-errors.js";
import { renderReleaseAlert } from "./release-notification.js";

/** IAM, as a release needs it. Implementations map AWS errors to the typed errors in errors.ts. */
export interface IamReleasePort {
  /** Sets the key Active; NoSuchEntityError when the key or user is gone. */
  reactivateKey(userName: string, accessKeyId: string): Promise<void>;
  /** Detaches a managed policy; `not-attached` when it is not attached (any more). */
  detachPolicy(target: FenceTarget, policyArn: string): Promise<"detached" | "not-attached">;
  /** Deletes an inline policy; `absent` when there is no such policy (any more). */
  deleteInlinePolicy(target: FenceTarget, policyName: string): Promise<"deleted" | "absent">;
  untagPrincipal(target: FenceTarget, tagKeys: readonly string[]): Promise<void>;
}

/** What closing an incident writes, in one conditional update. */
export interface CloseWrite {
  readonly incidentId: string;
  /** The write happens only while the incident still has this status... */
  readonly expectedStatus: string;
  /** ...and this many actions (no signal or operator got in between). */
  readonly expectedActionCount: number;
  /** Unchanged when a release could not complete. */
  readonly status: string;
  readonly actions: readonly ActionRecord[];
  /** Appended to `releases`; none when the release could not complete. */
  readonly release: ReleaseRecord | undefined;
  readonly now: string;
}

export interface IncidentReviewStore {
  get(incidentId: string): Promise<Incident | undefined>;
  /** Conditional on `expectedStatus` and `expectedActionCount`; IncidentChangedError otherwise. */
  recordClose(write: CloseWrite): Promise<void>;
  /** Appends actions whatever the incident's status (the audit of IAM changes whose release could not be recorded). */
  appendActions(incidentId: string, actions: readonly ActionRecord[], now: string): Promise<void>;
}

export interface CloseDeps {
  readonly incidents: IncidentReviewStore;
  readonly now: () => Date;
}

export interface ReleaseDeps extends CloseDeps {
  readonly iam: IamReleasePort;
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
  readonly status: string;
  readonly records: readonly ActionRecord[];
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

/** Reads the incident, checks that it may be released and plans the undo; changes nothing. */
export async function prepareRelease(
  incidents: IncidentReviewStore,
  incidentId: string,
): Promise<PreparedRelease> {
  const incident = await loadIncident(incidents, incidentId);
  assertClosable(incident, "release");
  return { incident, plan: planRelease(incident) };
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
 * rest), then records it in one conditional write: status `released`, the undo results, a release
 * marker and who and why — unless a step failed, when the results are recorded and the status
 * stays, so the release can run again (every step is idempotent). Then alerts.
 */
export async function executeRelease(
  prepared: PreparedRelease,
  request: CloseRequest,
  deps: ReleaseDeps,
): Promise<ReleaseOutcome> {
  const { incident, plan } = prepared;
  const startedAt = deps.now().toISOString();
  const signalId = operatorSignalId("release", startedAt);
  const records: ActionRecord[] = [];
  for (const step of plan.steps) {
    const at = deps.now().toISOString();
    const result = await runUndo(step, deps.iam);
    records.push(undoRecordOf(step, at, result.outcome, signalId, result.detail));
  }
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
  return { incidentId: incident.incidentId, status, records, verdict, release, alerted, alertError };
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
