import { Logger } from "@aws-lambda-powertools/logger";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { parseInvestigateConfig } from "../../../lambdas/core/investigation/config.js";
import { createInvestigateHandler } from "../../../lambdas/handlers/investigate-handler.js";
import { ACCOUNT_ID, containedEvent, storedIncident } from "./support.js";

const MEMBER = "210987654321";
const KEY = "AKIAR7ISFR69YWROPYAN";
const INCIDENT = `${MEMBER}-${KEY}`;
const HOME_CONTEXT = {
  getRemainingTimeInMillis: () => 900_000,
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:investigate`,
};
const ENV = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT_ID}:alerts`,
  INVESTIGATION_REGIONS: "eu-west-1",
  MEMBER_ROLE_NAME: "LkrMember",
};
const CONTAINED_AT = new Date(Date.now() - 120_000).toISOString();

const ct = mockClient(CloudTrailClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const sts = mockClient(STSClient);

/** The handler, recording which credentials each CloudTrail client was built with, per region. */
function build() {
  const built: { region: string; credentials: AwsCredentialIdentityProvider | "home" }[] = [];
  const handler = createInvestigateHandler(parseInvestigateConfig(ENV), {
    cloudTrailFor: (region) => {
      built.push({ region, credentials: "home" });
      return new CloudTrailClient({ region });
    },
    memberCloudTrailFor: (credentials, region) => {
      built.push({ region, credentials });
      return new CloudTrailClient({ region, credentials });
    },
    sts: () => new STSClient({ region: "us-east-1" }),
    dynamodb: new DynamoDBClient({ region: "us-east-1" }),
    sns: new SNSClient({ region: "us-east-1" }),
    now: () => new Date(),
    logger: new Logger({ logLevel: "SILENT" }),
  });
  return { handler, built };
}

beforeEach(() => {
  for (const m of [ct, ddb, sns, sts]) m.reset();
  const incident = storedIncident(KEY, CONTAINED_AT, { incidentId: INCIDENT, accountId: MEMBER });
  ddb.on(GetItemCommand).resolves({ Item: marshall(incident, { removeUndefinedValues: true }) });
  ddb.on(UpdateItemCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  ct.on(LookupEventsCommand).resolves({ Events: [] });
});

const memberContained = () =>
  containedEvent(KEY, { incidentId: INCIDENT, accountId: MEMBER, containedAt: CONTAINED_AT });

describe("investigating a key of a member account", () => {
  it("searches the member account's CloudTrail in each region through the member role, assumed once", async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: "ASIAMEMBER0000000001",
        SecretAccessKey: "s",
        SessionToken: "t",
        Expiration: new Date(Date.now() + 900_000),
      },
    });
    const { handler, built } = build();

    const result = await handler(memberContained(), HOME_CONTEXT);

    expect(result).toMatchObject({ incidentId: INCIDENT, complete: true });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/LkrMember`,
    ]);
    expect(built.map((b) => [b.region, b.credentials === "home" ? "home" : "member"])).toEqual([
      ["us-east-1", "member"],
      ["eu-west-1", "member"],
    ]);
    const member = built[0]?.credentials;
    expect(member !== "home" && (await member?.())).toMatchObject({ accessKeyId: "ASIAMEMBER0000000001" });
    expect(ct.commandCalls(LookupEventsCommand).length).toBeGreaterThanOrEqual(2);
  });

  it("skips, without retrying, a key of an account whose member role cannot be assumed (outside the Organization)", async () => {
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "denied",
      }),
    );
    const { handler, built } = build();

    const result = await handler(memberContained(), HOME_CONTEXT);

    expect(result).toMatchObject({ status: "skipped", incidentId: INCIDENT, complete: false });
    expect((result as { reason?: string }).reason).toMatch(
      /member role LkrMember of account 210987654321 cannot be assumed/,
    );
    expect(built).toEqual([]);
    expect(ct.commandCalls(LookupEventsCommand)).toEqual([]);
  });

  it("searches the home account's own CloudTrail directly", async () => {
    ddb
      .on(GetItemCommand)
      .resolves({ Item: marshall(storedIncident(KEY, CONTAINED_AT), { removeUndefinedValues: true }) });
    const { handler, built } = build();

    await handler(containedEvent(KEY, { containedAt: CONTAINED_AT }), HOME_CONTEXT);

    expect(sts.commandCalls(AssumeRoleCommand)).toEqual([]);
    expect(built.map((b) => b.credentials)).toEqual(["home", "home"]);
  });
});
