import { containmentFailed } from "../containment.js";
import { AwsCallError, describeError, IncidentItemFullError, NoSuchEntityError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import type { ActionOutcome, ActionRecord, Incident, SignalState } from "../incident.js";
import type { Log } from "../log.js";
import type { PrincipalFacts, ResponsePlan } from "../plan.js";
import type {
  AlertPublisher,
  EventPublisher,
  IamPort,
  IamPortFor,
  IncidentStore,
  RoleSessionRevoker,
  RoleSessionRevokerFor,
} from "../ports.js";
import type { PrincipalRecord, ResponseMode } from "../vocabulary.js";
import type { EarlyDisable } from "./early-disable.js";

export interface RespondSettings {
  readonly mode: ResponseMode;
  readonly quarantinePolicyArn: string;
  /** The stack's deny-only session policy for users (SESSION_DENY_POLICY_ARN); unset: users' sessions are not revoked. */
  readonly sessionDenyPolicyArn?: string | undefined;
  readonly exemptPrincipals: readonly string[];
  /** HONOR_EXEMPT_TAG. @default false */
  readonly honorExemptTag?: boolean | undefined;
  readonly stackName: string;
}

export interface RespondDeps {
  readonly iamFor: IamPortFor;
  /** The role-session revoker for the key's account. */
  readonly roleRevokerFor: RoleSessionRevokerFor;
  readonly incidents: IncidentStore;
  readonly alerts: AlertPublisher;
  readonly events: EventPublisher;
  readonly now: () => Date;
  readonly settings: RespondSettings;
  readonly log: Log;
  /** Alerts this container sent while the incident table was unreachable (see sendAlertOnce). */
  readonly unrecordedAlerts: Pick<Set<string>, "has" | "add" | "delete">;
  /** A new unique id for this attempt's claim on its signal. */
  readonly newAttemptId: () => string;
  /** Waits (while a concurrent duplicate of the signal finishes). */
  readonly sleep: (ms: number) => Promise<void>;
  /**
   * Resolves once the requests started in this turn have been handed to their connections (the
   * handler: the next macrotask). The reads that do not decide the early disable wait for it, so
   * the key's status read and the disable leave first. Never rejects.
   */
  readonly afterSent: () => Promise<void>;
}

/** What the lookups before the plan found: the incident so far, the principal, and IAM in its account. */
export interface Lookup {
  readonly incident: Incident | undefined;
  readonly facts: PrincipalFacts;
  /** IAM in the key's account; set whenever the facts name a user or role (the only ones a plan changes). */
  readonly iam: IamPort | undefined;
  /** The signal's own item: an earlier attempt's claim, record and completion. */
  readonly signalState: SignalState | undefined;
  /** The incident table could not be read: contain anyway, and fail the invocation at the end. */
  readonly storeFailure: unknown;
  /** The disable sent beside the reads (first plan only; a plan made again disables in its order). */
  readonly early?: EarlyDisable | undefined;
}

/** The result of one IAM step, before it becomes an action record. */
export interface StepResult<U> {
  readonly outcome: ActionOutcome;
  readonly detail?: string;
  readonly undo?: U;
}

/** Thrown when a plan asks for an IAM change without IAM in the key's account (a planner bug): recorded as failed. */
export class NoIamForStepError extends Error {
  override readonly name = "NoIamForStepError";
  constructor(readonly stepKind: string) {
    super(`step ${stepKind} needs IAM in the key's account, and none was looked up`);
  }
}

/**
 * The state of one response while its steps run: the actions so far, what needs a retry, whether
 * the incident was recorded and the alert sent. Step executors change it only through its methods.
 */
export class Execution {
  readonly actions: ActionRecord[] = [];
  private readonly retry = new Set<string>();
  /** How many actions the record-incident write carried; undefined until it succeeded. */
  recordedCount: number | undefined;
  alerted = false;
  storeFailure: unknown;
  /**
   * Why the remaining steps are not run: `duplicate`, another attempt has (or completed) this
   * signal; `conflict`, the incident changed since it was read, so the response is planned again.
   */
  halted: "duplicate" | "conflict" | undefined;
  /** This signal's record moved the incident into `contained`: it emits the one Incident Contained. */
  opened = false;

  constructor(
    readonly exposure: Exposure,
    readonly plan: ResponsePlan,
    readonly lookup: Lookup,
    readonly deps: RespondDeps,
    readonly receivedAt: string,
    /** The principal as recorded, with the user's name from the lookup when the signal had none. */
    readonly principal: PrincipalRecord,
    /** This attempt's claim on its signal (see claimSignal). */
    readonly attemptId: string,
  ) {
    this.storeFailure = lookup.storeFailure;
  }

  get log(): Log {
    return this.deps.log;
  }

  now(): string {
    return this.deps.now().toISOString();
  }

  /** IAM in the key's account, for a step that changes it. */
  iam(stepKind: string): IamPort {
    if (this.lookup.iam === undefined) throw new NoIamForStepError(stepKind);
    return this.lookup.iam;
  }

  /** The role-session revoker for the key's account. */
  roleRevoker(): RoleSessionRevoker {
    return this.deps.roleRevokerFor(this.exposure.accountId);
  }

  needsRetry(what: string): void {
    this.retry.add(what);
  }

  storeFailed(error: unknown, message: string): void {
    if (error instanceof IncidentItemFullError) {
      // A fixed condition: a retry would fail the same way. The alert and the logs still tell it.
      this.log.error("incident item full: not recorded on the incident", { error: describeError(error) });
      return;
    }
    this.storeFailure ??= error;
    this.log.error(message, { error: describeError(error) });
  }

  /** Runs one IAM step: its result, or the failure a retry may or may not fix, as the outcome. */
  async attempt<U>(stepKind: string, body: () => Promise<StepResult<U>>): Promise<StepResult<U>> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof NoSuchEntityError) return { outcome: "not-found", detail: error.message };
      if (error instanceof AwsCallError) return { outcome: "failed", detail: error.message };
      this.needsRetry(stepKind);
      return { outcome: "failed", detail: describeError(error) };
    }
  }

  record(action: ActionRecord): void {
    this.log.info("action", { ...action });
    this.actions.push(action);
  }

  /** What still needs a retry once every step ran (a failed containment always does). */
  retryable(): string[] {
    const retry = new Set(this.retry);
    if (this.storeFailure !== undefined) retry.add("record-incident");
    if (containmentFailed(this.actions)) retry.add("containment");
    return [...retry];
  }

  /** The response is complete when nothing needs a retry: a re-delivery of the signal then does nothing. */
  complete(): boolean {
    return this.retryable().length === 0;
  }
}
