/**
 * Every IAM action the audit calls, next to the read that needs it, with the resource type it
 * names. The construct builds the audit role's policy from this table; a test fails when the
 * audit's adapter sends an IAM command no row grants. All are reads: the audit changes nothing.
 */
export type AuditIamResource = "*" | "user";

export const AUDIT_IAM_PERMISSIONS: Readonly<
  Record<string, Readonly<Partial<Record<AuditIamResource, readonly string[]>>>>
> = {
  // Account-wide, no resource-level permissions: Resource must be "*".
  "credential-report": { "*": ["iam:GenerateCredentialReport", "iam:GetCredentialReport"] },
  "list-keys": { user: ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"] },
  // One paginated read of users, groups and customer managed policies with their documents,
  // instead of 3-6 reads per user; account-wide, so its only Resource is "*".
  "admin-scope": { "*": ["iam:GetAccountAuthorizationDetails"] },
};

/** The audit's IAM actions on one resource type, sorted, without repeats. */
export function auditIamActionsFor(resource: AuditIamResource): string[] {
  const actions = Object.values(AUDIT_IAM_PERMISSIONS).flatMap((row) => row[resource] ?? []);
  return [...new Set(actions)].sort();
}

/**
 * Every IAM action the audit calls, for the member role of an Organization deployment (the audit
 * reads each member account through it): all reads, the same table as the audit role's.
 */
export const AUDIT_ACTIONS: readonly string[] = [
  ...new Set([...auditIamActionsFor("*"), ...auditIamActionsFor("user")]),
].sort();

/** Listing the Organization's accounts (the audit role only, Organization deployments only): a read. */
export const AUDIT_ORGANIZATIONS_ACTIONS = ["organizations:ListAccounts"] as const;
