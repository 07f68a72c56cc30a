import * as z from "zod/mini";
import { maskAccessKeyId } from "../access-key.js";
import { bullets, renderIncidentChat, toSnsSubject } from "../alert-text.js";
import { chatList } from "../chatbot.js";
import type { RenderedAlert } from "../ports.js";
import { type AnnouncementPlan, AnnouncementSchema, dueDateOf } from "./enforcement.js";
import { FINDING_KINDS, type Finding, type FindingKind, FindingSchema, fingerprintOf } from "./findings.js";

/** Audit records live in the incident table under this prefix; incident listings skip it. */
export const AUDIT_RECORD_PREFIX = "audit#";
/** The record holding the last audit's fingerprints (change-only mode compares against it). */
export const LATEST_AUDIT_ID = `${AUDIT_RECORD_PREFIX}latest`;
/** At most this many findings are stored on a record (DynamoDB items hold 400 KB); counts are always whole. */
export const MAX_STORED_FINDINGS = 300;
/** At most this many fingerprints are kept for change-only mode; beyond, every finding counts as new. */
export const MAX_FINGERPRINTS = 3000;

export const ALERT_MODES = ["all", "change-only"] as const;
export type AlertMode = (typeof ALERT_MODES)[number];

/** `audit#2026-12-01`: one record per UTC day. */
export function auditIdOf(now: Date): string {
  return `${AUDIT_RECORD_PREFIX}${now.toISOString().slice(0, 10)}`;
}

export function isAuditRecordId(id: string): boolean {
  return id.startsWith(AUDIT_RECORD_PREFIX);
}

const CountsSchema = z.record(z.string(), z.number());

/** The stored audit: counts of every kind, the worst findings, every fingerprint. */
export const AuditRecordSchema = z.object({
  incidentId: z.string().check(z.startsWith(AUDIT_RECORD_PREFIX)),
  recordType: z.literal("audit"),
  accountId: z.string(),
  generatedAt: z.string(),
  reportGeneratedAt: z.optional(z.string()),
  total: z.number(),
  counts: CountsSchema,
  newCount: z.number(),
  findings: z.array(FindingSchema),
  /** Whether `findings` holds them all. */
  findingsComplete: z.boolean(),
  fingerprints: z.array(z.string()),
  fingerprintsComplete: z.boolean(),
  /** Enforcement: the keys announced, each with its stable due date (absent on records of older versions). */
  announcements: z.optional(z.array(AnnouncementSchema)),
  /** Organization audits: findings per account audited (absent on single-account audits). */
  accounts: z.optional(z.record(z.string(), z.number())),
  /** Organization audits: accounts whose member role could not be assumed, with why. */
  unreachable: z.optional(z.array(z.object({ accountId: z.string(), reason: z.string() }))),
});
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

export interface AuditDigest {
  readonly auditId: string;
  readonly accountId: string;
  readonly generatedAt: string;
  readonly reportGeneratedAt: string | undefined;
  readonly findings: readonly Finding[];
  /** Findings not in the previous audit (all of them when there was none). */
  readonly newFindings: readonly Finding[];
  readonly counts: Readonly<Record<FindingKind, number>>;
  /** Enforcement's announcements after this audit; absent when enforcement was not evaluated. */
  readonly enforcement?: AnnouncementPlan | undefined;
  /** Organization audits: every account audited, with its number of findings. */
  readonly accounts?: Readonly<Record<string, number>> | undefined;
  /** Organization audits: accounts not audited because their member role could not be assumed. */
  readonly unreachable?: readonly UnreachableAccount[] | undefined;
}

/** An account of the Organization the audit could not read, and why (reported, never skipped silently). */
export interface UnreachableAccount {
  readonly accountId: string;
  readonly reason: string;
}

/** Findings per account: every audited account named, 0 when clean. */
export function countsByAccount(
  audited: readonly string[],
  findings: readonly Finding[],
): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(audited.map((a) => [a, 0]));
  for (const f of findings)
    if (f.accountId !== undefined) counts[f.accountId] = (counts[f.accountId] ?? 0) + 1;
  return counts;
}

export function countsOf(findings: readonly Finding[]): Record<FindingKind, number> {
  const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  for (const f of findings) counts[f.kind] += 1;
  return counts;
}

/** The findings not among `previous` fingerprints; all when the previous set was incomplete or absent. */
export function newFindingsOf(
  findings: readonly Finding[],
  previous: Pick<AuditRecord, "fingerprints" | "fingerprintsComplete"> | undefined,
): Finding[] {
  if (previous === undefined) return [...findings];
  const seen = new Set(previous.fingerprints);
  return findings.filter((f) => !seen.has(fingerprintOf(f)) || !previous.fingerprintsComplete);
}

