import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { MemberAccounts } from "../../../lambdas/adapters/sts-member-accounts.js";
import { TransientAwsError } from "../../../lambdas/core/errors.js";
import {
  accountOfIncident,
  MemberAccountUnreachableError,
  NoMemberRoleError,
} from "../../../lambdas/core/organization.js";

const sts = mockClient(STSClient);
const HOME = "123456789012";
const MEMBER = "210987654321";
const OUTSIDE = "444455556666";
const CREDENTIALS = {
  Credentials: {
    AccessKeyId: "ASIAMEMBER0000000001",
    SecretAccessKey: "s",
    SessionToken: "t",
    Expiration: new Date("2026-11-28T12:15:00Z"),
  },
};
const now = () => new Date("2026-11-28T12:00:00Z");

function accessDenied(): STSServiceException {
  return new STSServiceException({
    name: "AccessDenied",
    $fault: "client",
    $metadata: { httpStatusCode: 403 },
    message: `User is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${OUTSIDE}:role/LkrMember`,
  });
}

function members(roleName: string | undefined): MemberAccounts {
  return new MemberAccounts({
    roleName,
    sts: () => new STSClient({ region: "us-east-1" }),
    sessionName: "lkr",
    now,
  });
}

beforeEach(() => sts.reset());

describe("MemberAccounts", () => {
  it("acts directly in the home account, through the member role elsewhere", () => {
    const m = members("LkrMember");
    expect(m.isMember(HOME, HOME)).toBe(false);
    expect(m.isMember(MEMBER, HOME)).toBe(true);
    expect(m.isMember(MEMBER, undefined)).toBe(false);
  });

  it("assumes the member role of each account once and keeps its credentials for their lifetime", async () => {
    sts.on(AssumeRoleCommand).resolves(CREDENTIALS);
    const m = members("LkrMember");
    const first = await m.credentialsFor(MEMBER, HOME);
    const again = await m.credentialsFor(MEMBER, HOME);
    await m.credentialsFor("333344445555", HOME);
    expect(again).toBe(first);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/LkrMember`,
      "arn:aws:iam::333344445555:role/LkrMember",
    ]);
  });

  it("says an account whose member role cannot be assumed (outside the Organization) is unreachable, and asks again next time", async () => {
    sts.on(AssumeRoleCommand).rejectsOnce(accessDenied()).resolves(CREDENTIALS);
    const m = members("LkrMember");
    const error = await m.credentialsFor(OUTSIDE, HOME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberAccountUnreachableError);
    expect(error).toMatchObject({ accountId: OUTSIDE, roleName: "LkrMember" });
    expect((error as Error).message).toMatch(/outside the Organization/);
    await expect(m.credentialsFor(OUTSIDE, HOME)).resolves.toBeTypeOf("function");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("passes a throttled AssumeRole on as transient (retried), not as unreachable", async () => {
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: "Throttling",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "Rate exceeded",
      }),
    );
    await expect(members("LkrMember").credentialsFor(MEMBER, HOME)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it("refuses another account without a member role, asking STS nothing", async () => {
    await expect(members(undefined).credentialsFor(MEMBER, HOME)).rejects.toBeInstanceOf(NoMemberRoleError);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe("accountOfIncident", () => {
  it.each([
    [`${MEMBER}-AKIAIOSFODNN7EXAMPLE`, MEMBER],
    ["AKIAIOSFODNN7EXAMPLE", undefined],
    ["12345-AKIA", undefined],
  ])("%s → %s", (incidentId, account) => {
    expect(accountOfIncident(incidentId)).toBe(account);
  });
});
