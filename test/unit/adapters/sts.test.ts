import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { assumedRoleCredentials } from "../../../lambdas/adapters/sts.js";

const sts = mockClient(STSClient);
const ROLE = "arn:aws:iam::210987654321:role/LeakedKeyResponderMember";

beforeEach(() => sts.reset());

function credentials(expiration: string) {
  return {
    Credentials: {
      AccessKeyId: "ASIAMEMBER0000000001",
      SecretAccessKey: "s",
      SessionToken: "t",
      Expiration: new Date(expiration),
    },
  };
}

describe("assumedRoleCredentials", () => {
  it("assumes the member role once and reuses the credentials until five minutes before they expire", async () => {
    let now = new Date("2026-11-28T12:00:00Z");
    sts.on(AssumeRoleCommand).resolves(credentials("2026-11-28T12:15:00Z"));
    const provider = assumedRoleCredentials(
      new STSClient({ region: "us-east-1" }),
      ROLE,
      "leaked-key-responder",
      () => now,
    );
    expect(await provider()).toMatchObject({ accessKeyId: "ASIAMEMBER0000000001", sessionToken: "t" });
    now = new Date("2026-11-28T12:09:00Z");
    await provider();
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    now = new Date("2026-11-28T12:10:30Z");
    await provider();
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: ROLE, RoleSessionName: "leaked-key-responder", DurationSeconds: 900 },
      { RoleArn: ROLE, RoleSessionName: "leaked-key-responder", DurationSeconds: 900 },
    ]);
  });

  it("fails with a typed error when the role cannot be assumed", async () => {
    sts.on(AssumeRoleCommand).rejects(
      Object.assign(new Error("not authorized"), {
        name: "AccessDenied",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const provider = assumedRoleCredentials(new STSClient({ region: "us-east-1" }), ROLE, "s");
    await expect(provider()).rejects.toMatchObject({
      name: "AwsCallError",
      operation: "sts:AssumeRole",
      code: "AccessDenied",
    });
  });
});