export function digestOf(input: {
  accountId: string;
  now: Date;
  reportGeneratedAt: string | undefined;
  findings: readonly Finding[];
  previous: AuditRecord | undefined;
  enforcement?: AnnouncementPlan | undefined;
  /** Organization audits: the accounts audited and those unreachable. */
  organization?: { audited: readonly string[]; unreachable: readonly UnreachableAccount[] } | undefined;
}): AuditDigest {
  return {
    auditId: auditIdOf(input.now),
    accountId: input.accountId,
    generatedAt: input.now.toISOString(),
    reportGeneratedAt: input.reportGeneratedAt,
    findings: input.findings,
    newFindings: newFindingsOf(input.findings, input.previous),
    counts: countsOf(input.findings),
    ...(input.enforcement ? { enforcement: input.enforcement } : {}),
    ...(input.organization
      ? {
          accounts: countsByAccount(input.organization.audited, input.findings),
          unreachable: input.organization.unreachable,
        }
      : {}),
  };
}

/**
 * Whether the digest is sent: always with findings in `all` mode, only with new findings or keys
 * announced for the first time in `change-only`.
 */
export function shouldAlert(digest: AuditDigest, mode: AlertMode): boolean {
  if (mode === "all") return digest.findings.length > 0;
  return digest.newFindings.length > 0 || (digest.enforcement?.fresh.length ?? 0) > 0;
}

export function recordOf(digest: AuditDigest): AuditRecord {
  const fingerprints = digest.findings.map(fingerprintOf);
  return {
    incidentId: digest.auditId,
    recordType: "audit",
    accountId: digest.accountId,
    generatedAt: digest.generatedAt,
    ...(digest.reportGeneratedAt ? { reportGeneratedAt: digest.reportGeneratedAt } : {}),
    total: digest.findings.length,
    counts: { ...digest.counts },
    newCount: digest.newFindings.length,
    findings: digest.findings.slice(0, MAX_STORED_FINDINGS),
    findingsComplete: digest.findings.length <= MAX_STORED_FINDINGS,
    fingerprints: fingerprints.slice(0, MAX_FINGERPRINTS),
    fingerprintsComplete: fingerprints.length <= MAX_FINGERPRINTS,
    ...(digest.enforcement ? { announcements: [...digest.enforcement.announcements] } : {}),
    ...(digest.accounts ? { accounts: { ...digest.accounts } } : {}),
    ...(digest.unreachable ? { unreachable: digest.unreachable.map((u) => ({ ...u })) } : {}),
  };
}

function keyLabel(f: Finding): string {
  if (f.accessKeyId) return maskAccessKeyId(f.accessKeyId);
  return f.keySlot === undefined ? "-" : `root key ${f.keySlot}`;
}

/** `risk 95  key-old  alice  AKIA...WXYZ  created 400 days ago ...` */
export function findingLine(f: Finding): string {
  const enforced = f.disableOn === undefined ? "" : `  (would be disabled on ${f.disableOn})`;
  return `risk ${f.risk}  ${f.kind}  ${f.userName}  ${keyLabel(f)}  ${f.detail}${enforced}`;
}

/** The enforcement section: keys disabled now, keys announced with their date, keys no longer announced. */
function enforcementLines(plan: AnnouncementPlan, now: string): string[] {
  const label = (a: { accessKeyId: string }) => maskAccessKeyId(a.accessKeyId);
  const dueKeys = new Set(plan.due.map((a) => a.accessKeyId));
  return [
    ...plan.due.map(
      (a) =>
        `${a.kind}  ${a.userName}  ${label(a)}  due ${dueDateOf(a.dueAt)}: handed to the responder to disable`,
    ),
    ...plan.announcements
      .filter((a) => !dueKeys.has(a.accessKeyId) && a.dueAt > now)
      .map(
        (a) =>
          `${a.kind}  ${a.userName}  ${label(a)}  would be disabled on ${dueDateOf(a.dueAt)}${plan.fresh.includes(a) ? " (new)" : ""}`,
      ),
    ...plan.cleared.map((a) => `${a.kind}  ${a.userName}  ${label(a)}  no longer matches: not disabled`),
  ];
}

