import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  IamCredentialReportSource,
  IamKeyDirectory,
  MAX_AUTHORIZATION_PAGES,
} from "../../../lambdas/adapters/iam-audit.js";
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

  it("reads admin scopes from GetAccountAuthorizationDetails, page by page, users, groups and customer policies only", async () => {
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({
        UserDetailList: [
          {
            UserName: "alice",
            AttachedManagedPolicies: [
              { PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
            ],
            UserPolicyList: [
              { PolicyName: "everything", PolicyDocument: encode(ALLOW_ALL) },
              { PolicyName: "s3-read", PolicyDocument: encode(READ_S3) },
            ],
            GroupList: ["ops"],
          },
        ],
        GroupDetailList: [
          {
            GroupName: "ops",
            AttachedManagedPolicies: [
              { PolicyName: "ops-all", PolicyArn: "arn:aws:iam::123456789012:policy/ops-all" },
            ],
            GroupPolicyList: [{ PolicyName: "g-inline", PolicyDocument: encode(READ_S3) }],
          },
        ],
        IsTruncated: true,
        Marker: "page-2",
      })
      .resolves({
        UserDetailList: [
          { UserName: "carol", AttachedManagedPolicies: [], UserPolicyList: [], GroupList: [] },
        ],
        Policies: [
          {
            Arn: "arn:aws:iam::123456789012:policy/ops-all",
            DefaultVersionId: "v3",
            PolicyVersionList: [
              { VersionId: "v2", IsDefaultVersion: false, Document: encode(READ_S3) },
              { VersionId: "v3", IsDefaultVersion: true, Document: encode(ALLOW_ALL) },
            ],
          },
        ],
        IsTruncated: false,
      });
    const scopes = await directory().adminScopes();
    expect(scopes).toEqual(
      new Map([
        [
          "alice",
          { admin: true, via: ["AdministratorAccess", "inline policy everything", "ops-all (group ops)"] },
        ],
        ["carol", { admin: false, via: [] }],
      ]),
    );
    expect(sent().map((c) => c.input)).toEqual([
      { Filter: ["User", "Group", "LocalManagedPolicy"], MaxItems: 1000 },
      { Filter: ["User", "Group", "LocalManagedPolicy"], MaxItems: 1000, Marker: "page-2" },
    ]);
  });

  it("stops after the pages allowed: users not read then are left out (their admin rule fails closed)", async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      UserDetailList: [{ UserName: "again", GroupList: [] }],
      IsTruncated: true,
      Marker: "more",
    });
    await directory().adminScopes();
    expect(sent()).toHaveLength(MAX_AUTHORIZATION_PAGES);
  });

  it("fails the audit on an AWS error (retried by Lambda), never answers not admin", async () => {
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .rejects(
        Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
      );
    await expect(directory().adminScopes()).rejects.toThrow(
      /GetAccountAuthorizationDetails failed: AccessDenied/,
    );
  });
});
