import { Logger } from "@aws-lambda-powertools/logger";
import { IAMClient, NoSuchEntityException, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ROLE_SESSION_REVOKER_ACTIONS } from "../../lambdas/core/permissions.js";
import {
  denyOlderSessionsPolicy,
  ISSUED_BEFORE_MAX_SKEW_MS,
  revokePolicyFor,
  sessionDenyPolicyDocument,
} from "../../lambdas/core/role-sessions.js";
import { createRoleSessionRevokerHandler } from "../../lambdas/handlers/revoke-role-sessions-handler.js";
import { callsOf } from "../support/sdk-calls.js";

const NOW = new Date("2026-11-28T12:00:00.000Z");
const KEY = "ASIAIOSFODNN7EXAMPLE";
const request = { roleName: "web", accessKeyId: KEY, issuedBefore: "2026-11-28T11:59:59.000Z" };

describe("the session policies", () => {
  it("denies a user every request made with temporary credentials, whenever they were issued", () => {
    expect(sessionDenyPolicyDocument()).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LeakedKeyResponderDenyTemporaryCredentials",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { Null: { "aws:TokenIssueTime": "false" } },
        },
      ],
    });
  });

  it("denies a role's sessions issued before a time, and allows nothing", () => {
    const doc = JSON.parse(denyOlderSessionsPolicy("2026-11-28T12:00:00.000Z"));
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LeakedKeyResponderRevokeOlderSessions",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-28T12:00:00.000Z" } },
        },
      ],
    });
    expect(JSON.stringify(doc)).not.toContain('"Allow"');
  });
});

describe("revokePolicyFor (the revoker's input check and policy builder)", () => {
  it("builds the one policy from role and time alone, named after the key", () => {
    expect(revokePolicyFor(request, NOW)).toEqual({
      ok: true,
      policy: {
        roleName: "web",
        policyName: `leaked-key-responder-revoke-${KEY}`,
        policyDocument: denyOlderSessionsPolicy("2026-11-28T11:59:59.000Z"),
      },
    });
  });

  it("accepts a time within the clock skew, refuses one further in the future", () => {
    const within = new Date(NOW.getTime() + ISSUED_BEFORE_MAX_SKEW_MS).toISOString();
    const beyond = new Date(NOW.getTime() + ISSUED_BEFORE_MAX_SKEW_MS + 1000).toISOString();
    expect(revokePolicyFor({ ...request, issuedBefore: within }, NOW).ok).toBe(true);
    expect(revokePolicyFor({ ...request, issuedBefore: beyond }, NOW)).toEqual({
      ok: false,
      issues: [`issuedBefore: ${beyond} is in the future`],
    });
  });

  it.each([
    ["a role name outside IAM's grammar", { ...request, roleName: "web*" }, /^roleName:/],
    ["an ARN for a name", { ...request, roleName: "arn:aws:iam::123456789012:role/web" }, /^roleName:/],
    ["a key that is not an access key id", { ...request, accessKeyId: "AKIA" }, /^accessKeyId:/],
    ["a time that is not ISO 8601 UTC", { ...request, issuedBefore: "yesterday" }, /^issuedBefore:/],
    ["a policy document smuggled in", { ...request, policyDocument: "{}" }, /^\(root\):/],
    ["no input at all", undefined, /^\(root\):/],
  ])("refuses %s", (_what, input, issue) => {
    const check = revokePolicyFor(input, NOW);
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.issues).toEqual(expect.arrayContaining([expect.stringMatching(issue)]));
  });
});

describe("the role-session revoker handler", () => {
  const iam = mockClient(IAMClient);
  const seen = new Set<string>();
  const handler = createRoleSessionRevokerHandler({
    iam: new IAMClient({ region: "us-east-1" }),
    now: () => NOW,
    logger: new Logger({ logLevel: "SILENT" }),
  });
  beforeEach(() => iam.reset());
  afterAll(() => {
    // The revoker calls exactly the one action its role is granted.
    expect([...seen]).toEqual([...ROLE_SESSION_REVOKER_ACTIONS]);
  });

  it("puts the deny on the role and answers with its name", async () => {
    iam.on(PutRolePolicyCommand).resolves({});
    expect(await handler(request)).toEqual({
      outcome: "revoked",
      policyName: `leaked-key-responder-revoke-${KEY}`,
    });
    expect(callsOf(iam, seen)).toEqual([
      {
        name: "PutRolePolicy",
        input: {
          RoleName: "web",
          PolicyName: `leaked-key-responder-revoke-${KEY}`,
          PolicyDocument: denyOlderSessionsPolicy("2026-11-28T11:59:59.000Z"),
        },
      },
    ]);
  });

  it("refuses a bad request without calling IAM", async () => {
    const answer = await handler({ ...request, roleName: "" });
    expect(answer.outcome).toBe("refused");
    expect(callsOf(iam, seen)).toEqual([]);
  });

  it.each([
    [
      "a missing role",
      new NoSuchEntityException({ message: "no", $metadata: { httpStatusCode: 404 } }),
      "no-such-entity",
    ],
    [
      "throttling",
      Object.assign(new Error("slow"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }),
      "transient",
    ],
    [
      "access denied",
      Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
      "denied",
    ],
  ])("answers %s as a typed failure, never a throw", async (_what, error, kind) => {
    iam.on(PutRolePolicyCommand).rejects(error);
    expect(await handler(request)).toMatchObject({ outcome: "failed", error: kind });
    callsOf(iam, seen);
  });
});
