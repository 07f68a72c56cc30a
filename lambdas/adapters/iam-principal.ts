import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  type IAMClientResolvedConfig,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
} from "@aws-sdk/client-iam";
import type { Command } from "@smithy/types";
import type { FenceTarget } from "../core/plan.js";
import { call } from "./aws-errors.js";

type IamCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> = Command<
  ServiceInputTypes,
  I,
  ServiceOutputTypes,
  O,
  IAMClientResolvedConfig
>;

/** One form of an operation: the IAM action it needs, spelled out because bundles minify class names. */
interface Variant<I extends ServiceInputTypes, O extends ServiceOutputTypes> {
  readonly action: `iam:${string}`;
  readonly command: new (input: I) => IamCommand<I, O>;
}

/** The user and the role form of one principal-level IAM operation. */
export interface PrincipalOperation<
  IU extends ServiceInputTypes,
  OU extends ServiceOutputTypes,
  IR extends ServiceInputTypes,
  OR extends ServiceOutputTypes,
> {
  readonly user: Variant<IU, OU>;
  readonly role: Variant<IR, OR>;
}

function operation<
  IU extends ServiceInputTypes,
  OU extends ServiceOutputTypes,
  IR extends ServiceInputTypes,
  OR extends ServiceOutputTypes,
>(user: Variant<IU, OU>, role: Variant<IR, OR>): PrincipalOperation<IU, OU, IR, OR> {
  return { user, role };
}

/**
 * Every IAM operation the adapters make on a user or a role, by what it does. No inline-policy
 * write: that is grant power, held by no adapter (the role-session revoker function is the one
 * writer, of one document it builds itself).
 */
export const PRINCIPAL_OPERATIONS = {
  attachPolicy: operation(
    { action: "iam:AttachUserPolicy", command: AttachUserPolicyCommand },
    { action: "iam:AttachRolePolicy", command: AttachRolePolicyCommand },
  ),
  detachPolicy: operation(
    { action: "iam:DetachUserPolicy", command: DetachUserPolicyCommand },
    { action: "iam:DetachRolePolicy", command: DetachRolePolicyCommand },
  ),
  listAttachedPolicies: operation(
    { action: "iam:ListAttachedUserPolicies", command: ListAttachedUserPoliciesCommand },
    { action: "iam:ListAttachedRolePolicies", command: ListAttachedRolePoliciesCommand },
  ),
  deleteInlinePolicy: operation(
    { action: "iam:DeleteUserPolicy", command: DeleteUserPolicyCommand },
    { action: "iam:DeleteRolePolicy", command: DeleteRolePolicyCommand },
  ),
  listInlinePolicies: operation(
    { action: "iam:ListUserPolicies", command: ListUserPoliciesCommand },
    { action: "iam:ListRolePolicies", command: ListRolePoliciesCommand },
  ),
  tag: operation(
    { action: "iam:TagUser", command: TagUserCommand },
    { action: "iam:TagRole", command: TagRoleCommand },
  ),
  untag: operation(
    { action: "iam:UntagUser", command: UntagUserCommand },
    { action: "iam:UntagRole", command: UntagRoleCommand },
  ),
  listTags: operation(
    { action: "iam:ListUserTags", command: ListUserTagsCommand },
    { action: "iam:ListRoleTags", command: ListRoleTagsCommand },
  ),
} as const;

function send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(
  client: IAMClient,
  variant: Variant<I, O>,
  input: I,
): Promise<O> {
  return call(variant.action, () => client.send(new variant.command(input)));
}

/**
 * Runs one operation on a user (`UserName`) or a role (`RoleName`) with the same other parameters,
 * through `call()`, so its failure is a typed error named after the IAM action.
 */
export function onPrincipal<
  IU extends ServiceInputTypes & { UserName: string | undefined },
  OU extends ServiceOutputTypes,
  IR extends ServiceInputTypes & { RoleName: string | undefined },
  OR extends ServiceOutputTypes,
>(
  client: IAMClient,
  target: FenceTarget,
  op: PrincipalOperation<IU, OU, IR, OR>,
  params: Omit<IU, "UserName"> & Omit<IR, "RoleName">,
): Promise<OU | OR> {
  // The name plus every other member of the input is the input: TypeScript cannot see that through Omit.
  return target.type === "user"
    ? send(client, op.user, { UserName: target.name, ...params } as unknown as IU)
    : send(client, op.role, { RoleName: target.name, ...params } as unknown as IR);
}

/** IAM's form of a tag set. */
export function toTagList(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

interface Page {
  readonly IsTruncated?: boolean | undefined;
  readonly Marker?: string | undefined;
}

type Listing<P extends Page> = (marker: string | undefined) => Promise<P>;

/** Every page of an IAM listing, following `Marker` while `IsTruncated`; stops when the reader does. */
async function* pagesOf<P extends Page>(list: Listing<P>): AsyncGenerator<P> {
  let marker: string | undefined;
  do {
    const page = await list(marker);
    yield page;
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
}

/** Whether some page of a listing has what `found` looks for; reads no page after that one. */
async function anyPage<P extends Page>(list: Listing<P>, found: (page: P) => boolean): Promise<boolean> {
  for await (const page of pagesOf(list)) if (found(page)) return true;
  return false;
}

/** Whether a managed policy is attached to a user or role (all pages of the listing). */
export function isPolicyAttached(
  client: IAMClient,
  target: FenceTarget,
  policyArn: string,
): Promise<boolean> {
  return anyPage(
    (Marker) => onPrincipal(client, target, PRINCIPAL_OPERATIONS.listAttachedPolicies, { Marker }),
    (page) => page.AttachedPolicies?.some((p) => p.PolicyArn === policyArn) ?? false,
  );
}

/** Whether a user or role has an inline policy of that name (all pages of the listing). */
export function hasInlinePolicy(
  client: IAMClient,
  target: FenceTarget,
  policyName: string,
): Promise<boolean> {
  return anyPage(
    (Marker) => onPrincipal(client, target, PRINCIPAL_OPERATIONS.listInlinePolicies, { Marker }),
    (page) => page.PolicyNames?.includes(policyName) ?? false,
  );
}

/** Every tag key of a user or role, through every page. */
export async function tagKeysOf(client: IAMClient, target: FenceTarget): Promise<string[]> {
  const keys: string[] = [];
  const listing = (Marker: string | undefined) =>
    onPrincipal(client, target, PRINCIPAL_OPERATIONS.listTags, { Marker });
  for await (const page of pagesOf(listing)) {
    for (const tag of page.Tags ?? []) if (tag.Key !== undefined) keys.push(tag.Key);
  }
  return keys;
}
