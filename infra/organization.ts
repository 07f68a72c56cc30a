import { type AlertRoute, formatAlertRoutes, MAX_ALERT_ROUTES_LENGTH } from "../lambdas/core/alert-routes.js";
import { IAM_PRINCIPAL_NAME_PATTERN, REGION_PATTERN } from "../lambdas/core/contract.js";
import { MAX_MEMBER_ROLE_NAME_LENGTH, memberRevokerRoleName } from "../lambdas/core/organization.js";
import { PropsCheck } from "./props-check.js";

/**
 * Role names that already hold administrator rights in member accounts: the responder must never
 * act through them (its member role holds exactly the actions of the permissions table).
 */
export const REFUSED_MEMBER_ROLE_NAMES = [
  "OrganizationAccountAccessRole",
  "AWSControlTowerExecution",
] as const;

/** The member role's name unless told otherwise. */
export const DEFAULT_MEMBER_ROLE_NAME = "LeakedKeyResponderMember";

/** An Organization id: `o-` and 10 to 32 lowercase letters or digits. */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;
/** An OU id (`ou-xxxx-yyyyyyyy`) or the root (`r-xxxx`), where StackSets deploy. */
export const DEPLOYMENT_TARGET_PATTERN = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
const ACCOUNT_ID_PATTERN = /^\d{12}$/;

export type { AlertRoute } from "../lambdas/core/alert-routes.js";

/** The Organization deployment, from one config: context keys or `LKR_*` variables. */
export interface OrganizationSettings {
  /** The Organization's id (`o-…`): the bus policy, the member role's trust and the central assume-role condition name it. */
  readonly organizationId: string;
  /** OUs (or the root) whose accounts get the member stack through the service-managed StackSet. */
  readonly memberOrganizationalUnitIds: readonly string[];
  /** Regions of the central account that forward GuardDuty findings to the home region (the home region is skipped). */
  readonly forwardRegions: readonly string[];
  /** Name of the member role the central roles assume. @default "LeakedKeyResponderMember" */
  readonly memberRoleName: string;
  /** The central (security, delegated administrator) account; informational, checked when set. @default - the deploying account */
  readonly centralAccountId?: string | undefined;
  /** Extra alert destinations per account, OU or account tag. @default - the central topic only */
  readonly alertRoutes?: readonly AlertRoute[] | undefined;
}

/** Checks the Organization settings, collecting every problem (names the key, the value and what is allowed). */
export function validateOrganization(settings: OrganizationSettings): void {
  new PropsCheck("Organization")
    .value(
      settings.organizationId,
      (id) => ORGANIZATION_ID_PATTERN.test(id),
      (id) => `organizationId is "${id}"; expected an Organization id such as o-a1b2c3d4e5`,
    )
    .value(
      settings.memberOrganizationalUnitIds.length,
      (n) => n > 0,
      () => "memberOrganizationalUnitIds is empty; expected at least one OU id (ou-…) or the root (r-…)",
    )
    .each(
      settings.memberOrganizationalUnitIds,
      (id) => DEPLOYMENT_TARGET_PATTERN.test(id),
      (id) => `memberOrganizationalUnitIds contains "${id}"; expected OU ids (ou-…) or the root id (r-…)`,
    )
    .each(
      settings.forwardRegions,
      (region) => REGION_PATTERN.test(region),
      (region) => `forwardRegions contains "${region}"; expected AWS region names such as eu-west-1`,
    )
    .value(
      settings.memberRoleName,
      (name) => IAM_PRINCIPAL_NAME_PATTERN.test(name),
      (name) => `memberRoleName is "${name}"; expected an IAM role name`,
    )
    .value(
      settings.memberRoleName,
      (name) => name.length <= MAX_MEMBER_ROLE_NAME_LENGTH,
      (name) =>
        `memberRoleName is "${name}" (${name.length} characters); at most ${MAX_MEMBER_ROLE_NAME_LENGTH}: ` +
        `the member's revoker role is named ${memberRevokerRoleName("<name>")} and IAM allows 64`,
    )
    .value(
      settings.memberRoleName,
      (name) => !REFUSED_MEMBER_ROLE_NAMES.some((r) => r.toLowerCase() === name.toLowerCase()),
      (name) =>
        `memberRoleName is "${name}"; that role is an administrator of every member account: ` +
        `name a role of its own (default ${DEFAULT_MEMBER_ROLE_NAME}), never ${REFUSED_MEMBER_ROLE_NAMES.join(" or ")}`,
    )
    .value(
      settings.centralAccountId,
      (id) => ACCOUNT_ID_PATTERN.test(id),
      (id) => `centralAccountId is "${id}"; expected a 12-digit account id`,
    )
    .each(
      (settings.alertRoutes ?? []).map((r) => r.match),
      (m) => ACCOUNT_ID_PATTERN.test(m) || /^ou-/.test(m) || /^tag:[^=]+=.*$/.test(m),
      (m) => `alertRoutes contains "${m}"; expected an account id, an OU id (ou-…) or tag:<key>=<value>`,
    )
    .each(
      (settings.alertRoutes ?? []).map((r) => r.topicArn),
      (arn) => /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(arn),
      (arn) => `alertRoutes names topic "${arn}"; expected an SNS topic ARN`,
    )
    .value(
      formatAlertRoutes(settings.alertRoutes ?? []).length,
      (n) => n <= MAX_ALERT_ROUTES_LENGTH,
      (n) =>
        `alertRoutes take ${n} characters in ALERT_ROUTES; at most ${MAX_ALERT_ROUTES_LENGTH} fit in the respond ` +
        "function's 4 KB of environment: route by OU (ou-…) or account tag (tag:key=value) instead of account by account",
    )
    .throwIfInvalid();
}
