import { keyKindOf } from "./access-key.js";
import { describeError } from "./errors.js";
import type { Exposure, Severity } from "./exposure.js";
import { type Incident, type IncidentStatus, incidentIdOf, isHeld } from "./incident.js";
import type { FenceTarget, ResponseMode } from "./vocabulary.js";

export type { FenceTarget, ResponseMode } from "./vocabulary.js";

/** What the lookups before containment found out about the key's principal. */
export type PrincipalFacts =
  | {
      readonly kind: "user";
      readonly name: string;
      readonly exempt: boolean;
      readonly drillCanary: boolean;
      /** The user carries the honey key tag: powerless already, never contained (see honeykey/). */
      readonly honeyKey?: boolean;
      /**
       * The key's status before the responder touched it; `absent`: the user has no such key;
       * `session`: an ASIA key, which IAM does not list and which cannot be disabled.
       */
      readonly keyStatus: "Active" | "Inactive" | "absent" | "session";
      /** Value of this key's quarantine tag on the user, when an earlier attempt set it. */
      readonly quarantineMark?: string | undefined;
    }
  | {
      readonly kind: "role";
      readonly name: string;
      readonly exempt: boolean;
      readonly quarantineMark?: string | undefined;
    }
  | { readonly kind: "not-found"; readonly what: string }
  | { readonly kind: "not-looked-up" }
  | { readonly kind: "lookup-failed"; readonly error: string };

export type Step =
  | {
      readonly kind: "disable-key";
      readonly accessKeyId: string;
      readonly userName: string;
      readonly previousStatus: "Active" | "Inactive";
    }
  | { readonly kind: "record-incident"; readonly incidentId: string; readonly accessKeyId: string }
  | { readonly kind: "attach-quarantine-policy"; readonly target: FenceTarget; readonly policyArn: string }
  /** A user's sessions: the stack's deny-only managed policy (every temporary-credential request denied). */
  | {
      readonly kind: "attach-session-deny-policy";
      readonly target: FenceTarget;
      readonly policyArn: string;
    }
  /** A role's sessions: an inline deny by token issue time, written by the role-session revoker. */
  | {
      readonly kind: "revoke-sessions";
      readonly target: FenceTarget;
      readonly policyName: string;
      /** Sessions whose token was issued before this instant are denied everything. */
      readonly issuedBefore: string;
    }
  | {
      readonly kind: "tag-principal";
      readonly target: FenceTarget;
      readonly tags: Readonly<Record<string, string>>;
    }
  | { readonly kind: "notify"; readonly incidentId: string }
  | { readonly kind: "emit-contained-event"; readonly incidentId: string };

export type StepKind = Step["kind"];

/** Steps that change IAM: the ones notify-only mode and exemptions hold back. */
export type IamStep = Extract<
  Step,
  {
    kind:
      | "disable-key"
      | "attach-quarantine-policy"
      | "attach-session-deny-policy"
      | "revoke-sessions"
      | "tag-principal";
  }
>;

/**
 * duplicate: this signal was handled already; ignore: nothing to act on or tell (e.g. a key
 * re-enabled with no incident the responder holds); fence: the user's sessions are denied and the
 * key — one of several candidates — is left as it is (the incident stays `notified`: nothing is contained).
 */
export type Decision = "contain" | "fence" | "notify" | "duplicate" | "ignore";

export interface ResponsePlan {
  readonly incidentId: string;
  readonly decision: Decision;
  readonly severity: Severity;
  /** Why the responder does not act (empty when it contains). */
  readonly reasons: readonly string[];
  /** Steps to execute, in order. */
  readonly steps: readonly Step[];
  /** IAM steps held back by policy, mode or exemption: the alert says they would have been done. */
  readonly withheld: readonly IamStep[];
  readonly status: IncidentStatus;
}

