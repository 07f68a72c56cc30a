import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../core/errors.js";
import type { RoleSessionRevocation, RoleSessionRevoker } from "../core/ports.js";
import { RevokeRoleSessionsResultSchema } from "../core/role-sessions.js";
import { call } from "./aws-errors.js";

const INVOKE = "lambda:InvokeFunction";
const PUT = "iam:PutRolePolicy";

/**
 * The role-session revoker function, invoked synchronously. Its answer is parsed (it is outside
 * input too) and mapped to the core's typed errors: a missing role → NoSuchEntityError, a passing
 * fault or a crash of the function → TransientAwsError (retried), a refusal or a denial → AwsCallError.
 */
export class LambdaRoleSessionRevoker implements RoleSessionRevoker {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async revoke(request: RoleSessionRevocation): Promise<{ policyName: string }> {
    const out = await call(INVOKE, () =>
      this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(
            JSON.stringify({
              roleName: request.roleName,
              accessKeyId: request.accessKeyId,
              issuedBefore: request.issuedBefore,
            }),
          ),
        }),
      ),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
    if (out.FunctionError !== undefined) {
      throw new TransientAwsError(INVOKE, {
        cause: new Error(`${out.FunctionError}: ${text.slice(0, 500)}`),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new AwsCallError(INVOKE, "UnreadableRevokerAnswer", { cause: error });
    }
    return fromRevokerAnswer(body);
  }
}

/** The revoker's answer (outside input: parsed) as the policy it put, or the typed error it means. */
export function fromRevokerAnswer(body: unknown): { policyName: string } {
  const parsed = RevokeRoleSessionsResultSchema.safeParse(body);
  if (!parsed.success) throw new AwsCallError(INVOKE, "UnreadableRevokerAnswer", { cause: parsed.error });
  const result = parsed.data;
  switch (result.outcome) {
    case "revoked":
      return { policyName: result.policyName };
    case "refused":
      throw new AwsCallError(INVOKE, "RevokeRequestRefused", { cause: new Error(result.issues.join("; ")) });
    case "failed": {
      const cause = new Error(result.message);
      if (result.error === "no-such-entity") throw new NoSuchEntityError(PUT, { cause });
      if (result.error === "transient") throw new TransientAwsError(PUT, { cause });
      throw new AwsCallError(PUT, "RevokerFailed", { cause });
    }
  }
}

/** The revoker acts in the responder's own account only: a member account's role cannot be reached. */
export class NoRoleRevokerInAccount implements RoleSessionRevoker {
  constructor(private readonly accountId: string) {}

  async revoke(): Promise<{ policyName: string }> {
    throw new AwsCallError(PUT, "NoRevokerInMemberAccount", {
      cause: new Error(
        `the role-session revoker acts in the responder's account only; revoke the role's sessions in ${this.accountId} by hand`,
      ),
    });
  }
}
