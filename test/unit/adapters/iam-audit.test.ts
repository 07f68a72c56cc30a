import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { IamCredentialReportSource, IamKeyDirectory } from "../../../lambdas/adapters/iam-audit.js";
import { CredentialReportTimeoutError } from "../../../lambdas/core/audit/errors.js";
import { AUDIT_IAM_PERMISSIONS } from "../../../lambdas/core/audit/permissions.js";
import { callsOf } from "../../support/sdk-calls.js";
import { reportFixture } from "../audit/support.js";

const iam = mockClient(IAMClient);
const client = new IAMClient({ region: "us-east-1" });
const sentOperations = new Set<string>();
const sent = () => callsOf(iam, sentOperations);
const waits: number[] = [];
const sleep = async (ms: number) => {
  waits.push(ms);
};
const encode = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const READ_S3 = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }] };

beforeEach(() => {
  iam.reset();
  waits.length = 0;
});

afterAll(() => {
  // Every IAM call the audit's adapter made in this file is granted by the audit's permissions table.
  const granted = new Set(Object.values(AUDIT_IAM_PERMISSIONS).flatMap((row) => Object.values(row).flat()));
  expect([...sentOperations].filter((op) => !granted.has(op))).toEqual([]);
  expect(sentOperations.size).toBe(granted.size);
});

describe("IamCredentialReportSource", () => {
  it("generates until COMPLETE with doubling waits, then decodes the report's bytes", async () => {
    const csv = reportFixture("guardian-security-hq.csv");
    iam
      .on(GenerateCredentialReportCommand)
      .resolvesOnce({ State: "STARTED" })
      .resolvesOnce({ State: "INPROGRESS" })
      .resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).resolves({
      Content: new TextEncoder().encode(csv),
      GeneratedTime: new Date("2026-12-01T05:00:00Z"),
      ReportFormat: "text/csv",
    });
    const report = await new IamCredentialReportSource(client, { sleep, firstDelayMs: 100 }).fetch();
    expect(report).toEqual({ csv, generatedAt: "2026-12-01T05:00:00.000Z" });
    expect(sent().map((c) => c.name)).toEqual([
      "GenerateCredentialReport",
      "GenerateCredentialReport",
      "GenerateCredentialReport",
      "GetCredentialReport",
    ]);
    expect(waits).toEqual([100, 200]);
  });

  it("polls again when the report is not present yet, and gives up after the polls allowed", async () => {
    iam.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).rejects(
      Object.assign(new Error("not present"), {
        name: "ReportNotPresent",
        $metadata: { httpStatusCode: 410 },
      }),
    );
    await expect(new IamCredentialReportSource(client, { sleep, maxPolls: 3 }).fetch()).rejects.toThrow(
      CredentialReportTimeoutError,
    );
    expect(waits).toEqual([500, 1000]);
  });
});

describe("IamKeyDirectory", () => {
  const directory = () => new IamKeyDirectory(client);

  it("lists a user's keys with status and creation time; a user gone has none", async () => {
    iam.on(ListAccessKeysCommand, { UserName: "alice" }).resolves({
      AccessKeyMetadata: [
        {
          AccessKeyId: "AKIAALICEALICEALICE1",
          Status: "Inactive",
          CreateDate: new Date("2026-01-01T00:00:00Z"),
          UserName: "alice",
        },
      ],
    });
    iam
      .on(ListAccessKeysCommand, { UserName: "gone" })
      .rejects(new NoSuchEntityException({ message: "no", $metadata: {} }));
    expect(await directory().listKeys("alice")).toEqual([
      { accessKeyId: "AKIAALICEALICEALICE1", status: "Inactive", createDate: "2026-01-01T00:00:00.000Z" },
    ]);
    expect(await directory().listKeys("gone")).toEqual([]);
    expect(sent().map((c) => c.input)).toEqual([{ UserName: "alice" }, { UserName: "gone" }]);
  });

  it("reads a key's last use; IAM's N/A is no service", async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves({
      UserName: "alice",
      AccessKeyLastUsed: { ServiceName: "N/A", Region: "N/A", LastUsedDate: undefined },
    });
    expect(await directory().lastUsed("AKIAALICEALICEALICE1")).toEqual({
      lastUsed: undefined,
      service: undefined,
      region: undefined,
    });
    expect(sent()).toEqual([
      { name: "GetAccessKeyLastUsed", input: { AccessKeyId: "AKIAALICEALICEALICE1" } },
    ]);
  });

  it("finds admin scope through AdministratorAccess, an inline *:*, a group's managed *:* policy", async () => {
    iam.on(ListAttachedUserPoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
      ],
    });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["everything", "s3-read"] });
    iam
      .on(GetUserPolicyCommand, { PolicyName: "everything" })
      .resolves({ PolicyDocument: encode(ALLOW_ALL) });
    iam.on(GetUserPolicyCommand, { PolicyName: "s3-read" }).resolves({ PolicyDocument: encode(READ_S3) });
    iam.on(ListGroupsForUserCommand).resolves({ Groups: [{ GroupName: "ops" } as never] });
    iam.on(ListAttachedGroupPoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyName: "ops-all", PolicyArn: "arn:aws:iam::123456789012:policy/ops-all" }],
    });
    iam.on(ListGroupPoliciesCommand).resolves({ PolicyNames: ["g-inline"] });
    iam.on(GetGroupPolicyCommand).resolves({ PolicyDocument: encode(READ_S3) });
    iam.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: "v3" } });
    iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encode(ALLOW_ALL) } });
    const dir = directory();
    expect(await dir.adminScope("alice")).toEqual({
      admin: true,
      via: ["AdministratorAccess", "inline policy everything", "ops-all (group ops)"],
    });
    // The group and its managed policy are read once per run.
    await dir.adminScope("bob");
    const names = sent().map((c) => c.name);
    expect(names.filter((n) => n === "ListAttachedGroupPolicies")).toHaveLength(1);
    expect(names.filter((n) => n === "GetPolicyVersion")).toHaveLength(1);
    expect(sent().find((c) => c.name === "GetPolicyVersion")?.input).toEqual({
      PolicyArn: "arn:aws:iam::123456789012:policy/ops-all",
      VersionId: "v3",
    });
  });

  it("answers not admin for a user with narrow policies only", async () => {
    iam.on(ListAttachedUserPoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      ],
    });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListGroupsForUserCommand).resolves({ Groups: [] });
    expect(await directory().adminScope("carol")).toEqual({ admin: false, via: [] });
    expect(sent().map((c) => c.name)).not.toContain("GetPolicy");
  });

  it("reports an unreadable scope as an error, never as not admin", async () => {
    iam
      .on(ListAttachedUserPoliciesCommand)
      .rejects(
        Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
      );
    expect(await directory().adminScope("dave")).toEqual({
      error: "AwsCallError: iam:ListAttachedUserPolicies failed: AccessDenied",
    });
    iam.reset();
    iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["broken"] });
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: "%7Bnot%20json" });
    expect(await directory().adminScope("erin")).toEqual({
      error: expect.stringMatching(/inline broken does not parse/),
    });
  });
});