export interface PlanContext {
  readonly mode: ResponseMode;
  readonly now: string;
  readonly quarantinePolicyArn: string;
  /**
   * The stack's deny-only session policy for users; unset (an old configuration): a user's
   * sessions are not revoked, only its key disabled and quarantined.
   */
  readonly sessionDenyPolicyArn?: string | undefined;
  /** User and role names that are never changed. */
  readonly exemptPrincipals: readonly string[];
  /** The exempt tag exempts only when the deployer opted in (HONOR_EXEMPT_TAG). @default false */
  readonly honorExemptTag?: boolean | undefined;
  readonly incident: Incident | undefined;
  readonly facts: PrincipalFacts;
  /** An earlier attempt completed this signal's whole response (its own item says so). */
  readonly signalCompleted?: boolean;
}

export const TAG_PREFIX = "leaked-key-responder";
export const EXEMPT_TAG = `${TAG_PREFIX}:exempt`;
export const DRILL_TAG = `${TAG_PREFIX}:drill`;
/** One tag per key, so a release removes exactly its own. */
export function quarantineTagKey(accessKeyId: string): string {
  return `${TAG_PREFIX}:quarantine:${accessKeyId}`;
}
/**
 * The alert receipt kept in a quarantine tag's value while the incident table is unreachable:
 * `alerted:` and an FNV-1a hash of the signal id (tag values allow only a few characters).
 */
export function alertReceiptOf(signalId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < signalId.length; i++) {
    hash ^= signalId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `alerted:${hash.toString(16).padStart(8, "0")}`;
}

/** One inline policy per key, so a release removes exactly its own. */
export function revokePolicyName(accessKeyId: string): string {
  return `leaked-key-responder-revoke-${accessKeyId}`;
}

/** Why a drill naming anyone but a drill canary is ignored. */
export const DRILL_NOT_CANARY = `drill event for a principal not tagged ${DRILL_TAG}=true: ignored`;

/** Why the audit's enforcement signal for a released key is ignored. */
export const AUDIT_KEY_RELEASED = "key released by an operator: the audit does not disable it again";

function isDrillCanary(facts: PrincipalFacts): boolean {
  return facts.kind === "user" && facts.drillCanary;
}

/** cdk-nag's rule shape: act, don't act (with why), or not my business. */
export type RuleVerdict =
  | { readonly verdict: "act" }
  | { readonly verdict: "dont"; readonly reason: string }
  | { readonly verdict: "n/a" };

export type Rule = (exposure: Exposure, context: PlanContext) => RuleVerdict;

const NA: RuleVerdict = { verdict: "n/a" };
const dont = (reason: string): RuleVerdict => ({ verdict: "dont", reason });

/** Whether a user or role name is on a list of names (IAM names are not distinguished by case). */
export function isListed(name: string, names: readonly string[]): boolean {
  const folded = name.toLowerCase();
  return names.some((listed) => listed.toLowerCase() === folded);
}

