import * as z from "zod/mini";
import { AccountIdSchema } from "../access-key.js";
import { IAM_PRINCIPAL_NAME_PATTERN } from "../contract.js";
import { type Finding, type FindingKind, fingerprintOf } from "./findings.js";

/**
 * Optional enforcement, notify first. Per finding kind, a key is announced `noticeDays` before it
 * would be disabled; the announcement (with its due date) is kept on the audit record, so the date
 * stays the same from one audit to the next, and a key that stops matching is un-announced. When
 * the date has passed and the key still matches, the audit puts an enforcement signal on the
 * stack's own bus; the respond function contains the key as an incident (source `audit`), after
 * checking the signal against the announcement stored here. The audit itself changes no key.
 */

/** The kinds a key can be disabled for: the per-key rules (root keys and console users have no key the responder may touch). */
export const ENFORCEABLE_KINDS = [
  "key-old",
  "key-unused",
  "key-never-used",
  "two-active-keys",
  "admin-key",
] as const satisfies readonly FindingKind[];
export type EnforceableKind = (typeof ENFORCEABLE_KINDS)[number];

/** Days of notice per enforced kind; a kind not named is never enforced (the default: none). */
export type EnforcementPolicy = Readonly<Partial<Record<EnforceableKind, number>>>;

export const MAX_NOTICE_DAYS = 365;

/** At most this many announcements are kept (DynamoDB items hold 400 KB); beyond, keys are announced on a later run. */
export const MAX_ANNOUNCEMENTS = 500;

export function isEnforceableKind(kind: string): kind is EnforceableKind {
  return (ENFORCEABLE_KINDS as readonly string[]).includes(kind);
}

/** What a policy entry may be, in words (config errors of the function and of the construct). */
export const ENFORCE_ALLOWED = `comma-separated kind=days with kind one of ${ENFORCEABLE_KINDS.join(", ")} and days an integer from 0 to ${MAX_NOTICE_DAYS}`;

/** The problem with one kind/days entry, or undefined when it is fine. */
export function enforcementEntryProblem(kind: string, days: number): string | undefined {
  if (!isEnforceableKind(kind)) return `"${kind}" is not an enforceable kind`;
  if (!Number.isInteger(days) || days < 0 || days > MAX_NOTICE_DAYS)
    return `${kind}=${days}: days out of range`;
  return undefined;
}

/** `key-old=30,key-unused=14` → `{ "key-old": 30, "key-unused": 14 }`; throws naming the bad entries. */
export function parseEnforcementPolicy(text: string): EnforcementPolicy {
  const policy: Partial<Record<EnforceableKind, number>> = {};
  const problems: string[] = [];
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "")) {
    const match = /^([a-z-]+)\s*=\s*(\d+)$/.exec(entry);
    const kind = match?.[1] ?? entry;
    const days = match?.[2] === undefined ? Number.NaN : Number(match[2]);
    const problem = match ? enforcementEntryProblem(kind, days) : `"${entry}" is not kind=days`;
    if (problem !== undefined) problems.push(problem);
    else policy[kind as EnforceableKind] = days;
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return policy;
}

/** The policy as the environment variable carries it (kinds in their fixed order). */
export function formatEnforcementPolicy(policy: EnforcementPolicy): string {
  return ENFORCEABLE_KINDS.filter((k) => policy[k] !== undefined)
    .map((k) => `${k}=${policy[k]}`)
    .join(",");
}

/** One key announced for one kind: when it was announced and when it would be disabled. */
export const AnnouncementSchema = z.object({
  kind: z.enum(ENFORCEABLE_KINDS),
  userName: z.string(),
  accessKeyId: z.string(),
  announcedAt: z.string(),
  dueAt: z.string(),
});
export type Announcement = z.infer<typeof AnnouncementSchema>;

export interface AnnouncementPlan {
  /** Every key announced after this audit (kept and new), stored on the record. */
  readonly announcements: readonly Announcement[];
  /** Announced today for the first time. */
  readonly fresh: readonly Announcement[];
  /** Announced before and matching no finding any more (the key was fixed), or no longer enforced: dropped. */
  readonly cleared: readonly Announcement[];
  /** Their date has passed: one enforcement signal per key. */
  readonly due: readonly Announcement[];
}

const DAY_MS = 86_400_000;

/** `2026-12-31`: the day a due date falls on (UTC), as the digest shows it. */
export function dueDateOf(dueAt: string): string {
  return dueAt.slice(0, 10);
}

function isExempt(userName: string, exempt: readonly string[]): boolean {
  const folded = userName.toLowerCase();
  return exempt.some((name) => name.toLowerCase() === folded);
}

/**
 * Compares this audit's findings with the announcements kept from the last one. A finding of an
 * enforced kind, on a key of a principal that is not exempt, keeps its announcement (and its date)
 * or gets a new one due `noticeDays` from now; an announcement no finding matches is cleared.
 * Findings come worst first, so when the cap is reached the riskiest keys are the ones announced.
 */
