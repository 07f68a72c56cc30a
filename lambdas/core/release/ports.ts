import type { ActionRecord, Incident, IncidentStatus, ReleaseRecord } from "../incident.js";
import type { IamPort } from "../ports.js";
import type { FenceTarget } from "../vocabulary.js";

/** IAM, as a release needs it. Implementations map AWS errors to the typed errors in errors.ts. */
export interface IamReleasePort {
  /**
   * Sets the key Active; NoSuchEntityError when the key or user is gone. With `deadline`, the call
   * (and its retries) is given up at that instant (the release's reactivation window, reactivation.ts).
   */
  reactivateKey(userName: string, accessKeyId: string, deadline?: Date): Promise<void>;
  /** Detaches a managed policy; `not-attached` when it is not attached (any more). */
  detachPolicy(target: FenceTarget, policyArn: string): Promise<"detached" | "not-attached">;
  /** Deletes an inline policy; `absent` when there is no such policy (any more). */
  deleteInlinePolicy(target: FenceTarget, policyName: string): Promise<"deleted" | "absent">;
  untagPrincipal(target: FenceTarget, tagKeys: readonly string[]): Promise<void>;
  /** The keys of the principal's tags; NoSuchEntityError when the principal is gone. */
  principalTagKeys(target: FenceTarget): Promise<readonly string[]>;
  /**
   * What a release puts back when a new signal contained the key again while it ran (the same
   * calls the responder makes; see IamPort).
   */
  readonly restore: Pick<IamPort, "disableKey" | "attachPolicy" | "tagPrincipal"> & {
    /** Puts a revoke (deny older sessions) inline policy back with the operator's credentials. */
    putRevokePolicy(target: FenceTarget, policyName: string, issuedBefore: string): Promise<void>;
  };
}

/** What closing an incident writes, in one conditional update. */
export interface CloseWrite {
  readonly incidentId: string;
  /** The write happens only while the incident still has this status... */
  readonly expectedStatus: IncidentStatus;
  /** ...and this version (no signal or operator got in between); the write bumps it. */
  readonly expectedVersion: number | undefined;
  /** Unchanged when a release could not complete. */
  readonly status: IncidentStatus;
  readonly actions: readonly ActionRecord[];
  /** Appended to `releases`; none when the release could not complete. */
  readonly release: ReleaseRecord | undefined;
  readonly now: string;
}

export interface IncidentReviewStore {
  get(incidentId: string): Promise<Incident | undefined>;
  /**
   * Moves the incident to `releasing` before a release changes anything in IAM: conditional on the
   * status and version read (IncidentChangedError otherwise). Returns the new version.
   */
  beginRelease(
    incidentId: string,
    from: IncidentStatus,
    version: number | undefined,
    now: string,
  ): Promise<number>;
  /** Conditional on `expectedStatus` and `expectedVersion`; IncidentChangedError otherwise. */
  recordClose(write: CloseWrite): Promise<void>;
  /**
   * Records that the release is about to reactivate the key and until when that may land
   * (`reactivatingUntil`): conditional on the incident being `releasing` at `version`
   * (IncidentChangedError otherwise). Returns the new version.
   */
  beginReactivation(incidentId: string, version: number, until: string, now: string): Promise<number>;
  /** The reactivation answered: removes `reactivatingUntil`, conditional as above; the version stays. */
  endReactivation(incidentId: string, version: number, now: string): Promise<void>;
  /** This incident no longer holds the principal's fence: the incidents that still do. */
  leaveFence(accountId: string, target: FenceTarget, incidentId: string): Promise<readonly string[]>;
  /** This incident holds the principal's fence again (a release that did not complete). */
  holdFence(accountId: string, target: FenceTarget, incidentId: string): Promise<void>;
  /** The incidents holding the principal's fence now. */
  fenceHolders(accountId: string, target: FenceTarget): Promise<readonly string[]>;
  /** Appends actions whatever the incident's status (the audit of IAM changes whose release could not be recorded). */
  appendActions(incidentId: string, actions: readonly ActionRecord[], now: string): Promise<void>;
}