export const RULES: readonly (readonly [string, Rule])[] = [
  ["sample", (e) => (e.sample ? dont("GuardDuty sample finding: reported, never acted on") : NA)],
  [
    "principal-type",
    (e) => {
      if (e.principal.type === "root") {
        return dont("root user's key: no IAM role can change it; sign in as root and deactivate it now");
      }
      if (e.principal.type === "other")
        return dont(`principal (${e.principal.description}) cannot be fenced`);
      return NA;
    },
  ],
  ["signal-policy", (e) => (e.intent === "notify" ? dont(`${e.signal}: policy is to notify`) : NA)],
  [
    "principal-found",
    (e, c) => {
      switch (c.facts.kind) {
        case "not-found":
          return dont(`${c.facts.what} does not exist (deleted?)`);
        case "lookup-failed":
          return dont(`principal lookup failed (${c.facts.error}): failing closed, nothing changed`);
        case "not-looked-up":
          return dont("principal unknown");
        case "user":
          // A principal fenced for another key's incident holds no key of it.
          return c.facts.keyStatus === "absent" && e.intent !== "fence-principal"
            ? dont(`user ${c.facts.name} has no such key`)
            : NA;
        case "role":
          return NA;
      }
    },
  ],
  [
    "linked-incident",
    // A principal is fenced for a key's incident only while the responder holds that key: after a
    // release (a false alarm) what the key made is the operator's to judge.
    (e, c) =>
      e.intent === "fence-principal" && c.incident?.status !== "contained"
        ? dont(
            `incident ${incidentIdOf(e.accountId, e.accessKeyId)} is ${c.incident?.status ?? "not recorded"}, not contained: nothing fenced for it`,
          )
        : NA,
  ],
  [
    "allowlist",
    // IAM user and role names are not distinguished by case: "BreakGlass" on the list exempts "breakglass".
    (_e, c) =>
      (c.facts.kind === "user" || c.facts.kind === "role") && isListed(c.facts.name, c.exemptPrincipals)
        ? dont(`${c.facts.kind} ${c.facts.name} is on the exempt list`)
        : NA,
  ],
  [
    "exempt-tag",
    // Honoured only when the deployer opted in: a leaked key allowed iam:TagUser on itself could
    // otherwise exempt itself.
    (_e, c) =>
      c.honorExemptTag === true && (c.facts.kind === "user" || c.facts.kind === "role") && c.facts.exempt
        ? dont(`${c.facts.kind} ${c.facts.name} is tagged ${EXEMPT_TAG}=true`)
        : NA,
  ],
  [
    "honey-key",
    // A honey user is powerless already (explicit deny-all) and must stay active so that every
    // further use is seen: a signal about its key means the place it was planted leaked.
    (_e, c) =>
      c.facts.kind === "user" && c.facts.honeyKey === true
        ? dont(
            `user ${c.facts.name} holds a honey key: powerless already, never contained; where it was planted has leaked`,
          )
        : NA,
  ],
  [
    "drill-canary",
    (e, c) => {
      if (e.source !== "drill") return NA;
      return isDrillCanary(c.facts) ? { verdict: "act" } : dont(DRILL_NOT_CANARY);
    },
  ],
  ["mode", (_e, c) => (c.mode === "notify-only" ? dont("notify-only mode") : NA)],
];

/** Runs every rule; an exception inside a rule fails closed (don't act, say why). */
export function evaluateRules(exposure: Exposure, context: PlanContext, rules = RULES): string[] {
  const reasons: string[] = [];
  for (const [name, rule] of rules) {
    let verdict: RuleVerdict;
    try {
      verdict = rule(exposure, context);
    } catch (error) {
      verdict = dont(`rule ${name} failed (${describeError(error)}): failing closed`);
    }
    if (verdict.verdict === "dont") reasons.push(verdict.reason);
  }
  return reasons;
}

/** What enforcement would do to this key's principal, before any rule has its say. */
export function containmentSteps(exposure: Exposure, context: PlanContext): IamStep[] {
  const facts = context.facts;
  if (facts.kind !== "user" && facts.kind !== "role") return [];
  const target: FenceTarget = { type: facts.kind, name: facts.name };
  const accessKeyId = exposure.accessKeyId;
  const revokeRole: IamStep = {
    kind: "revoke-sessions",
    target,
    policyName: revokePolicyName(accessKeyId),
    issuedBefore: context.now,
  };
  const denyUserSessions: IamStep[] =
    context.sessionDenyPolicyArn === undefined
      ? []
      : [{ kind: "attach-session-deny-policy", target, policyArn: context.sessionDenyPolicyArn }];
  const tag: IamStep = {
    kind: "tag-principal",
    target,
    tags: {
      [quarantineTagKey(accessKeyId)]: `${incidentIdOf(exposure.accountId, accessKeyId)} ${context.now}`,
    },
  };
  if (facts.kind === "role") return [revokeRole, tag];
  if (exposure.intent === "revoke-sessions" || exposure.intent === "fence-user") {
    return [...denyUserSessions, tag];
  }
  const quarantine: IamStep = {
    kind: "attach-quarantine-policy",
    target,
    policyArn: context.quarantinePolicyArn,
  };
  if (exposure.intent === "fence-principal") return [quarantine, ...denyUserSessions, tag];
  if (keyKindOf(accessKeyId) === "session" || facts.keyStatus === "absent" || facts.keyStatus === "session") {
    return [...denyUserSessions, quarantine, tag];
  }
  return [
    { kind: "disable-key", accessKeyId, userName: facts.name, previousStatus: facts.keyStatus },
    quarantine,
    ...denyUserSessions,
    tag,
  ];
}

/**
 * Why a change to a key or its fence is not tampering (undefined when it is): the responder does
 * not hold the key (no incident, only notified, or released by an operator — their own undo), the
 * principal is gone, or `lkr drill` is removing the canary of a resolved drill.
 */
