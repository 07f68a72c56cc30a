import * as z from "zod/mini";
import type { Exposure, Principal, SourceName } from "./exposure.js";
import {
  FenceTargetSchema,
  type PrincipalRecord,
  PrincipalRecordSchema,
  ResponseModeSchema,
  type Severity,
  SeveritySchema,
} from "./vocabulary.js";

/**
 * The incident as it is stored: one per account + key, with every signal and every action. Each
 * part is a zod schema, and the DynamoDB adapter parses what it reads through them once, so every
 * later step (release, investigation, the CLI) works on typed facts and never re-parses text.
 */

/**
 * `releasing`: an operator's release has claimed the incident and may be changing IAM; a signal
 * that arrives meanwhile contains the key again, and the release then puts back what it undid.
 */
export const INCIDENT_STATUSES = ["contained", "notified", "releasing", "released", "resolved"] as const;
export const IncidentStatusSchema = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

/** One incident per account + key: a deterministic id, so every signal about the key lands on it. */
export function incidentIdOf(accountId: string, accessKeyId: string): string {
  return `${accountId}-${accessKeyId}`;
}

export const ActionOutcomeSchema = z.enum(["done", "already", "not-found", "failed", "planned-only"]);
export type ActionOutcome = z.infer<typeof ActionOutcomeSchema>;

/** What the responder does to contain a key: a release undoes exactly these. */
export const CONTAINMENT_KINDS = [
  "disable-key",
  "attach-quarantine-policy",
  "attach-session-deny-policy",
  "revoke-sessions",
  "tag-principal",
] as const;
/** What a release does, one kind per containment kind. */
export const UNDO_KINDS = [
  "reactivate-key",
  "detach-quarantine-policy",
  "detach-session-deny-policy",
  "delete-revoke-policy",
  "untag-principal",
] as const;
/** A release that leaves the quarantine policy for another key's incident, and that incident's side. */
export const HAND_OVER_KIND = "hand-over-quarantine-policy";
export const TAKE_OVER_KIND = "take-over-quarantine-policy";
/** Marks a release or resolve: later releases undo only what comes after it. */
export const CLOSE_KINDS = ["release", "resolve"] as const;

export type ContainmentKind = (typeof CONTAINMENT_KINDS)[number];
export type UndoKind = (typeof UNDO_KINDS)[number];
export type CloseKind = (typeof CLOSE_KINDS)[number];

/** The exact key an action acted on, and its user. */
export const KeySubjectSchema = z.object({
  type: z.literal("key"),
  accessKeyId: z.string(),
  userName: z.string(),
});
export type KeySubject = z.infer<typeof KeySubjectSchema>;
export const IncidentSubjectSchema = z.object({ type: z.literal("incident"), incidentId: z.string() });

/**
 * The previous status of a key the responder disabled: a release reactivates only an Active one.
 * `unknown`: read while the disable was in flight and found Inactive (see respond/early-disable.ts).
 */
export const KeyStatusSchema = z.enum(["Active", "Inactive", "unknown"]);

const base = {
  at: z.string(),
  outcome: ActionOutcomeSchema,
  detail: z.optional(z.string()),
  /** The signal (or `lkr:<kind>:<time>` operator run) the action was taken for. */
  signalId: z.string(),
  /** How people read the target (`AKIA… (user alice)`, `user alice`, an incident id). */
  target: z.string(),
};

/**
 * What one executed step did, kept so a release can undo exactly that. `subject` is the target as
 * data and `undo` the facts a release needs; both are optional only because a record written by an
 * old version may lack them, and a release then refuses to guess (UndoFactsError).
 */
