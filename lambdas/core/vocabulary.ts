import * as z from "zod/mini";

/**
 * The small closed sets every feature shares (severity, response mode, the principals the
 * responder may fence), each a zod schema so a stored or configured value is parsed, never cast.
 */

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Lowest first: the rank is the index. */
export const SEVERITY_ORDER: readonly Severity[] = SEVERITIES;

export function severityRank(severity: Severity): number {
  return SEVERITY_ORDER.indexOf(severity);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export const RESPONSE_MODES = ["enforce", "notify-only"] as const;
export const ResponseModeSchema = z.enum(RESPONSE_MODES);
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

/** IAM user and role names (the IAM name grammar; users up to 64, roles up to 64, paths aside). */
export const IAM_NAME = String.raw`[\w+=,.@-]{1,128}`;

/** A user or role the responder may change. */
export const FenceTargetSchema = z.object({
  type: z.enum(["user", "role"]),
  name: z.string(),
});
export type FenceTarget = z.infer<typeof FenceTargetSchema>;

/** Who an incident is about, as stored: `other` keeps the signal's description as its name. */
export const PrincipalRecordSchema = z.object({
  type: z.enum(["user", "role", "root", "other"]),
  name: z.optional(z.string()),
});
export type PrincipalRecord = z.infer<typeof PrincipalRecordSchema>;

/** `user alice`, `role web`, `root user`, or the description of another principal: one label everywhere. */
export function principalLabelOf(principal: {
  readonly type: string;
  readonly name?: string | undefined;
}): string {
  if (principal.type === "root") return "root user";
  if (principal.type === "other") return principal.name ?? "unknown principal";
  return principal.name ? `${principal.type} ${principal.name}` : `unknown ${principal.type}`;
}
