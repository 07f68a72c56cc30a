import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import { InvalidEventError } from "../errors.js";
import type { Exposure, Principal, Severity } from "../exposure.js";
import { CloudTrailDetailSchema } from "./cloudtrail-record.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

export const IAM_SOURCE = "aws.iam";
export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";
/** The IAM key calls the rules forward; only the first two lead to anything. */
export const KEY_EVENT_NAMES = ["CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"] as const;

type CloudTrailDetail = z.infer<typeof CloudTrailDetailSchema>;

const CreateAccessKeyResponseSchema = z.looseObject({
  accessKey: z.looseObject({
    accessKeyId: z.string(),
    userName: z.optional(z.string()),
    status: z.optional(z.string()),
  }),
});
const CreateAccessKeyRequestSchema = z.optional(
  z.nullable(z.looseObject({ userName: z.optional(z.string()) })),
);
const UpdateAccessKeyRequestSchema = z.looseObject({
  accessKeyId: z.string(),
  status: z.string(),
  userName: z.optional(z.string()),
});

function actorOf(detail: CloudTrailDetail): string {
  const identity = detail.userIdentity;
  return identity.arn ?? identity.userName ?? identity.type ?? "unknown";
}

/**
 * Whose key the call touched. With no `userName` parameter IAM acts on the caller itself:
 * the root user's own keys when the caller is root, the calling user's otherwise.
 */
function ownerOf(detail: CloudTrailDetail, targetUserName: string | undefined): Principal {
  if (targetUserName) return { type: "user", name: targetUserName };
  if (detail.userIdentity.type === "Root") return { type: "root" };
  if (detail.userIdentity.type === "IAMUser") return { type: "user", name: detail.userIdentity.userName };
  return { type: "other", description: `caller of type ${detail.userIdentity.type ?? "unknown"}` };
}

function keyIdOrThrow(value: string, field: string): string {
  if (!isAccessKeyId(value)) {
    throw new InvalidEventError(`${field} is not an access key id`, IAM_SOURCE, [
      `detail.${field}: not AKIA/ASIA`,
    ]);
  }
  return value;
}

function base(envelope: Envelope, detail: CloudTrailDetail) {
  return {
    source: "cloudtrail" as const,
    signal: detail.eventName,
    signalId: `cloudtrail:${detail.eventID}`,
    sourceEventId: envelope.id,
    accountId: accountOf(envelope, detail.recipientAccountId, IAM_SOURCE),
    region: detail.awsRegion ?? envelope.region,
    sample: false,
    observedAt: isoTimeOf(detail.eventTime, envelope.time),
  };
}

export function cloudTrailToExposures(envelope: Envelope): Exposure[] {
  const detail = parseOrThrow(CloudTrailDetailSchema, envelope.detail, IAM_SOURCE);
  if (detail.errorCode !== undefined) return []; // the call failed: no key was created or changed
  const evidence: Record<string, string> = { actor: actorOf(detail), eventId: detail.eventID };
  if (detail.sourceIPAddress) evidence.sourceIp = detail.sourceIPAddress;

  if (detail.eventName === "CreateAccessKey") {
    const response = parseOrThrow(CreateAccessKeyResponseSchema, detail.responseElements, IAM_SOURCE);
    const request = parseOrThrow(CreateAccessKeyRequestSchema, detail.requestParameters, IAM_SOURCE);
    const accessKeyId = keyIdOrThrow(
      response.accessKey.accessKeyId,
      "responseElements.accessKey.accessKeyId",
    );
    const principal = ownerOf(detail, request?.userName ?? response.accessKey.userName);
    const forOtherUser =
      principal.type === "user" &&
      !(detail.userIdentity.type === "IAMUser" && detail.userIdentity.userName === principal.name);
    const severity: Severity = principal.type === "root" ? "critical" : forOtherUser ? "high" : "low";
    const title =
      principal.type === "root"
        ? "Access key created for the root user"
        : forOtherUser
          ? `Access key created for user ${principal.type === "user" ? principal.name : "?"} by another principal`
          : "Access key created";
    return [
      { ...base(envelope, detail), accessKeyId, principal, intent: "notify", severity, title, evidence },
    ];
  }

  if (detail.eventName === "UpdateAccessKey") {
    const request = parseOrThrow(UpdateAccessKeyRequestSchema, detail.requestParameters, IAM_SOURCE);
    if (request.status !== "Active") return [];
    const accessKeyId = keyIdOrThrow(request.accessKeyId, "requestParameters.accessKeyId");
    const principal = ownerOf(detail, request.userName);
    return [
      {
        ...base(envelope, detail),
        accessKeyId,
        principal,
        intent: "recontain-if-open",
        severity: "high",
        title: "Access key switched back to Active",
        evidence,
      },
    ];
  }
  return [];
}