export const ActionRecordSchema = z.discriminatedUnion("kind", [
  z.looseObject({
    ...base,
    kind: z.literal("disable-key"),
    subject: z.optional(KeySubjectSchema),
    undo: z.optional(z.object({ previousStatus: z.optional(KeyStatusSchema) })),
  }),
  z.looseObject({ ...base, kind: z.literal("reactivate-key"), subject: z.optional(KeySubjectSchema) }),
  z.looseObject({
    ...base,
    kind: z.enum(["attach-quarantine-policy", "attach-session-deny-policy", TAKE_OVER_KIND]),
    subject: z.optional(FenceTargetSchema),
    undo: z.optional(
      z.object({
        policyArn: z.optional(z.string()),
        /** On a take-over: which of the responder's per-principal policies it took over (default quarantine). */
        policy: z.optional(z.enum(["quarantine", "session-deny"])),
      }),
    ),
  }),
  z.looseObject({
    ...base,
    kind: z.literal("revoke-sessions"),
    subject: z.optional(FenceTargetSchema),
    undo: z.optional(z.object({ policyName: z.optional(z.string()) })),
  }),
  z.looseObject({
    ...base,
    kind: z.literal("tag-principal"),
    subject: z.optional(FenceTargetSchema),
    undo: z.optional(z.object({ tagKeys: z.optional(z.array(z.string())) })),
  }),
  z.looseObject({
    ...base,
    kind: z.enum([
      "detach-quarantine-policy",
      "detach-session-deny-policy",
      "delete-revoke-policy",
      "untag-principal",
      HAND_OVER_KIND,
    ]),
    subject: z.optional(FenceTargetSchema),
  }),
  z.looseObject({ ...base, kind: z.enum(CLOSE_KINDS), subject: z.optional(IncidentSubjectSchema) }),
]);
export type ActionRecord = z.infer<typeof ActionRecordSchema>;
export type ActionKind = ActionRecord["kind"];
/** The record of one kind (several kinds share a shape, so `Extract` on `kind` alone would miss them). */
export type ActionOf<K extends ActionKind> = K extends ActionKind
  ? ActionRecord extends infer A
    ? A extends { kind: infer AK }
      ? K extends AK
        ? A & { kind: K }
        : never
      : never
    : never
  : never;

export const DECISIONS = ["contain", "fence", "notify", "duplicate", "ignore"] as const;
export const SOURCE_NAMES = [
  "health",
  "trusted-advisor",
  "guardduty",
  "cloudtrail",
  "drill",
  "investigation",
  "audit",
] as const satisfies readonly SourceName[];

export const SignalRecordSchema = z.looseObject({
  signalId: z.string(),
  source: z.enum(SOURCE_NAMES),
  signal: z.string(),
  severity: SeveritySchema,
  title: z.string(),
  observedAt: z.string(),
  receivedAt: z.string(),
  sourceEventId: z.string(),
  region: z.string(),
  evidence: z.record(z.string(), z.string()),
  decision: z.enum(DECISIONS),
  reasons: z.array(z.string()),
});
export type SignalRecord = z.infer<typeof SignalRecordSchema>;

export const ReleaseRecordSchema = z.looseObject({
  at: z.string(),
  by: z.string(),
  reason: z.string(),
  kind: z.enum(CLOSE_KINDS),
});
export type ReleaseRecord = z.infer<typeof ReleaseRecordSchema>;

/** The incident as it is stored. Read back through this schema: the table is outside input too. */
export const IncidentSchema = z.looseObject({
  incidentId: z.string(),
  accountId: z.string(),
  accessKeyId: z.string(),
  status: IncidentStatusSchema,
  severity: SeveritySchema,
  principal: PrincipalRecordSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  mode: ResponseModeSchema,
  sample: z.boolean(),
  signalIds: z.array(z.string()),
  alertedSignalIds: z.array(z.string()),
  /** Signals whose whole response succeeded: a re-delivery of one of these does nothing. */
  completedSignalIds: z.optional(z.array(z.string())),
  signals: z.array(SignalRecordSchema),
  actions: z.array(ActionRecordSchema),
  releases: z.optional(z.array(ReleaseRecordSchema)),
  investigation: z.optional(z.unknown()),
  /**
   * Bumped by every change of status (and every containment): each such write is conditional on
   * the version it was planned from. Absent on records of older versions (read as 0).
   */
  version: z.optional(z.number()),
  /** How many signals reached the incident; `signals` keeps only the first few (each has its own item). */
  signalCount: z.optional(z.number()),
  /**
   * Set (with the version bumped) by a release just before it sends the key's UpdateAccessKey
   * Active, and removed once that answered: until this instant (ISO) the reactivation may still
   * land. A signal that contains the key over a release waits it out and disables the key again
   * (lambdas/core/respond/release-window.ts), so a release that dies mid-way never leaves it Active.
   */
  reactivatingUntil: z.optional(z.string()),
});
export type Incident = z.infer<typeof IncidentSchema>;

/** The version a write planned from an incident read earlier is conditional on (undefined: no incident yet). */
export interface IncidentBasis {
  readonly exists: boolean;
  /** The version read; undefined on a record written before versions existed. */
  readonly version: number | undefined;
  /**
   * Set when the incident was read contained: then any version will do as long as it is still
   * contained (a release moves it to `releasing` first, and only a containment makes it contained
   * again), so signals about a contained key never conflict with one another.
   */
  readonly stillContained?: boolean;
}

export function basisOf(incident: Pick<Incident, "version" | "status"> | undefined): IncidentBasis {
  return {
    exists: incident !== undefined,
    version: incident?.version,
    ...(incident?.status === "contained" ? { stillContained: true } : {}),
  };
}

/** How many signal records the incident item itself keeps; every signal has its own item besides. */
export const SIGNALS_KEPT_ON_INCIDENT = 20;

