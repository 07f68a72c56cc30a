import * as z from "zod/mini";

/** What the audit reports, one finding per key (or per user where no key is involved) and kind. */
export const FINDING_KINDS = [
  "key-old",
  "key-unused",
  "key-never-used",
  "two-active-keys",
  "root-key",
  "root-recent-use",
  "console-without-mfa",
  "admin-key",
  "rule-error",
] as const;
export const FindingKindSchema = z.enum(FINDING_KINDS);
export type FindingKind = z.infer<typeof FindingKindSchema>;

/** A finding as printed (`lkr audit --json`), alerted and stored. */
export const FindingSchema = z.object({
  kind: FindingKindSchema,
  /** The account of the key (Organization audits); absent: the audited account of the run. */
  accountId: z.optional(z.string()),
  userName: z.string(),
  /** The key the finding is about; null for user findings and root keys (the report names no id). */
  accessKeyId: z.nullable(z.string()),
  /** The report slot (1 or 2) of a root key, which has no id here. */
  keySlot: z.optional(z.union([z.literal(1), z.literal(2)])),
  /** 0-100: how much this finding matters, from the kind and the key's facts. */
  risk: z.number(),
  /** One readable sentence with the facts that made it. */
  detail: z.string(),
  /** Days since creation, last use, ...: the number the rule compared. */
  days: z.optional(z.number()),
  /** The key's user holds admin-equivalent permissions. */
  admin: z.optional(z.boolean()),
  /** Incidents of the responder about this key (public exposure history). */
  incidents: z.optional(z.array(z.string())),
  /** Enforcement: the day (UTC, `YYYY-MM-DD`) the key would be disabled for this finding; absent when not enforced. */
  disableOn: z.optional(z.string()),
});
export type Finding = z.infer<typeof FindingSchema>;

/** What identifies a finding from one audit to the next (change-only mode compares these). */
export function fingerprintOf(
  f: Pick<Finding, "kind" | "userName" | "accessKeyId" | "keySlot" | "accountId">,
): string {
  return `${f.accountId === undefined ? "" : `${f.accountId}:`}${f.kind}:${f.userName}:${f.accessKeyId ?? (f.keySlot === undefined ? "-" : `slot${f.keySlot}`)}`;
}

/** Worst first; ties by user, key and kind so the order is stable. */
export function sortByRisk(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      b.risk - a.risk ||
      a.userName.localeCompare(b.userName) ||
      (a.accessKeyId ?? "").localeCompare(b.accessKeyId ?? "") ||
      a.kind.localeCompare(b.kind),
  );
}
