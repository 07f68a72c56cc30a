import type { Event } from "@aws-sdk/client-cloudtrail";
import { describe, expect, it } from "vitest";
import { toLookupEventRecord } from "../../../lambdas/adapters/cloudtrail.js";
import { toApiCall as toApiCallOfRecord } from "../../../lambdas/core/investigation/record.js";
import { loadRecord, place, toLookupEvent } from "./support.js";

const Q = { region: "us-east-1", accessKeyId: "AKIAOZUDECYXYM4ONAN4" };

/** As the investigation sees it: the SDK's Event through the adapter's mapping. */
function toApiCall(event: Event, queried: typeof Q) {
  return toApiCallOfRecord(toLookupEventRecord(event), queried);
}

describe("toApiCall over published CloudTrail records (CloudTrailEvent is a JSON string)", () => {
  it.each([
    {
      file: "stratus-create-user",
      eventName: "CreateUser",
      errorCode: undefined,
      resources: ["user malicious-iam-user"],
      minted: undefined,
    },
    {
      file: "stratus-create-access-key",
      eventName: "CreateAccessKey",
      errorCode: undefined,
      resources: ["user malicious-iam-user", "new access key AKIAXAFZN8JEPF6L682H"],
      minted: undefined,
    },
    {
      file: "stratus-attach-user-policy",
      eventName: "AttachUserPolicy",
      errorCode: undefined,
      resources: ["user malicious-iam-user", "policy arn:aws:iam::aws:policy/AdministratorAccess"],
      minted: undefined,
    },
    {
      file: "stratus-stop-logging",
      eventName: "StopLogging",
      errorCode: undefined,
      resources: ["trail stratus-red-team-ct-stop-trail-buykxbqejv"],
      minted: undefined,
    },
    {
      file: "stratus-get-secret-value",
      eventName: "GetSecretValue",
      errorCode: undefined,
      resources: [
        "secret arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-18-4Rzn83",
      ],
      minted: undefined,
    },
    {
      file: "stratus-get-parameters",
      eventName: "GetParameters",
      errorCode: undefined,
      // Bounded per call: 8 of the 10 parameter names read.
      resources: [1, 15, 20, 25, 32, 34, 35, 36].map(
        (n) => `parameter /credentials/stratus-red-team/credentials-${n}`,
      ),
      minted: undefined,
    },
    {
      file: "stratus-list-secrets",
      eventName: "ListSecrets",
      errorCode: undefined,
      resources: [],
      minted: undefined,
    },
    {
      file: "stratus-run-instances-denied",
      eventName: "RunInstances",
      errorCode: "Client.UnauthorizedOperation",
      resources: ["type p2.xlarge"],
      minted: undefined,
    },
    {
      file: "gorillastack-run-instances",
      eventName: "RunInstances",
      errorCode: undefined,
      resources: ["instance i-e38a6646", "type t2.micro"],
      minted: undefined,
    },
    {
      file: "cloudtrail-guide-update-trail-error",
      eventName: "UpdateTrail",
      errorCode: "TrailNotFoundException",
      resources: [],
      minted: undefined,
    },
    {
      file: "stratus-assume-role",
      eventName: "AssumeRole",
      errorCode: undefined,
      resources: [],
      minted: {
        accessKeyId: "ASIA9F6MXE9HSYOXYQOS",
        via: "AssumeRole",
        at: "2024-08-01T11:30:22.000Z",
        region: "ca-south-3r",
        sessionArn:
          "arn:aws:sts::900138736586:assumed-role/stratus-red-team-ec2lui-role-idtzskbvtd/aws-go-sdk-1722511821294449000",
        roleArn: "arn:aws:iam::900138736586:role/stratus-red-team-ec2lui-role-idtzskbvtd",
      },
    },
    {
      file: "stratus-get-federation-token",
      eventName: "GetFederationToken",
      errorCode: undefined,
      resources: [],
      minted: {
        accessKeyId: "ASIASTJKC5GCM7ZE6LUP",
        via: "GetFederationToken",
        at: "2024-11-30T08:43:17.000Z",
        region: "ap-isob-east-1r",
        sessionArn: "arn:aws:sts::742491224508:federated-user/stratus_red_team",
      },
    },
    {
      file: "iam-guide-assume-role-chaining",
      eventName: "AssumeRole",
      errorCode: undefined,
      resources: [],
      minted: {
        accessKeyId: "ASIAWHOJDLGPOEXAMPLE",
        via: "AssumeRole",
        at: "2019-10-02T22:12:29.000Z",
        region: "us-east-2",
        sessionArn: "arn:aws:sts::111111111111:assumed-role/test-role/Role2WithTags",
        roleArn: "arn:aws:iam::111111111111:role/JohnRole2",
      },
    },
    // AWS's own example names an AKIA key as the minted credential: not a session key, not followed.
    {
      file: "iam-guide-assume-role-cross-account",
      eventName: "AssumeRole",
      errorCode: undefined,
      resources: [],
      minted: undefined,
    },
  ])("$file → $eventName", ({ file, eventName, errorCode, resources, minted }) => {
    const record = loadRecord(file);
    const call = toApiCall(toLookupEvent(record), Q);
    expect(call).toMatchObject({
      eventName,
      errorCode,
      eventId: record.eventID,
      region: record.awsRegion,
      sourceIp: record.sourceIPAddress,
      userAgent: record.userAgent,
      eventTime: new Date(record.eventTime as string).toISOString(),
      parsed: true,
    });
    expect(call.resources).toEqual(resources);
    expect(call.minted).toEqual(minted);
  });

  it("takes the outer EventId when the record has no eventID (eventVersion 1.0)", () => {
    const call = toApiCall(toLookupEvent(loadRecord("cloudtrail-guide-create-user"), "outer-id-1"), Q);
    expect(call).toMatchObject({ eventId: "outer-id-1", eventName: "CreateUser", resources: ["user Bob"] });
  });

  it("does not follow a session key from a failed AssumeRole", () => {
    const failed = { ...loadRecord("stratus-assume-role"), errorCode: "AccessDenied" };
    const call = toApiCall(toLookupEvent(failed), Q);
    expect(call.minted).toBeUndefined();
    expect(call.errorCode).toBe("AccessDenied");
  });

  it("counts a record whose CloudTrailEvent is not JSON from the outer fields, flagged unparsed", () => {
    const event = { ...toLookupEvent(loadRecord("stratus-create-user")), CloudTrailEvent: "{not json" };
    expect(toApiCall(event, Q)).toEqual({
      eventId: "3346344c-5a3e-429e-8405-420f98f75d6e",
      eventName: "CreateUser",
      eventSource: "iam.amazonaws.com",
      eventTime: "2024-08-01T13:33:28.000Z",
      region: "us-east-1",
      sourceIp: "(unknown)",
      userAgent: "(unknown)",
      errorCode: undefined,
      accessKeyId: "AKIAOZUDECYXYM4ONAN4",
      resources: [],
      minted: undefined,
      parsed: false,
    });
  });

  it("counts an event with no CloudTrailEvent at all", () => {
    const call = toApiCall({ EventId: "x", EventName: "GetObject" }, Q);
    expect(call).toMatchObject({ eventId: "x", eventName: "GetObject", eventTime: "", parsed: false });
  });

  it("clips huge fields so one record cannot blow up the summary", () => {
    const record = place(loadRecord("stratus-list-secrets"), {});
    record.userAgent = "x".repeat(10_000);
    expect(toApiCall(toLookupEvent(record), Q).userAgent).toHaveLength(256);
  });
});
