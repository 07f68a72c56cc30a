import { Logger } from "@aws-lambda-powertools/logger";
import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { call } from "../adapters/aws-errors.js";
import { describeError, NoSuchEntityError, TransientAwsError } from "../core/errors.js";
import { type RevokeRoleSessionsResult, revokePolicyFor } from "../core/role-sessions.js";
import { type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

/** What the revoker runs with: IAM (its own role: iam:PutRolePolicy on role/* and nothing else), a clock, a logger. */
export interface RoleSessionRevokerClients {
  readonly iam: IAMClient;
  readonly now: () => Date;
  readonly logger: Logger;
}

export type RoleSessionRevokerHandler = (event: unknown) => Promise<RevokeRoleSessionsResult>;

export function roleSessionRevokerClients(sdk: SdkClientConfig = {}): RoleSessionRevokerClients {
  return {
    iam: new IAMClient({ ...sdk }),
    now: () => new Date(),
    logger: new Logger({ serviceName: SERVICE_NAME }),
  };
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
 * The role-session revoker: the one function of the stack that may write an inline policy, and
 * only onto a role. It takes `{ roleName, accessKeyId, issuedBefore }`, nothing else, and writes
 * the one document it builds itself (deny all to sessions issued before that time), named
 * `leaked-key-responder-revoke-<key>`. No configuration, no other AWS service.
 */
export function createRoleSessionRevokerHandler(
  clients: RoleSessionRevokerClients,
): RoleSessionRevokerHandler {
  const { iam, logger } = clients;
  return async (event) => {
    const check = revokePolicyFor(event, clients.now());
    if (!check.ok) {
      logger.error("revoke request refused", { issues: check.issues });
      return { outcome: "refused", issues: [...check.issues] };
    }
    const { roleName, policyName, policyDocument } = check.policy;
    try {
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
      logger.error("role sessions not revoked", { roleName, policyName, error: failure.message });
      return failure;
    }
    logger.info("role sessions revoked", { roleName, policyName });
    return { outcome: "revoked", policyName };
  };
}
