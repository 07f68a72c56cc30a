import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../core/errors.js";
import type {
  RoleSessionLift,
  RoleSessionLifter,
  RoleSessionRevocation,
  RoleSessionRevoker,
} from "../core/ports.js";
import { type RevokeRoleSessionsResult, RevokeRoleSessionsResultSchema } from "../core/role-sessions.js";
import { call } from "./aws-errors.js";

const INVOKE = "lambda:InvokeFunction";
const PUT = "iam:PutRolePolicy";
const LIFT = "iam:DeleteRolePolicy";

/**
 * The role-session revoker function, invoked synchronously. Its answer is parsed (it is outside
 * input too) and mapped to the core's typed errors: a missing role → NoSuchEntityError, a passing
 * fault or a crash of the function → TransientAwsError (retried), a refusal or a denial → AwsCallError.
 *
 * With `accountId` (a member account's), the request names that account: the revoker acts there
 * through the member stack's revoker role.
 */
export class LambdaRoleSessionRevoker implements RoleSessionRevoker, RoleSessionLifter {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
    private readonly accountId?: string,
  ) {}

  async revoke(request: RoleSessionRevocation): Promise<{ policyName: string }> {
    return fromRevokerAnswer(
      await this.invoke({
        roleName: request.roleName,
        accessKeyId: request.accessKeyId,
        issuedBefore: request.issuedBefore,
        ...(this.accountId === undefined ? {} : { accountId: this.accountId }),
      }),
    );
  }

  /** Deletes the revoke policy of the key from a member account's role (a release there). */
  async lift(request: RoleSessionLift): Promise<"deleted" | "absent"> {
    return fromLiftAnswer(await this.invoke({ lift: true, ...request }));
  }

  private async invoke(payload: Record<string, unknown>): Promise<unknown> {
    const out = await call(INVOKE, () =>
      this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      ),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
    if (out.FunctionError !== undefined) {
      throw new TransientAwsError(INVOKE, {
        cause: new Error(`${out.FunctionError}: ${text.slice(0, 500)}`),
      });
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new AwsCallError(INVOKE, "UnreadableRevokerAnswer", { cause: error });
    }
  }
}

/** The revoker's answer (outside input: parsed) as the policy it put, or the typed error it means. */
export function fromRevokerAnswer(body: unknown): { policyName: string } {
  const result = answerOf(body, PUT);
  if (result.outcome !== "revoked") {
    throw new AwsCallError(INVOKE, "UnexpectedRevokerAnswer", { cause: new Error(result.outcome) });
  }
  return { policyName: result.policyName };
}

/** The revoker's answer to a lift: whether it deleted the policy, or the typed error it means. */
export function fromLiftAnswer(body: unknown): "deleted" | "absent" {
  const result = answerOf(body, LIFT);
  if (result.outcome !== "lifted") {
    throw new AwsCallError(INVOKE, "UnexpectedRevokerAnswer", { cause: new Error(result.outcome) });
  }
  return result.deleted ? "deleted" : "absent";
}

type Success = Extract<RevokeRoleSessionsResult, { outcome: "revoked" | "lifted" }>;

function answerOf(body: unknown, action: string): Success {
  const parsed = RevokeRoleSessionsResultSchema.safeParse(body);
  if (!parsed.success) throw new AwsCallError(INVOKE, "UnreadableRevokerAnswer", { cause: parsed.error });
  const result = parsed.data;
  switch (result.outcome) {
    case "revoked":
    case "lifted":
      return result;
    case "refused":
      throw new AwsCallError(INVOKE, "RevokeRequestRefused", { cause: new Error(result.issues.join("; ")) });
    case "failed": {
      const cause = new Error(result.message);
      if (result.error === "no-such-entity") throw new NoSuchEntityError(action, { cause });
      if (result.error === "transient") throw new TransientAwsError(action, { cause });
      throw new AwsCallError(action, "RevokerFailed", { cause });
    }
  }
}

/** No revoker for the account: without a member role (MEMBER_ROLE_NAME) a member account's role cannot be reached. */
export class NoRoleRevokerInAccount implements RoleSessionRevoker {
  constructor(private readonly accountId: string) {}

  async revoke(): Promise<{ policyName: string }> {
    throw new AwsCallError(PUT, "NoRevokerInMemberAccount", {
      cause: new Error(
        `no role-session revoker reaches account ${this.accountId}; revoke the role's sessions there by hand`,
      ),
    });
  }
}