/** The enforcement facts of the machine JSON: every key announced, due or cleared. */
function enforcementJson(plan: AnnouncementPlan) {
  const entry = (a: AnnouncementPlan["announcements"][number]) => ({
    kind: a.kind,
    userName: a.userName,
    accessKeyId: a.accessKeyId,
    disableOn: dueDateOf(a.dueAt),
  });
  return {
    announced: plan.announcements.map(entry),
    due: plan.due.map(entry),
    cleared: plan.cleared.map(entry),
  };
}

function countLines(counts: Readonly<Record<FindingKind, number>>): string[] {
  return FINDING_KINDS.filter((k) => counts[k] > 0).map((k) => `${k}: ${counts[k]}`);
}

/** Organization audits: findings per account, then each unreachable account with why. */
function accountLines(digest: AuditDigest): string[] {
  return [
    ...Object.entries(digest.accounts ?? {}).map(([account, n]) => `${account}: ${n}`),
    ...(digest.unreachable ?? []).map((u) => `${u.accountId}: UNREACHABLE (${u.reason})`),
  ];
}

function organizationLines(digest: AuditDigest): string[] {
  if (digest.accounts === undefined) return [];
  const unreachable = digest.unreachable?.length ?? 0;
  return [
    "",
    `ACCOUNTS: ${Object.keys(digest.accounts).length} audited${unreachable > 0 ? `, ${unreachable} UNREACHABLE (not audited)` : ""}`,
    ...bullets(accountLines(digest), "none"),
  ];
}

/** The digest as one SNS message: email text, AWS Chatbot JSON, machine JSON. */
export function renderDigestAlert(
  digest: AuditDigest,
  options: { topN: number; mode: AlertMode },
): RenderedAlert {
  const { findings, newFindings } = digest;
  const shown = (options.mode === "change-only" ? newFindings : findings).slice(0, options.topN);
  const subject = toSnsSubject(
    `Key hygiene: ${findings.length} finding${findings.length === 1 ? "" : "s"} (${newFindings.length} new) in ${digest.accountId}`,
  );
  const text = [
    `Key hygiene audit of account ${digest.accountId} at ${digest.generatedAt}`,
    `(credential report of ${digest.reportGeneratedAt ?? "unknown time"})`,
    "",
    `FINDINGS: ${findings.length} (${newFindings.length} new since the last audit)`,
    ...bullets(countLines(digest.counts), "none"),
    ...organizationLines(digest),
    "",
    `WORST ${options.mode === "change-only" ? "NEW " : ""}FINDINGS (highest risk first)`,
    ...bullets(shown.map(findingLine), "none"),
    ...(digest.enforcement
      ? [
          "",
          "ENFORCEMENT (notify first)",
          ...bullets(enforcementLines(digest.enforcement, digest.generatedAt), "none"),
        ]
      : []),
    "",
    (digest.enforcement?.due.length ?? 0) > 0
      ? "Every finding: lkr audit (or --json). Keys due are disabled by the responder (that key only, never deleted; lkr release undoes it); the audit changed nothing itself."
      : "Every finding: lkr audit (or --json). Findings are per access key; nothing was changed.",
  ].join("\n");
  const chat = renderIncidentChat({
    id: digest.auditId,
    incidentId: digest.auditId,
    subject,
    emoji: findings.some((f) => f.risk >= 80) ? ":rotating_light:" : ":key:",
    description: [
      chatList("Counts", countLines(digest.counts), "No findings."),
      ...(digest.accounts ? [chatList("Accounts", accountLines(digest))] : []),
      chatList(
        "Worst",
        shown.map((f) => `${f.risk} \`${f.kind}\` ${f.userName} ${keyLabel(f)}`),
      ),
      ...(digest.enforcement
        ? [chatList("Enforcement", enforcementLines(digest.enforcement, digest.generatedAt))]
        : []),
    ],
    nextSteps: ["Run `lkr audit` for every finding", "Rotate or delete the keys named"],
    keywords: ["key-hygiene", digest.accountId],
    eventType: "KeyHygieneAudit",
    relatedResources: [],
    additionalContext: {
      account: digest.accountId,
      total: String(findings.length),
      new: String(newFindings.length),
    },
  });
  const machine = JSON.stringify({
    auditId: digest.auditId,
    accountId: digest.accountId,
    generatedAt: digest.generatedAt,
    counts: digest.counts,
    total: findings.length,
    newCount: newFindings.length,
    findings: shown,
    ...(digest.accounts ? { accounts: digest.accounts, unreachable: digest.unreachable ?? [] } : {}),
    ...(digest.enforcement ? { enforcement: enforcementJson(digest.enforcement) } : {}),
  });
  return { subject, text, chat, machine };
}
