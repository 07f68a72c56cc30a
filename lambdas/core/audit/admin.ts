import * as z from "zod/mini";

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
