import { type Finding, type FindingKind, sortByRisk } from "./findings.js";
import type { KeyFacts } from "./keys.js";
import type { CredentialUser } from "./report.js";
import { riskOf } from "./risk.js";
import {
  type AdminScope,
  daysSince,
  KEY_RULES,
  ROOT_SLOT_RULES,
  type RuleAnswer,
  type RuleContext,
  USER_RULES,
} from "./rules.js";

/** Everything the audit gathered, keyed by user name (keys, admin scope) and key id (incidents). */
export interface AuditFacts {
  readonly users: readonly CredentialUser[];
  readonly keysByUser: ReadonlyMap<string, readonly KeyFacts[]>;
  /** Users looked up; a user with an active key and no entry counts as unreadable (fails closed). */
  readonly adminByUser: ReadonlyMap<string, AdminScope>;
  readonly incidentsByKey: ReadonlyMap<string, readonly string[]>;
}

const NOT_LOOKED_UP: AdminScope = { error: "admin scope not looked up" };

/** A rule's answer; a rule that throws answers "act" as a rule-error finding (fail closed). */
function answer(run: () => RuleAnswer): RuleAnswer | { verdict: "error"; message: string } {
  try {
    return run();
  } catch (error) {
    return { verdict: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

function idleDaysOf(key: KeyFacts, now: Date): number | undefined {
  if (!key.active) return undefined;
  return daysSince(key.lastUsed ?? key.createdAt, now);
}

function keyFindings(user: CredentialUser, facts: AuditFacts, ctx: RuleContext): Finding[] {
  const keys = facts.keysByUser.get(user.userName) ?? [];
  const scope = facts.adminByUser.get(user.userName) ?? NOT_LOOKED_UP;
  const admin = "admin" in scope && scope.admin;
  return keys.flatMap((key) => {
    const incidents = facts.incidentsByKey.get(key.accessKeyId) ?? [];
    const risk = (kind: FindingKind) =>
      riskOf(kind, {
        admin,
        exposed: incidents.length > 0,
        neverUsed: key.active && key.lastUsed === undefined,
        idleDays: idleDaysOf(key, ctx.now),
        root: false,
      });
    return KEY_RULES.flatMap((rule): Finding[] => {
      const a = answer(() => rule.check(key, keys, scope, ctx));
      if (a.verdict === "dont" || a.verdict === "n/a") return [];
      const kind = a.verdict === "error" ? "rule-error" : rule.kind;
      return [
        {
          kind,
          userName: user.userName,
          accessKeyId: key.accessKeyId,
          risk: risk(kind),
          detail: a.verdict === "error" ? `${rule.kind} could not be decided: ${a.message}` : a.detail,
          ...(a.verdict === "act" && a.days !== undefined ? { days: a.days } : {}),
          admin,
          ...(incidents.length > 0 ? { incidents: [...incidents] } : {}),
        },
      ];
    });
  });
}

function userFindings(user: CredentialUser, facts: AuditFacts, ctx: RuleContext): Finding[] {
  const scope = facts.adminByUser.get(user.userName);
  const admin = user.isRoot || (scope !== undefined && "admin" in scope && scope.admin);
  const base = { userName: user.userName, accessKeyId: null };
  const facts0 = { admin, exposed: false, neverUsed: false, idleDays: undefined, root: user.isRoot };
  const fromUser = USER_RULES.flatMap((rule): Finding[] => {
    const a = answer(() => rule.check(user, ctx));
    if (a.verdict === "dont" || a.verdict === "n/a") return [];
    const kind = a.verdict === "error" ? "rule-error" : rule.kind;
    const detail = a.verdict === "error" ? `${rule.kind} could not be decided: ${a.message}` : a.detail;
    const days = a.verdict === "act" && a.days !== undefined ? { days: a.days } : {};
    return [{ kind, ...base, risk: riskOf(kind, facts0), detail, ...days }];
  });
  const fromRootSlots = user.isRoot
    ? user.keySlots.flatMap((slot) =>
        ROOT_SLOT_RULES.flatMap((rule): Finding[] => {
          const a = answer(() => rule.check(slot, ctx));
          if (a.verdict === "dont" || a.verdict === "n/a") return [];
          const kind = a.verdict === "error" ? "rule-error" : rule.kind;
          const detail = a.verdict === "error" ? `${rule.kind} could not be decided: ${a.message}` : a.detail;
          const risk = riskOf(kind, facts0) - (slot.active ? 0 : 30);
          return [{ kind, ...base, keySlot: slot.slot, risk, detail }];
        }),
      )
    : [];
  return [...fromUser, ...fromRootSlots];
}

/** Every finding of the audit, worst first: per key for key rules, per user for the others. */
export function evaluateAudit(facts: AuditFacts, ctx: RuleContext): Finding[] {
  return sortByRisk(
    facts.users.flatMap((user) => [...userFindings(user, facts, ctx), ...keyFindings(user, facts, ctx)]),
  );
}
