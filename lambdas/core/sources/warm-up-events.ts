import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from "./guardduty.js";
import { HEALTH_DETAIL_TYPE, HEALTH_SOURCE } from "./health.js";
import { TRUSTED_ADVISOR_DETAIL_TYPE, TRUSTED_ADVISOR_SOURCE } from "./trusted-advisor.js";

/**
 * One event of each source whose first request is raced against the clock (GuardDuty, Trusted
 * Advisor, Health: they name the key's user, so the disable leaves beside the reads). Respond
 * normalizes them during init, so the schemas' first parse (zod builds each object's normalized
 * shape on it) and the first run of each parser's code happen before the first real signal does.
 * Only fields AWS sends (a subset of the published events in test/fixtures/events), with AWS's
 * documentation placeholders: never sent anywhere, never acted on.
 */
export const WARM_UP_ACCOUNT = "123456789012";
export const WARM_UP_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const WARM_UP_USER = "warm-up";

const envelope = (source: string, detailType: string, detail: unknown) => ({
  version: "0",
  id: "00000000-0000-0000-0000-000000000000",
  "detail-type": detailType,
  source,
  account: WARM_UP_ACCOUNT,
  time: "2026-01-01T00:00:00Z",
  region: "us-east-1",
  resources: [],
  detail,
});

export const WARM_UP_EVENTS: readonly unknown[] = [
  envelope(GUARDDUTY_SOURCE, GUARDDUTY_DETAIL_TYPE, {
    schemaVersion: "2.0",
    accountId: WARM_UP_ACCOUNT,
    region: "us-east-1",
    id: "00000000000000000000000000000000",
    type: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
    severity: 5,
    updatedAt: "2026-01-01T00:00:00.000Z",
    title: "API GeneratedFindingAPIName was invoked from an IP address on a custom threat list.",
    resource: {
      resourceType: "AccessKey",
      accessKeyDetails: {
        accessKeyId: WARM_UP_ACCESS_KEY_ID,
        principalId: "AIDAIOSFODNN7EXAMPLE",
        userType: "IAMUser",
        userName: WARM_UP_USER,
      },
    },
    service: {
      serviceName: "guardduty",
      action: {
        actionType: "AWS_API_CALL",
        awsApiCallAction: {
          api: "ListBuckets",
          serviceName: "s3.amazonaws.com",
          remoteIpDetails: { ipAddressV4: "192.0.2.1" },
        },
      },
      additionalInfo: {},
      archived: false,
      count: 1,
    },
  }),
  envelope(TRUSTED_ADVISOR_SOURCE, TRUSTED_ADVISOR_DETAIL_TYPE, {
    "check-name": "Exposed Access Keys",
    "check-item-detail": {
      "Case ID": "00000000-0000-0000-0000-000000000000",
      "Usage (USD per Day)": "0",
      "User Name (IAM or Root)": WARM_UP_USER,
      Deadline: "1767225600000",
      "Access Key ID": WARM_UP_ACCESS_KEY_ID,
      "Time Updated": "1767225600000",
      "Fraud Type": "Exposed",
      Location: "www.example.com",
    },
    status: "ERROR",
    resource_id: "",
    uuid: "00000000-0000-0000-0000-000000000000",
  }),
  envelope(HEALTH_SOURCE, HEALTH_DETAIL_TYPE, {
    eventArn: "arn:aws:health:us-east-1::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/warm-up",
    service: "RISK",
    eventTypeCode: "AWS_RISK_CREDENTIALS_EXPOSED",
    eventTypeCategory: "issue",
    communicationId: "warm-up",
    startTime: "Thu, 01 Jan 2026 00:00:00 GMT",
    eventDescription: [{ language: "en_US", latestDescription: "Your AWS Account may be compromised!" }],
    eventMetadata: {
      publicKey: WARM_UP_ACCESS_KEY_ID,
      userName: WARM_UP_USER,
      exposedUrl: "https://example.com",
    },
    affectedEntities: [{ entityValue: WARM_UP_ACCESS_KEY_ID }],
    affectedAccount: WARM_UP_ACCOUNT,
  }),
];
