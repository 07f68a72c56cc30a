import type { FindingKind } from "./findings.js";
import type { KeyFacts } from "./keys.js";
import type { CredentialUser, KeySlot } from "./report.js";

/** The thresholds of the audit (days). */
export interface AuditThresholds {
  /** An active key older than this (by creation) is due for rotation. @default 90 */
  readonly maxKeyAgeDays: number;
  /** An active key not used for this long is unused. @default 45 */
  readonly unusedDays: number;
  /** A new key may stay unused this long before "never used" counts. @default 7 */
  readonly newKeyGraceDays: number;
  /** Root used (password or key) within this many days is reported. @default 30 */
  readonly rootRecentDays: number;
}

export const DEFAULT_THRESHOLDS: AuditThresholds = {
  maxKeyAgeDays: 90,
  unusedDays: 45,
  newKeyGraceDays: 7,
  rootRecentDays: 30,
};

/** A rule's answer (cdk-nag's shape): act (report), don't (compliant), or not applicable, with why. */
export type RuleAnswer =
  | { readonly verdict: "act"; readonly detail: string; readonly days?: number }
  | { readonly verdict: "dont" }
  | { readonly verdict: "n/a"; readonly why: string };

/** Whether a user holds admin-equivalent permissions, or why that could not be read. */
export type AdminScope =
  | { readonly admin: boolean; readonly via: readonly string[] }
  | { readonly error: string };

export interface RuleContext {
  readonly now: Date;
  readonly thresholds: AuditThresholds;
}

/** A rule over one access key, seeing its user's other keys and admin scope. */
export interface KeyRule {
  readonly kind: FindingKind;
  check(key: KeyFacts, siblings: readonly KeyFacts[], scope: AdminScope, ctx: RuleContext): RuleAnswer;
}

/** A rule over one user of the report (no key involved). */
export interface UserRule {
  readonly kind: FindingKind;
  check(user: CredentialUser, ctx: RuleContext): RuleAnswer;
}

/** A rule over one key slot of the root user (the report names no root key id). */
export interface RootSlotRule {
  readonly kind: FindingKind;
  check(slot: KeySlot, ctx: RuleContext): RuleAnswer;
}

const DAY_MS = 86_400_000;

/** Whole days from `iso` to now. */
export function daysSince(iso: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS);
}

const DONT: RuleAnswer = { verdict: "dont" };
const INACTIVE: RuleAnswer = { verdict: "n/a", why: "key is inactive" };

/** Rotation: by creation age, active keys only (an inactive key is not "unrotated": Prowler #1929, Steampipe #909). */
export const keyOld: KeyRule = {
  kind: "key-old",
  check(key, _siblings, _scope, { now, thresholds }) {
    if (!key.active) return INACTIVE;
    const age = daysSince(key.createdAt, now);
    return age > thresholds.maxKeyAgeDays
      ? {
          verdict: "act",
          detail: `created ${age} days ago (rotate every ${thresholds.maxKeyAgeDays})`,
          days: age,
        }
      : DONT;
  },
};

/**
 * Unused: by last use, never by creation age (a key in use is not "old-unused": Custodian #6732).
 * A key never used is the next rule's.
 */
export const keyUnused: KeyRule = {
  kind: "key-unused",
  check(key, _siblings, _scope, { now, thresholds }) {
    if (!key.active) return INACTIVE;
    if (key.lastUsed === undefined) return { verdict: "n/a", why: "never used" };
    const idle = daysSince(key.lastUsed, now);
    return idle > thresholds.unusedDays
      ? { verdict: "act", detail: `last used ${idle} days ago (limit ${thresholds.unusedDays})`, days: idle }
      : DONT;
  },
};

/** Never used, once the grace period for a new key is over (Prowler #645). */
export const keyNeverUsed: KeyRule = {
  kind: "key-never-used",
  check(key, _siblings, _scope, { now, thresholds }) {
    if (!key.active) return INACTIVE;
    if (key.lastUsed !== undefined) return { verdict: "n/a", why: "used" };
    const age = daysSince(key.createdAt, now);
    return age > thresholds.newKeyGraceDays
      ? { verdict: "act", detail: `never used, created ${age} days ago`, days: age }
      : { verdict: "n/a", why: `new key within its ${thresholds.newKeyGraceDays}-day grace period` };
  },
};

/** First created, then the lower id: the order keys of one user are compared in. */
function older(a: KeyFacts, b: KeyFacts): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.accessKeyId < b.accessKeyId);
}

/** Two active keys: reported once, on the older one (the one rotation retires), naming the other. */
export const twoActiveKeys: KeyRule = {
  kind: "two-active-keys",
  check(key, siblings) {
    if (!key.active) return INACTIVE;
    const others = siblings.filter((s) => s.active && s.accessKeyId !== key.accessKeyId);
    if (others.length === 0) return DONT;
    if (others.some((o) => older(o, key))) return { verdict: "n/a", why: "reported on the older key" };
    return {
      verdict: "act",
      detail: `${key.userName} also has active key ${others.map((o) => o.accessKeyId).join(", ")}; retire this older one`,
    };
  },
};

/** Keys of admin-equivalent users. An unreadable scope throws: the rule fails closed. */
export const adminKey: KeyRule = {
  kind: "admin-key",
  check(key, _siblings, scope) {
    if (!key.active) return INACTIVE;
    if ("error" in scope) throw new Error(`admin scope of ${key.userName} unreadable: ${scope.error}`);
    return scope.admin ? { verdict: "act", detail: `admin-equivalent via ${scope.via.join(", ")}` } : DONT;
  },
};

/** Console users (and root) without MFA. */
export const consoleWithoutMfa: UserRule = {
  kind: "console-without-mfa",
  check(user) {
    if (!user.consoleAccess) return { verdict: "n/a", why: "no console password" };
    return user.mfaActive ? DONT : { verdict: "act", detail: "console sign-in without MFA" };
  },
};

/** Root used recently: its password, or one of its keys. */
export const rootRecentUse: UserRule = {
  kind: "root-recent-use",
  check(user, { now, thresholds }) {
    if (!user.isRoot) return { verdict: "n/a", why: "not root" };
    const uses = [user.passwordLastUsed, ...user.keySlots.map((s) => s.lastUsed)].filter(
      (t): t is string => t !== undefined,
    );
    const last = uses.sort().at(-1);
    if (last === undefined) return DONT;
    const days = daysSince(last, now);
    return days <= thresholds.rootRecentDays
      ? { verdict: "act", detail: `root used ${days} days ago (${last})`, days }
      : DONT;
  },
};

/** Root access keys: any, active or not (root should have none). */
export const rootKey: RootSlotRule = {
  kind: "root-key",
  check(slot) {
    if (slot.lastRotated === undefined && !slot.active) return DONT;
    return {
      verdict: "act",
      detail: `root access key ${slot.slot} ${slot.active ? "ACTIVE" : "inactive"}${slot.lastRotated ? `, created ${slot.lastRotated}` : ""}: delete it`,
    };
  },
};

export const KEY_RULES: readonly KeyRule[] = [keyOld, keyUnused, keyNeverUsed, twoActiveKeys, adminKey];
export const USER_RULES: readonly UserRule[] = [consoleWithoutMfa, rootRecentUse];
export const ROOT_SLOT_RULES: readonly RootSlotRule[] = [rootKey];