function notTamperingBecause(context: PlanContext): string | undefined {
  const { incident, facts } = context;
  if (incident?.status === "released")
    return "incident released by an operator: their change is not tampering";
  if (!isHeld(incident)) return "key re-enabled with no open incident";
  if (facts.kind === "not-found") return `${facts.what} does not exist any more: nothing to contain again`;
  if (incident?.status === "resolved" && facts.kind === "user" && facts.drillCanary) {
    return "drill canary of a resolved drill: lkr drill is removing it";
  }
  return undefined;
}

export function planResponse(exposure: Exposure, context: PlanContext): ResponsePlan {
  const incidentId = incidentIdOf(exposure.accountId, exposure.accessKeyId);
  const incident = context.incident;
  // Only a signal whose whole response succeeded is a duplicate: one that alerted but failed
  // half-way (say, throttled past the SDK's retries) is done again, without a second alert.
  if (context.signalCompleted || incident?.completedSignalIds?.includes(exposure.signalId)) {
    return {
      incidentId,
      decision: "duplicate",
      severity: exposure.severity,
      reasons: ["signal already handled"],
      steps: [],
      withheld: [],
      status: incident?.status ?? "notified",
    };
  }
  const notTampering = exposure.intent === "recontain-if-open" ? notTamperingBecause(context) : undefined;
  if (notTampering !== undefined) {
    return {
      incidentId,
      decision: "ignore",
      severity: exposure.severity,
      reasons: [notTampering],
      steps: [],
      withheld: [],
      status: incident?.status ?? "notified",
    };
  }
  if (exposure.source === "drill" && !isDrillCanary(context.facts)) {
    // Only the stack's roles and its operators may send drills (the responder's own bus): one that
    // names a real user is a mistake or an abuse. Nothing is recorded or alerted; the handler
    // logs it and counts it in a metric.
    return {
      incidentId,
      decision: "ignore",
      severity: exposure.severity,
      reasons: [DRILL_NOT_CANARY],
      steps: [],
      withheld: [],
      status: incident?.status ?? "notified",
    };
  }
  if (exposure.source === "audit" && (incident?.status === "released" || incident?.status === "releasing")) {
    // An operator released this key: the audit's enforcement does not overrule them.
    return {
      incidentId,
      decision: "ignore",
      severity: exposure.severity,
      reasons: [AUDIT_KEY_RELEASED],
      steps: [],
      withheld: [],
      status: incident.status,
    };
  }
  const reasons = evaluateRules(exposure, context);
  const iamSteps = containmentSteps(exposure, context);
  const contain = reasons.length === 0 && iamSteps.length > 0;
  if (reasons.length === 0 && !contain) reasons.push("nothing the responder can change for this principal");
  const record: Step = { kind: "record-incident", incidentId, accessKeyId: exposure.accessKeyId };
  const notify: Step = { kind: "notify", incidentId };
  if (contain && exposure.intent === "fence-user") {
    // The key may not be the leaked one: its user is fenced, the key stays as it is, and the
    // incident says `notified` until a signal that names the key contains it.
    return {
      incidentId,
      decision: "fence",
      severity: exposure.severity,
      reasons: [],
      steps: [record, ...iamSteps, notify],
      withheld: [],
      status: incident?.status ?? "notified",
    };
  }
  if (contain) {
    // Containment first: the key goes Inactive (or, for sessions, their deny is in place) before
    // anything slow happens, the incident record included.
    const [first, ...rest] = iamSteps;
    const ordered: Step[] = first ? [first, record, ...rest] : [record];
    return {
      incidentId,
      decision: "contain",
      severity: exposure.severity,
      reasons: [],
      steps: [...ordered, notify, { kind: "emit-contained-event", incidentId }],
      withheld: [],
      status: "contained",
    };
  }
  return {
    incidentId,
    decision: "notify",
    severity: exposure.severity,
    reasons,
    steps: [record, notify],
    withheld: iamSteps,
    // A notification never reopens or downgrades what an operator or an earlier containment decided.
    status: incident?.status ?? "notified",
  };
}
