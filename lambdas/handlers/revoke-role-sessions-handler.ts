import { Logger } from "@aws-lambda-powertools/logger";
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { call, unlessGone } from "../adapters/aws-errors.js";
import { hasInlinePolicy } from "../adapters/iam-principal.js";
import { MemberAccounts } from "../adapters/sts-member-accounts.js";
import { ROLE_SESSION_REVOKER_ENV } from "../core/contract.js";
import { describeError, NoSuchEntityError, TransientAwsError } from "../core/errors.js";
import { memberRevokerRoleName } from "../core/organization.js";
import {
  asksForLift,
  liftPolicyFor,
  type RevokeRoleSessionsResult,
  revokePolicyFor,
} from "../core/role-sessions.js";
import { type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

/**
 * What the revoker runs with: IAM (its own role: iam:PutRolePolicy on role/* and nothing else), a
 * clock, a logger; and, in an Organization, STS to assume a member account's revoker role and IAM
 * with that role's credentials.
 */
export interface RoleSessionRevokerClients {
  readonly iam: IAMClient;
  readonly now: () => Date;
  readonly logger: Logger;
  /** STS of the revoker's own account; called once, on the first member account. @default none: no member account */
  readonly sts?: (() => STSClient) | undefined;
  /** IAM of a member account with its revoker role's credentials. @default none: no member account */
  readonly memberIam?: ((credentials: AwsCredentialIdentityProvider) => IAMClient) | undefined;
}

/** The revoker's only setting: MEMBER_ROLE_NAME (a member account's revoker role is named after it). */
export interface RoleSessionRevokerConfig {
  readonly memberRoleName?: string | undefined;
}

export type RoleSessionRevokerHandler = (event: unknown) => Promise<RevokeRoleSessionsResult>;

export function roleSessionRevokerClients(sdk: SdkClientConfig = {}): RoleSessionRevokerClients {
  return {
    iam: new IAMClient({ ...sdk }),
    now: () => new Date(),
    logger: new Logger({ serviceName: SERVICE_NAME }),
    sts: () => new STSClient({ ...sdk }),
    memberIam: (credentials) => new IAMClient({ ...sdk, credentials }),
  };
}

/** The revoker's configuration from its environment (MEMBER_ROLE_NAME, optional). */
export function roleSessionRevokerConfig(env: NodeJS.ProcessEnv): RoleSessionRevokerConfig {
  const memberRoleName = env[ROLE_SESSION_REVOKER_ENV.memberRoleName]?.trim();
  return { memberRoleName: memberRoleName === "" ? undefined : memberRoleName };
}

function failureOf(error: unknown): Extract<RevokeRoleSessionsResult, { outcome: "failed" }> {
  const kind =
    error instanceof NoSuchEntityError
      ? "no-such-entity"
      : error instanceof TransientAwsError
        ? "transient"
        : "denied";
  return { outcome: "failed", error: kind, message: describeError(error) };
}

/**
 * IAM where the policy goes: the revoker's own account, or a member account through the member
 * stack's revoker role (credentials cached per account for their lifetime). undefined when a member
 * account is named and no member role is configured.
 */
function iamIn(clients: RoleSessionRevokerClients, config: RoleSessionRevokerConfig) {
  const memberName = config.memberRoleName;
  const members =
    memberName === undefined || clients.sts === undefined
      ? undefined
      : new MemberAccounts({
          roleName: memberRevokerRoleName(memberName),
          sts: clients.sts,
          sessionName: `${SERVICE_NAME}-revoker`,
          now: clients.now,
        });
  const cached = new Map<string, IAMClient>();
  return async (accountId: string | undefined): Promise<IAMClient | undefined> => {
    if (accountId === undefined) return clients.iam;
    if (members === undefined || clients.memberIam === undefined) return undefined;
    const credentials = await members.credentialsFor(accountId, "the revoker's own");
    let iam = cached.get(accountId);
    if (iam === undefined) {
      iam = clients.memberIam(credentials);
      cached.set(accountId, iam);
    }
    return iam;
  };
}

const NO_MEMBER_ROLE: RevokeRoleSessionsResult = {
  outcome: "refused",
  issues: ["accountId: a member account is named, but MEMBER_ROLE_NAME is unset"],
};

/**
 * The role-session revoker: the one function of the stack that may write an inline policy, and
 * only onto a role. It takes `{ roleName, accessKeyId, issuedBefore, accountId? }`, nothing else,
 * and writes the one document it builds itself (deny all to sessions issued before that time),
 * named `leaked-key-responder-revoke-<key>`: in its own account, or in the member account named,
 * through that account's revoker role. A release in a member account sends
 * `{ lift: true, roleName, accessKeyId, accountId }`: it deletes that one policy there.
 */
export function createRoleSessionRevokerHandler(
  clients: RoleSessionRevokerClients,
  config: RoleSessionRevokerConfig = {},
): RoleSessionRevokerHandler {
  const { logger } = clients;
  const iamFor = iamIn(clients, config);

  const lift = async (event: unknown): Promise<RevokeRoleSessionsResult> => {
    const check = liftPolicyFor(event);
    if (!check.ok) {
      logger.error("lift request refused", { issues: check.issues });
      return { outcome: "refused", issues: [...check.issues] };
    }
    const { roleName, policyName, accountId } = check;
    try {
      const iam = await iamFor(accountId);
      if (iam === undefined) return NO_MEMBER_ROLE;
      const target = { type: "role", name: roleName } as const;
      const deleted =
        (await hasInlinePolicy(iam, target, policyName)) &&
        (await unlessGone(async () => {
          await call("iam:DeleteRolePolicy", () =>
            iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
          );
          return true;
        }, false));
      logger.info("role sessions revocation lifted", { roleName, policyName, accountId, deleted });
      return { outcome: "lifted", policyName, deleted };
    } catch (error) {
      const failure = failureOf(error);
      logger.error("revocation not lifted", { roleName, policyName, accountId, error: failure.message });
      return failure;
    }
  };

  return async (event) => {
    if (asksForLift(event)) return lift(event);
    const check = revokePolicyFor(event, clients.now());
    if (!check.ok) {
      logger.error("revoke request refused", { issues: check.issues });
      return { outcome: "refused", issues: [...check.issues] };
    }
    const { roleName, policyName, policyDocument, accountId } = check.policy;
    try {
      const iam = await iamFor(accountId);
      if (iam === undefined) return NO_MEMBER_ROLE;
      await call("iam:PutRolePolicy", () =>
        iam.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: policyName,
            PolicyDocument: policyDocument,
          }),
        ),
      );
    } catch (error) {
      const failure = failureOf(error);
      logger.error("role sessions not revoked", { roleName, policyName, accountId, error: failure.message });
      return failure;
    }
    logger.info("role sessions revoked", { roleName, policyName, accountId });
    return { outcome: "revoked", policyName };
  };
}
