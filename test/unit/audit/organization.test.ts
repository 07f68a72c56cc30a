import { Logger } from "@aws-lambda-powertools/logger";
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
} from "@aws-sdk/client-iam";
import { ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { parseAuditConfig } from "../../../lambdas/core/audit/config.js";
import { createAuditHandler } from "../../../lambdas/handlers/audit-handler.js";
import { NOW, reportFixture } from "./support.js";

/**
 * The scheduled audit of an Organization deployment: the home account with its own credentials,
 * every other ACTIVE account of ListAccounts through its member role, an account whose role cannot
 * be assumed reported as unreachable (never skipped silently).
 */

const HOME_REPORT = reportFixture("guardian-security-hq.csv");
// The report's published account id (10 digits as published) is the home account here.
const HOME = "0123456789";
const MEMBER = "210987654321";
const UNREACHABLE = "444455556666";
const SUSPENDED = "777788889999";
const MEMBER_REPORT = HOME_REPORT.replaceAll(`::${HOME}:`, `::${MEMBER}:`);

const homeIam = new IAMClient({ region: "us-east-1" });
const memberIamClient = new IAMClient({ region: "us-east-1" });
const homeMock = mockClient(homeIam);
const memberMock = mockClient(memberIamClient);
const sts = mockClient(STSClient);
const organizations = mockClient(OrganizationsClient);
const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const eventBridge = mockClient(EventBridgeClient);
const memberCredentials: AwsCredentialIdentityProvider[] = [];

const HOME_KEY = "AKIACREDCREDCREDCRED";
const MEMBER_KEY = "AKIAMEMBERMEMBERKEY1";

function reportFor(mock: typeof homeMock, csv: string, keyId: string): void {
  mock.on(GenerateCredentialReportCommand).resolves({ State: "COMPLETE" });
  mock
    .on(GetCredentialReportCommand)
    .resolves({ Content: new TextEncoder().encode(csv), ReportFormat: "text/csv" });
  mock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
  mock.on(ListAccessKeysCommand, { UserName: "credential-user" }).resolves({
    AccessKeyMetadata: [
      {
        UserName: "credential-user",
        AccessKeyId: keyId,
        Status: "Active",
        CreateDate: new Date("2015-10-22T14:45:00Z"),
      },
    ],
  });
  mock.on(GetAccessKeyLastUsedCommand).resolves({});
  mock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [], IsTruncated: false });
}

const denied = () =>
  new STSServiceException({
    name: "AccessDenied",
    $fault: "client",
    $metadata: { httpStatusCode: 403 },
    message: "denied",
  });

