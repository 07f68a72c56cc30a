import type {
  ActionRecord,
  Incident,
  IncidentBasis,
  IncidentStatus,
  SignalRecord,
  SignalState,
} from "./incident.js";
import type { ContainedDetail } from "./investigation/contained-event.js";
import type { FenceTarget, PrincipalRecord, ResponseMode, Severity } from "./vocabulary.js";

/** One access key of a user, as IAM lists it. */
export interface UserKey {
  readonly accessKeyId: string;
  readonly status: "Active" | "Inactive";
}

/** IAM, as the responder needs it. Implementations map AWS errors to the typed errors in errors.ts. */
export interface IamPort {
  /** The user owning a long-term key (GetAccessKeyLastUsed); undefined when IAM knows no such key. */
  findKeyOwner(accessKeyId: string): Promise<string | undefined>;
  /**
   * Tags and the status of one key of a user; NoSuchEntityError when the user does not exist. The
   * status read (ListAccessKeys) is sent first, at once; the tags read waits for `tagsAfter` when
   * given (so a disable sent right after this call leaves before it).
   */
  describeUser(
    userName: string,
    accessKeyId: string,
    tagsAfter?: Promise<void>,
  ): Promise<{ tags: Record<string, string>; keyStatus: "Active" | "Inactive" | "absent" }>;
  /** Tags of a role; NoSuchEntityError when it does not exist. */
  describeRole(roleName: string): Promise<{ tags: Record<string, string> }>;
  /** Every access key of a user with its status (a user has two at most); NoSuchEntityError when the user does not exist. */
  listUserKeys(userName: string): Promise<readonly UserKey[]>;
  disableKey(userName: string, accessKeyId: string): Promise<void>;
  /**
   * Sets a key Active again: only to undo the responder's own early disable of a honey key, which
   * must stay Active to stay a tripwire (respond/early-record.ts).
   */
  enableKey?(userName: string, accessKeyId: string): Promise<void>;
  /** Attaches a managed policy unless it is attached already. */
  attachPolicy(target: FenceTarget, policyArn: string): Promise<"attached" | "already">;
  tagPrincipal(target: FenceTarget, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Tags of a user or role; NoSuchEntityError when it does not exist. */
  principalTags(target: FenceTarget): Promise<Record<string, string>>;
}

/** What the role-session revoker is asked: deny the role's sessions issued before the instant. */
export interface RoleSessionRevocation {
  readonly roleName: string;
  readonly accessKeyId: string;
  readonly issuedBefore: string;
}

/**
 * The only way the respond function ends a role's sessions: a separate function, the one holder
 * of iam:PutRolePolicy, which builds the deny itself. Errors are the typed errors of errors.ts.
 */
export interface RoleSessionRevoker {
  /** The name of the inline policy it put. */
  revoke(request: RoleSessionRevocation): Promise<{ policyName: string }>;
}

/** What a release in a member account asks the revoker to delete: the key's revoke policy of that role. */
export interface RoleSessionLift {
  readonly roleName: string;
  readonly accessKeyId: string;
  readonly accountId: string;
}

/** The revoker's other half: only it may delete the revoke policy in a member account. */
export interface RoleSessionLifter {
  lift(request: RoleSessionLift): Promise<"deleted" | "absent">;
}

/** The revoker for the key's account (the home account's, or a member account's through its revoker role). */
export type RoleSessionRevokerFor = (accountId: string) => RoleSessionRevoker;

/** IAM for the account the signal is about: the function's own, or a member account through an assumed role. */
export type IamPortFor = (accountId: string) => Promise<IamPort>;

export interface SignalWrite {
  readonly incidentId: string;
  readonly accountId: string;
  readonly accessKeyId: string;
  readonly principal: PrincipalRecord;
  /** The signal's severity: set on a new incident; an existing one only rises (see raiseSeverity). */
  readonly severity: Severity;
  readonly status: IncidentStatus;
  /** Set the status only on a new incident (notifications never overwrite a containment or a release). */
  readonly statusIfNew: boolean;
  /**
   * A containment is written only while the incident is as it was planned from (its version),
   * and bumps the version; undefined for a write that changes no status (a notification).
   */
  readonly basis: IncidentBasis | undefined;
  /** Keep the signal's record on the incident item too (only the first few are; every one has its own item). */
  readonly keepSignalOnIncident: boolean;
  /** A retry of a signal an earlier attempt recorded: its actions (and status) only, not the signal again. */
  readonly signalAlreadyRecorded: boolean;
  /** The write moves the incident into `contained`: the signal's item remembers it opened the containment. */
  readonly opens: boolean;
  readonly mode: ResponseMode;
  readonly sample: boolean;
  readonly signal: SignalRecord;
  readonly actions: readonly ActionRecord[];
  readonly now: string;
}

/**
 * What claiming a signal found: this attempt has it (and whether an earlier attempt already recorded
 * the signal on the incident, as the claimed item says at the moment it was taken), another live
 * attempt has it, or it was completed.
 */
export type SignalClaim =
  | { readonly kind: "claimed"; readonly recorded: boolean }
  | { readonly kind: "in-progress" }
  | { readonly kind: "completed" };

export interface IncidentStore {
  get(incidentId: string): Promise<Incident | undefined>;
  /** The signal's own item; undefined when no attempt ever claimed it. */
  getSignal(incidentId: string, signalId: string): Promise<SignalState | undefined>;
  /**
   * Claims a signal for one attempt until `until` (ISO): a concurrent duplicate finds it in progress
   * and acts no further; a claim whose attempt died expires, and a retry takes it. Whether the
   * signal is recorded already is read in the same write: a takeover never counts it twice.
   */
  claimSignal(
    incidentId: string,
    signalId: string,
    owner: string,
    now: string,
    until: string,
  ): Promise<SignalClaim>;
  /** Gives a claim back when the attempt failed, so its retry takes it at once. */
  releaseSignalClaim(incidentId: string, signalId: string, owner: string): Promise<void>;
  /** Creates the incident or adds the signal to it; `conflict` when a containment's basis no longer holds. */
  recordSignal(write: SignalWrite): Promise<"recorded" | "conflict">;
  /** Raises the incident's severity to `severity` unless it is already that high (a conditional write on its rank). */
  raiseSeverity(incidentId: string, severity: Severity, now: string): Promise<void>;
  /**
   * Appends actions to the incident; with `completed`, also marks that signal's response complete
   * on its own item, which keeps every action of the signal.
   */
  appendActions(
    incidentId: string,
    actions: readonly ActionRecord[],
    now: string,
    completed?: { readonly signalId: string; readonly actions: readonly ActionRecord[] },
  ): Promise<void>;
  /**
   * Appends what a containment did after its record, only while the incident is still contained:
   * `conflict` when a release got in between (the containment is then planned and done again).
   */
  appendToContainment(
    incidentId: string,
    actions: readonly ActionRecord[],
    now: string,
  ): Promise<"recorded" | "conflict">;
  /** Claims the Incident Contained event of the signal that opened a containment: true once, false later. */
  claimEmit(incidentId: string, signalId: string, now: string): Promise<boolean>;
  /** Gives the emit claim back when the event could not be sent, so a retry sends it. */
  releaseEmitClaim(incidentId: string, signalId: string): Promise<void>;
  /** Claims the right to alert for a signal: true once per signal, false for every later caller. */
  claimAlert(incidentId: string, signalId: string): Promise<boolean>;
  /** Gives a claim back when the alert could not be sent, so a retry sends it. */
  releaseAlertClaim(incidentId: string, signalId: string): Promise<void>;
  /**
   * Marks the incident as one of those holding the principal's fence (its quarantine policy):
   * before attaching it, so a release of another key of the principal sees it needed.
   */
  holdFence(accountId: string, target: FenceTarget, incidentId: string): Promise<void>;
}

export interface RenderedAlert {
  readonly subject: string;
  /** Plain text for email readers. */
  readonly text: string;
  /** AWS Chatbot custom notification JSON (Slack, Microsoft Teams). */
  readonly chat: string;
  /** The incident summary as JSON, for SQS/Lambda/HTTP subscribers. */
  readonly machine: string;
}

export interface AlertPublisher {
  publish(alert: RenderedAlert): Promise<void>;
}

/** The detail of the `Incident Contained` event: its schema is the contract with the investigation. */
export type ContainedEvent = ContainedDetail;

export interface EventPublisher {
  emitContained(event: ContainedEvent): Promise<void>;
}
