import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  LambdaRoleSessionRevoker,
  NoRoleRevokerInAccount,
} from "../../../lambdas/adapters/lambda-role-revoker.js";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../../../lambdas/core/errors.js";

const lambda = mockClient(LambdaClient);
const revoker = new LambdaRoleSessionRevoker(new LambdaClient({ region: "us-east-1" }), "Revoker");
const request = {
  roleName: "web",
  accessKeyId: "ASIAIOSFODNN7EXAMPLE",
  issuedBefore: "2026-11-28T12:00:00.000Z",
};
const answer = (body: unknown, functionError?: string) => ({
  StatusCode: 200,
  Payload: new TextEncoder().encode(JSON.stringify(body)) as never,
  ...(functionError && { FunctionError: functionError }),
});

beforeEach(() => lambda.reset());

describe("LambdaRoleSessionRevoker", () => {
  it("invokes the revoker synchronously with exactly the role, the key and the time", async () => {
    lambda
      .on(InvokeCommand)
      .resolves(answer({ outcome: "revoked", policyName: "leaked-key-responder-revoke-X" }));
    expect(await revoker.revoke(request)).toEqual({ policyName: "leaked-key-responder-revoke-X" });
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.FunctionName).toBe("Revoker");
    expect(input?.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual(request);
  });

  it.each([
    ["a refusal", answer({ outcome: "refused", issues: ["roleName: bad"] }), AwsCallError],
    [
      "a missing role",
      answer({ outcome: "failed", error: "no-such-entity", message: "gone" }),
      NoSuchEntityError,
    ],
    ["a passing fault", answer({ outcome: "failed", error: "transient", message: "503" }), TransientAwsError],
    ["a denial", answer({ outcome: "failed", error: "denied", message: "AccessDenied" }), AwsCallError],
    ["a crash of the function", answer({ errorType: "Error" }, "Unhandled"), TransientAwsError],
    ["an answer of another shape", answer({ ok: true }), AwsCallError],
  ])("maps %s to its typed error", async (_what, out, type) => {
    lambda.on(InvokeCommand).resolves(out);
    await expect(revoker.revoke(request)).rejects.toBeInstanceOf(type);
  });

  it("maps a failed invoke through the call() boundary", async () => {
    lambda.on(InvokeCommand).rejects(
      Object.assign(new Error("x"), {
        name: "TooManyRequestsException",
        $metadata: { httpStatusCode: 429 },
      }),
    );
    await expect(revoker.revoke(request)).rejects.toMatchObject({
      name: "TransientAwsError",
      operation: "lambda:InvokeFunction",
    });
  });

  it("refuses a member account's role: the revoker acts in the responder's account only", async () => {
    await expect(new NoRoleRevokerInAccount("210987654321").revoke()).rejects.toMatchObject({
      name: "AwsCallError",
      code: "NoRevokerInMemberAccount",
    });
  });

  it("names a member account in the request when it is built for one, and only then", async () => {
    lambda.on(InvokeCommand).resolves(answer({ outcome: "revoked", policyName: "p" }));
    const member = new LambdaRoleSessionRevoker(
      new LambdaClient({ region: "us-east-1" }),
      "Revoker",
      "210987654321",
    );
    await member.revoke(request);
    await revoker.revoke(request);
    const payloads = lambda
      .commandCalls(InvokeCommand)
      .map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)));
    expect(payloads).toEqual([{ ...request, accountId: "210987654321" }, request]);
  });

  it("asks for a lift with exactly the role, the key and the account, and reads whether it deleted", async () => {
    const lift = { roleName: "web", accessKeyId: "ASIAIOSFODNN7EXAMPLE", accountId: "210987654321" };
    lambda
      .on(InvokeCommand)
      .resolvesOnce(answer({ outcome: "lifted", policyName: "p", deleted: true }))
      .resolvesOnce(answer({ outcome: "lifted", policyName: "p", deleted: false }))
      .resolvesOnce(answer({ outcome: "revoked", policyName: "p" }));
    expect(await revoker.lift(lift)).toBe("deleted");
    expect(await revoker.lift(lift)).toBe("absent");
    await expect(revoker.lift(lift)).rejects.toMatchObject({ code: "UnexpectedRevokerAnswer" });
    const payload = lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array;
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ lift: true, ...lift });
  });

  it("takes no lift answer for a revoke", async () => {
    lambda.on(InvokeCommand).resolves(answer({ outcome: "lifted", policyName: "p", deleted: true }));
    await expect(revoker.revoke(request)).rejects.toMatchObject({ code: "UnexpectedRevokerAnswer" });
  });
});
