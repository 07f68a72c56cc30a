import { CreatePolicyCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { memberSessionDenyPolicyName } from "../../lambdas/core/organization.js";
import { sessionDenyPolicyDocument } from "../../lambdas/core/role-sessions.js";
import { ACCOUNT_ID, motoClientConfig } from "../../local/world.js";

/**
 * A member account of the Organization inside the one moto of a run. moto keys every resource by
 * the account of the caller's credentials, and the credentials AssumeRole returns belong to the
 * role's account, so calls made with them act in that account only. moto enforces no trust or
 * permission policy: who may assume which role, and what it may do, is proven in
 * test/infra/org-policy-proofs.test.ts. moto is shared by all integration files: each file uses
 * member accounts of its own.
 */

/** Temporary credentials of a role, as AssumeRole returns them. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** The credentials of a session of `roleArn` (moto creates no role for it: any name in any account works). */
export async function assumedCredentials(
  endpoint: string,
  roleArn: string,
  sessionName: string,
): Promise<SessionCredentials> {
  const sts = new STSClient(motoClientConfig(endpoint));
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
    const c = out.Credentials;
    return {
      accessKeyId: c?.AccessKeyId ?? "",
      secretAccessKey: c?.SecretAccessKey ?? "",
      sessionToken: c?.SessionToken ?? "",
    };
  } finally {
    sts.destroy();
  }
}

/** IAM of `account`, as its administrator sets it up. */
export async function adminIamOf(endpoint: string, account: string): Promise<IAMClient> {
  const credentials = await assumedCredentials(endpoint, `arn:aws:iam::${account}:role/admin`, "setup");
  return new IAMClient({ ...motoClientConfig(endpoint), credentials });
}

/** The trust policy of the member stack's roles: the central account A may assume them. */
export const TRUSTING_CENTRAL_ACCOUNT = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: "sts:AssumeRole" },
  ],
});

/** Roles the StackSet deploys into a member account (the member role, the revoker role), each trusting A. */
export async function createRolesTrustingCentral(
  iam: IAMClient,
  roleNames: readonly string[],
): Promise<void> {
  for (const name of roleNames) {
    await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUSTING_CENTRAL_ACCOUNT }),
    );
  }
}

/** The member account's own deny-only session policy, named after the member role as the StackSet names it. */
export async function createMemberSessionDenyPolicy(iam: IAMClient, memberRoleName: string): Promise<void> {
  await iam.send(
    new CreatePolicyCommand({
      PolicyName: memberSessionDenyPolicyName(memberRoleName),
      PolicyDocument: JSON.stringify(sessionDenyPolicyDocument()),
    }),
  );
}