export function planAnnouncements(input: {
  findings: readonly Finding[];
  previous: readonly Announcement[];
  policy: EnforcementPolicy;
  exemptPrincipals: readonly string[];
  now: Date;
}): AnnouncementPlan {
  const { policy, now } = input;
  const kept = new Map(input.previous.map((a) => [fingerprintOf(a), a]));
  const announcements: Announcement[] = [];
  const fresh: Announcement[] = [];
  const seen = new Set<string>();
  for (const f of input.findings) {
    if (f.accessKeyId === null || !isEnforceableKind(f.kind)) continue;
    const notice = policy[f.kind];
    if (notice === undefined || isExempt(f.userName, input.exemptPrincipals)) continue;
    const fingerprint = fingerprintOf(f);
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    const previous = kept.get(fingerprint);
    if (previous !== undefined) {
      announcements.push(previous);
      continue;
    }
    if (announcements.length >= MAX_ANNOUNCEMENTS) continue;
    const announcement: Announcement = {
      kind: f.kind,
      userName: f.userName,
      accessKeyId: f.accessKeyId,
      announcedAt: now.toISOString(),
      dueAt: new Date(now.getTime() + notice * DAY_MS).toISOString(),
    };
    announcements.push(announcement);
    fresh.push(announcement);
  }
  const cleared = input.previous.filter((a) => !seen.has(fingerprintOf(a)));
  const due = announcements.filter((a) => Date.parse(a.dueAt) <= now.getTime());
  return { announcements, fresh, cleared, due };
}

/** The findings with their announcement's date (`disableOn`), for the digest and the machine JSON. */
export function withDisableDates(
  findings: readonly Finding[],
  announcements: readonly Announcement[],
): Finding[] {
  const byFingerprint = new Map(announcements.map((a) => [fingerprintOf(a), a]));
  return findings.map((f) => {
    const a = byFingerprint.get(fingerprintOf(f));
    return a === undefined ? f : { ...f, disableOn: dueDateOf(a.dueAt) };
  });
}

/** Enforcement signals are custom events on the responder's own bus (only the stack's roles put there). */
export const AUDIT_ENFORCEMENT_SOURCE = "leaked-key-responder.audit";
export const AUDIT_ENFORCEMENT_DETAIL_TYPE = "Key Hygiene Enforcement Due";

/** The detail of one enforcement signal: one key, the kinds due on it, from which audit. */
export const EnforcementDetailSchema = z.object({
  /** The audited account (the credential report's). */
  accountId: AccountIdSchema,
  /** A long-term key: the audit reads only the keys IAM lists (never ASIA session keys). */
  accessKeyId: z.string().check(z.regex(/^AKIA[A-Z0-9]{16}$/)),
  userName: z.string().check(z.regex(IAM_PRINCIPAL_NAME_PATTERN)),
  kinds: z.array(z.enum(ENFORCEABLE_KINDS)).check(z.minLength(1)),
  /** The earliest due date of those kinds: with the key, the signal's identity (re-sent daily, handled once). */
  dueAt: z.string(),
  auditId: z.string(),
});
export type EnforcementDetail = z.infer<typeof EnforcementDetailSchema>;

/** One signal per key whose announcements are due, in the order of the findings (worst first). */
export function enforcementSignalsOf(
  due: readonly Announcement[],
  audit: { readonly auditId: string; readonly accountId: string },
): EnforcementDetail[] {
  const byKey = new Map<string, Announcement[]>();
  for (const a of due) byKey.set(a.accessKeyId, [...(byKey.get(a.accessKeyId) ?? []), a]);
  return [...byKey.values()].map((list) => {
    const first = list[0] as Announcement;
    return {
      accountId: audit.accountId,
      accessKeyId: first.accessKeyId,
      userName: first.userName,
      kinds: list.map((a) => a.kind),
      dueAt: list.map((a) => a.dueAt).sort()[0] as string,
      auditId: audit.auditId,
    };
  });
}

/**
 * Whether an enforcement signal is one the audit sent: anyone the bus admits (operators too) can put
 * one, so the respond function acts only when the last stored audit, of the same account, announces
 * this key of this user, due by now. Returns why not, or undefined when it does.
 */
export function unannouncedBecause(
  signal: { readonly accountId: string; readonly accessKeyId: string; readonly userName: string | undefined },
  record:
    | { readonly accountId: string; readonly announcements?: readonly Announcement[] | undefined }
    | undefined,
  now: Date,
): string | undefined {
  const announcements = record?.announcements;
  if (record === undefined || announcements === undefined) return "no audit record with announcements";
  if (record.accountId !== signal.accountId) return `the last audit was of account ${record.accountId}`;
  const matching = announcements.filter(
    (a) => a.accessKeyId === signal.accessKeyId && a.userName === signal.userName,
  );
  if (matching.length === 0) return `key ${signal.accessKeyId} of ${signal.userName} is not announced`;
  if (!matching.some((a) => Date.parse(a.dueAt) <= now.getTime())) {
    return `key ${signal.accessKeyId} is announced, not due yet`;
  }
  return undefined;
}