/**
 * One signal's own item: the claim of the attempt handling it (so a concurrent duplicate acts
 * once), whether its response completed and whether it was alerted, and its record and actions.
 */
export const SignalStateSchema = z.looseObject({
  signalId: z.string(),
  claimOwner: z.optional(z.string()),
  /** ISO time after which the claim is void (its attempt died): a retry may take it. */
  claimExpiresAt: z.optional(z.string()),
  completedAt: z.optional(z.string()),
  alertedAt: z.optional(z.string()),
  /** This signal's record moved the incident into `contained`: it announces the containment. */
  opened: z.optional(z.boolean()),
  /** When its Incident Contained event went out (claimed before sending, given back on failure). */
  emittedAt: z.optional(z.string()),
  signal: z.optional(SignalRecordSchema),
  actions: z.optional(z.array(ActionRecordSchema)),
});
export type SignalState = z.infer<typeof SignalStateSchema>;

export function principalRecordOf(principal: Principal): PrincipalRecord {
  switch (principal.type) {
    case "user":
    case "role":
      return principal.name === undefined
        ? { type: principal.type }
        : { type: principal.type, name: principal.name };
    case "root":
      return { type: "root" };
    case "other":
      return { type: "other", name: principal.description };
  }
}

export function signalRecordOf(
  exposure: Exposure,
  receivedAt: string,
  severity: Severity,
  decision: SignalRecord["decision"],
  reasons: readonly string[],
): SignalRecord {
  return {
    signalId: exposure.signalId,
    source: exposure.source,
    signal: exposure.signal,
    severity,
    title: exposure.title,
    observedAt: exposure.observedAt,
    receivedAt,
    sourceEventId: exposure.sourceEventId,
    region: exposure.region,
    evidence: { ...exposure.evidence },
    decision,
    reasons: [...reasons],
  };
}

/** How people read an action's subject (the same text the `target` field keeps). */
export function subjectLabelOf(
  subject: KeySubject | z.infer<typeof FenceTargetSchema> | z.infer<typeof IncidentSubjectSchema>,
): string {
  switch (subject.type) {
    case "key":
      return `${subject.accessKeyId} (user ${subject.userName})`;
    case "incident":
      return subject.incidentId;
    case "user":
    case "role":
      return `${subject.type} ${subject.name}`;
  }
}

function isCloseMarker(action: ActionRecord): boolean {
  return (CLOSE_KINDS as readonly string[]).includes(action.kind);
}

/**
 * The actions recorded since the incident was last released or resolved: a later signal may
 * contain the key again, and a release gives back only what that containment did.
 */
export function actionsSinceLastClose(actions: readonly ActionRecord[]): readonly ActionRecord[] {
  let start = 0;
  actions.forEach((action, index) => {
    if (isCloseMarker(action)) start = index + 1;
  });
  return actions.slice(start);
}

/** Steps every containing signal repeats as an overwrite: their repeats say nothing new. */
export const REWRITTEN_EVERY_SIGNAL: ReadonlySet<string> = new Set(["tag-principal", "revoke-sessions"]);

/**
 * The actions worth adding to the incident item: those that say something new since the last
 * close. A later signal about a contained key repeats what is already on record (the same step on
 * the same target with the same outcome): its signal's own item keeps it, the incident does not,
 * so an incident stays bounded whatever the number of signals.
 */
export function actionsWorthKeeping(
  recorded: readonly ActionRecord[],
  actions: readonly ActionRecord[],
): ActionRecord[] {
  const seen = new Set(actionsSinceLastClose(recorded).map((a) => `${a.kind}|${a.target}|${a.outcome}`));
  const kept: ActionRecord[] = [];
  for (const action of actions) {
    const id = `${action.kind}|${action.target}|${action.outcome}`;
    // A change that had to be made again (a policy someone detached, attached anew) is news; an
    // overwrite every signal repeats (the tag, the revoke policy) and an "already" are not.
    const news = action.outcome === "done" && !REWRITTEN_EVERY_SIGNAL.has(action.kind);
    if (seen.has(id) && !news) continue;
    seen.add(id);
    kept.push(action);
  }
  return kept;
}

/**
 * The responder holds an incident's key while it is contained, and after an operator resolved it
 * (resolving changes nothing: the key stays disabled and fenced). Undoing any of that then is
 * tampering; after a release (the operator's own undo) it is not.
 */
export function isHeld(incident: Pick<Incident, "status"> | undefined): boolean {
  return incident?.status === "contained" || incident?.status === "resolved";
}

/** An incident is open while its key is held by the responder. */
export function isOpen(incident: Pick<Incident, "status"> | undefined): boolean {
  return incident?.status === "contained";
}
