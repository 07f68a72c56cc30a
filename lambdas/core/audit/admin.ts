import * as z from "zod/mini";
import type { AdminScope } from "./rules.js";

/** AWS's managed policy granting everything. */
export const ADMINISTRATOR_ACCESS_ARN_SUFFIX = ":iam::aws:policy/AdministratorAccess";

const StringOrList = z.union([z.string(), z.array(z.string())]);
const StatementSchema = z.looseObject({
  Effect: z.string(),
  Action: z.optional(StringOrList),
  NotAction: z.optional(StringOrList),
  Resource: z.optional(StringOrList),
  NotResource: z.optional(StringOrList),
  Condition: z.optional(z.unknown()),
});
const PolicyDocumentSchema = z.looseObject({
  Statement: z.union([StatementSchema, z.array(StatementSchema)]),
});

function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Whether a policy document allows every action on every resource without a condition (`*:*`),
 * i.e. it is admin-equivalent. IAM returns documents URL-encoded; pass the decoded JSON text.
 * A document that does not parse answers undefined: the caller reports it unreadable.
 */
export function allowsEverything(documentJson: string): boolean | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(documentJson);
  } catch {
    return undefined;
  }
  const doc = PolicyDocumentSchema.safeParse(parsed);
  if (!doc.success) return undefined;
  const statements = Array.isArray(doc.data.Statement) ? doc.data.Statement : [doc.data.Statement];
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Condition === undefined &&
      s.NotAction === undefined &&
      s.NotResource === undefined &&
      listOf(s.Action).some((a) => a === "*" || a === "*:*") &&
      listOf(s.Resource).includes("*"),
  );
}

export function isAdministratorAccess(policyArn: string): boolean {
  return policyArn.endsWith(ADMINISTRATOR_ACCESS_ARN_SUFFIX) && policyArn.startsWith("arn:aws");
}

/** Customer managed policies (`iam::<account>:policy/`) are read; AWS managed ones are known by name. */
export function isCustomerManaged(policyArn: string): boolean {
  return /^arn:aws[a-z-]*:iam::\d{12}:policy\//.test(policyArn);
}

/** One inline policy: its name and document (JSON, or URL-encoded JSON as IAM returns it). */
export interface InlinePolicy {
  readonly name: string;
  readonly document: string;
}

/** A managed policy attached to a user or group. */
export interface AttachedPolicy {
  readonly name: string;
  readonly arn: string;
}

/** GetAccountAuthorizationDetails (users, groups, customer managed policies), as the audit needs it. */
export interface AuthorizationDetails {
  readonly users: readonly {
    readonly userName: string;
    readonly inline: readonly InlinePolicy[];
    readonly attached: readonly AttachedPolicy[];
    readonly groups: readonly string[];
  }[];
  readonly groups: readonly {
    readonly groupName: string;
    readonly inline: readonly InlinePolicy[];
    readonly attached: readonly AttachedPolicy[];
  }[];
  /** Customer managed policies with the document of their default version. */
  readonly managedPolicies: readonly { readonly arn: string; readonly document: string | undefined }[];
}

/** A document as IAM returns it: URL-encoded JSON (raw JSON accepted too). */
export function decodePolicyDocument(document: string): string {
  const text = document.trim();
  if (text.startsWith("{")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The grants that make one principal admin-equivalent; throws naming a document it cannot read. */
function grantsOf(
  inline: readonly InlinePolicy[],
  attached: readonly AttachedPolicy[],
  managed: ReadonlyMap<string, string | undefined>,
  suffix: string,
): string[] {
  const via: string[] = [];
  for (const p of attached) {
    if (isAdministratorAccess(p.arn)) via.push(`AdministratorAccess${suffix}`);
    else if (isCustomerManaged(p.arn)) {
      const document = managed.get(p.arn);
      if (document === undefined) throw new Error(`managed policy ${p.arn} has no readable default version`);
      const allows = allowsEverything(decodePolicyDocument(document));
      if (allows === undefined) throw new Error(`managed policy ${p.arn} does not parse`);
      if (allows) via.push(`${p.name}${suffix}`);
    }
  }
  for (const p of inline) {
    const allows = allowsEverything(decodePolicyDocument(p.document));
    if (allows === undefined) throw new Error(`inline policy ${p.name}${suffix} does not parse`);
    if (allows) via.push(`inline policy ${p.name}${suffix}`);
  }
  return via;
}

/**
 * Each user's admin scope: AdministratorAccess or a `*:*` policy, attached, inline, or through a
 * group. A user whose scope cannot be read (a document that does not parse, a group or managed
 * policy missing from the details) gets an error, so the admin rule fails closed for that user.
 */
export function adminScopesOf(details: AuthorizationDetails): Map<string, AdminScope> {
  const managed = new Map(details.managedPolicies.map((p) => [p.arn, p.document]));
  const groups = new Map(details.groups.map((g) => [g.groupName, g]));
  const scopes = new Map<string, AdminScope>();
  for (const user of details.users) {
    try {
      const via = grantsOf(user.inline, user.attached, managed, "");
      for (const name of user.groups) {
        const group = groups.get(name);
        if (group === undefined) throw new Error(`group ${name} missing from the authorization details`);
        via.push(...grantsOf(group.inline, group.attached, managed, ` (group ${name})`));
      }
      scopes.set(user.userName, { admin: via.length > 0, via });
    } catch (error) {
      scopes.set(user.userName, { error: error instanceof Error ? error.message : String(error) });
    }
  }
  return scopes;
}
