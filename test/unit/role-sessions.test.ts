import { Logger } from "@aws-lambda-powertools/logger";
import {
  DeleteRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ROLE_SESSION_LIFT_ACTIONS, ROLE_SESSION_REVOKER_ACTIONS } from "../../lambdas/core/permissions.js";
import {
  denyOlderSessionsPolicy,
  ISSUED_BEFORE_MAX_SKEW_MS,
  liftPolicyFor,
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

describe("the role-session revoker in a member account", () => {
  const MEMBER = "210987654321";
  const iam = mockClient(IAMClient);
  const sts = mockClient(STSClient);
  const seen = new Set<string>();
  const clients = {
    iam: new IAMClient({ region: "us-east-1" }),
    now: () => NOW,
    logger: new Logger({ logLevel: "SILENT" }),
    sts: () => new STSClient({ region: "us-east-1" }),
    memberIam: () => new IAMClient({ region: "us-east-1" }),
  };
  const handler = createRoleSessionRevokerHandler(clients, { memberRoleName: "LkrMember" });
  const expiry = new Date(NOW.getTime() + 3600_000);
  beforeEach(() => {
    iam.reset();
    sts.reset();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: "ASIA", SecretAccessKey: "s", SessionToken: "t", Expiration: expiry },
    });
  });
  afterAll(() => {
    // In a member account it calls its one write and the lift's list and delete: nothing else.
    expect([...seen].sort()).toEqual([...ROLE_SESSION_REVOKER_ACTIONS, ...ROLE_SESSION_LIFT_ACTIONS].sort());
  });

  it("puts the deny through the member account's revoker role, assumed once per account", async () => {
    iam.on(PutRolePolicyCommand).resolves({});
    expect(await handler({ ...request, accountId: MEMBER })).toEqual({
      outcome: "revoked",
      policyName: `leaked-key-responder-revoke-${KEY}`,
    });
    await handler({ ...request, accountId: MEMBER });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/LkrMember-SessionRevoker`,
    ]);
    expect(callsOf(iam, seen).map((c) => c.name)).toEqual(["PutRolePolicy", "PutRolePolicy"]);
  });

  it("refuses a member account when no member role is configured, calling nothing", async () => {
    const single = createRoleSessionRevokerHandler(clients);
    expect(await single({ ...request, accountId: MEMBER })).toEqual({
      outcome: "refused",
      issues: ["accountId: a member account is named, but MEMBER_ROLE_NAME is unset"],
    });
    expect(sts.calls()).toEqual([]);
    expect(callsOf(iam, seen)).toEqual([]);
  });

  it("answers an account whose revoker role cannot be assumed as a denial", async () => {
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
    expect(await handler({ ...request, accountId: "444455556666" })).toMatchObject({
      outcome: "failed",
      error: "denied",
    });
    expect(callsOf(iam, seen)).toEqual([]);
  });

  it("lifts the key's revoke policy there: deletes it when listed, reports it absent otherwise", async () => {
    const policyName = `leaked-key-responder-revoke-${KEY}`;
    iam
      .on(ListRolePoliciesCommand)
      .resolvesOnce({ PolicyNames: ["app", policyName] })
      .resolvesOnce({ PolicyNames: ["app"] });
    iam.on(DeleteRolePolicyCommand).resolves({});
    const lift = { lift: true, roleName: "web", accessKeyId: KEY, accountId: MEMBER };
    expect(await handler(lift)).toEqual({ outcome: "lifted", policyName, deleted: true });
    expect(await handler(lift)).toEqual({ outcome: "lifted", policyName, deleted: false });
    expect(callsOf(iam, seen).filter((c) => c.name === "DeleteRolePolicy")).toEqual([
      { name: "DeleteRolePolicy", input: { RoleName: "web", PolicyName: policyName } },
    ]);
  });

  it.each([
    ["a policy name smuggled in", { policyName: "app" }, /^\(root\):/],
    [
      "no account (the home account's release deletes with the operator's own credentials)",
      { accountId: undefined },
      /^accountId:/,
    ],
    ["a key that is not an access key id", { accessKeyId: "AKIA" }, /^accessKeyId:/],
  ])("refuses a lift with %s, calling nothing", async (_what, change, issue) => {
    const lift = { lift: true, roleName: "web", accessKeyId: KEY, accountId: MEMBER, ...change };
    const check = liftPolicyFor(lift);
    expect(check.ok ? [] : check.issues).toEqual(expect.arrayContaining([expect.stringMatching(issue)]));
    expect(await handler(lift)).toMatchObject({ outcome: "refused" });
    expect(callsOf(iam, seen)).toEqual([]);
  });
});