beforeEach(() => {
  for (const m of [homeMock, memberMock, sts, organizations, dynamodb, sns, eventBridge]) m.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  memberCredentials.length = 0;
  reportFor(homeMock, HOME_REPORT, HOME_KEY);
  reportFor(memberMock, MEMBER_REPORT, MEMBER_KEY);
  organizations
    .on(ListAccountsCommand)
    .resolvesOnce({
      Accounts: [
        { Id: HOME, Status: "ACTIVE" },
        { Id: UNREACHABLE, Status: "ACTIVE" },
      ],
      NextToken: "page-2",
    })
    .resolves({
      Accounts: [
        { Id: MEMBER, Status: "ACTIVE" },
        { Id: SUSPENDED, Status: "SUSPENDED" },
      ],
    });
  sts.on(AssumeRoleCommand).rejects(denied());
  sts.on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${MEMBER}:role/LkrMember` }).resolves({
    Credentials: {
      AccessKeyId: "ASIAMEMBER0000000001",
      SecretAccessKey: "s",
      SessionToken: "t",
      Expiration: new Date(Date.now() + 900_000),
    },
  });
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(QueryCommand).resolves({ Items: [] });
  dynamodb.on(BatchGetItemCommand).resolves({ Responses: {} });
  dynamodb.on(PutItemCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
});

const ENV = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
};

function handler(env: Record<string, string> = { ...ENV, MEMBER_ROLE_NAME: "LkrMember" }) {
  return createAuditHandler(parseAuditConfig(env), {
    iam: homeIam,
    dynamodb: new DynamoDBClient({ region: "us-east-1" }),
    sns: new SNSClient({ region: "us-east-1" }),
    eventBridge: new EventBridgeClient({ region: "us-east-1" }),
    sts: () => new STSClient({ region: "us-east-1" }),
    organizations: () => new OrganizationsClient({ region: "us-east-1" }),
    memberIam: (credentials) => {
      memberCredentials.push(credentials);
      return memberIamClient;
    },
    now: () => NOW,
    logger: new Logger({ logLevel: "SILENT" }),
  });
}

function storedRecord(): Record<string, unknown> {
  const item = dynamodb.commandCalls(PutItemCommand).at(-1)?.args[0].input.Item;
  return unmarshall(item ?? {});
}

describe("the scheduled audit of an Organization", () => {
  it("audits the home account and each ACTIVE member through its member role; an unreachable one is reported", async () => {
    const result = await handler()({});

    // Suspended accounts are not asked; the home account uses its own credentials.
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/LkrMember`,
      `arn:aws:iam::${UNREACHABLE}:role/LkrMember`,
    ]);
    expect(memberCredentials).toHaveLength(1);
    expect(await memberCredentials[0]?.()).toMatchObject({ accessKeyId: "ASIAMEMBER0000000001" });
    expect(memberMock.commandCalls(GetCredentialReportCommand)).toHaveLength(1);
    expect(homeMock.commandCalls(GetCredentialReportCommand)).toHaveLength(1);

    const record = storedRecord();
    const findings = record.findings as { accountId?: string; kind: string; userName: string }[];
    const perAccount = record.accounts as Record<string, number>;
    expect(Object.keys(perAccount).sort()).toEqual([HOME, MEMBER]);
    // The same published report in both accounts: the same findings, counted per account.
    expect(perAccount[HOME]).toBeGreaterThan(0);
    expect(perAccount[MEMBER]).toBe(perAccount[HOME]);
    expect(findings.filter((f) => f.accountId === MEMBER)).toHaveLength(perAccount[MEMBER] ?? -1);
    expect(findings.every((f) => f.accountId === HOME || f.accountId === MEMBER)).toBe(true);
    expect(result.findings).toBe((perAccount[HOME] ?? 0) + (perAccount[MEMBER] ?? 0));
    expect(record.unreachable).toEqual([
      {
        accountId: UNREACHABLE,
        reason: expect.stringMatching(/member role LkrMember of account 444455556666 cannot be assumed/),
      },
    ]);

    const alert = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? "";
    const email = JSON.parse(alert).default as string;
    expect(email).toContain("ACCOUNTS: 2 audited, 1 UNREACHABLE (not audited)");
    expect(email).toContain(`${UNREACHABLE}: UNREACHABLE`);
    expect(email).toContain(`${MEMBER}: ${perAccount[MEMBER]}`);
  });

  it("a member account that refuses the audit's reads (a member stack older than the audit) is unreachable too", async () => {
    memberMock.on(GenerateCredentialReportCommand).rejects(
      Object.assign(new Error("not authorized"), {
        name: "AccessDenied",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await handler()({});
    expect((storedRecord().unreachable as { accountId: string }[]).map((u) => u.accountId)).toEqual([
      MEMBER,
      UNREACHABLE,
    ]);
    expect(Object.keys(storedRecord().accounts as object)).toEqual([HOME]);
  });

  it("a throttled member account fails the run (retried), rather than being reported clean or unreachable", async () => {
    memberMock
      .on(GenerateCredentialReportCommand)
      .rejects(
        Object.assign(new Error("slow down"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }),
      );
    await expect(handler()({})).rejects.toThrow();
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it("enforcement stays in the home account: a member account's old key is reported, never announced nor disabled", async () => {
    const result = await handler({
      ...ENV,
      MEMBER_ROLE_NAME: "LkrMember",
      AUDIT_ENFORCE: "key-old=0",
      EVENT_BUS_NAME: "responder-bus",
    })({});
    const record = storedRecord();
    const findings = record.findings as { accountId?: string; kind: string; accessKeyId: string | null }[];
    expect(findings.filter((f) => f.kind === "key-old").map((f) => [f.accountId, f.accessKeyId])).toEqual(
      expect.arrayContaining([
        [HOME, HOME_KEY],
        [MEMBER, MEMBER_KEY],
      ]),
    );
    expect((record.announcements as { accessKeyId: string }[]).map((a) => a.accessKeyId)).toEqual([HOME_KEY]);
    const signalled = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.Detail ?? "{}") as { accessKeyId: string; accountId: string });
    expect(signalled.map((d) => [d.accountId, d.accessKeyId])).toEqual([[HOME, HOME_KEY]]);
    expect(result.enforced).toBe(1);
  });

  it("without MEMBER_ROLE_NAME: the home account only, no account listed, findings and records as before", async () => {
    await handler(ENV)({});
    expect(organizations.commandCalls(ListAccountsCommand)).toHaveLength(0);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    const record = storedRecord();
    expect(record.accounts).toBeUndefined();
    expect(record.unreachable).toBeUndefined();
    expect((record.findings as { accountId?: string }[]).every((f) => f.accountId === undefined)).toBe(true);
  });
});
