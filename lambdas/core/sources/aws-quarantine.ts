import * as z from "zod/mini";
import { isAccessKeyId, keyKindOf } from "../access-key.js";
import type { Exposure } from "../exposure.js";
import { CloudTrailDetailSchema } from "./cloudtrail-record.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";
import { byResponder, type WatchOptions } from "./iam-watch.js";

/**
 * The earliest signal: AWS's own quarantine of a user whose key it found exposed, an IAM call
 * CloudTrail records about a minute before AWS's Health event (and email). AWS attaches its managed
 * policy `AWSCompromisedKeyQuarantine*` (`AttachUserPolicy`), or in older accounts puts the inline
 * policy `AWSExposedCredentialPolicy_DO_NOT_REMOVE` (`PutUserPolicy`), with an `aws-internal/…` (or
 * `AWS Internal`) user agent. Published records (Panther's detection rules and their tests) show
 * the call made under the compromised user's own identity, `userIdentity.accessKeyId` naming the
 * leaked key; others show another identity, naming no key of the user. The responder's own
 * attachments are never this signal: its SDK's user agent is not AWS's, and its roles are excluded
 * as in the tamper watch.
 */

const IAM_SOURCE = "aws.iam";

/** The calls AWS quarantines a user with. */
export const AWS_QUARANTINE_EVENT_NAMES = ["AttachUserPolicy", "PutUserPolicy"] as const;
/** AWS's managed quarantine policies, every version and partition. */
export const AWS_QUARANTINE_MANAGED_POLICY =
  /^arn:aws[a-z-]*:iam::aws:policy\/(AWSCompromisedKeyQuarantine[\w+=,.@-]*)$/;
/** The name of the inline policy AWS put on users of older accounts. */
export const AWS_EXPOSED_CREDENTIAL_POLICY_NAME = "AWSExposedCredentialPolicy_DO_NOT_REMOVE";
/** AWS's own calls: the user agents published records show (`aws-internal/3 aws-sdk-java/…`, `AWS Internal`). */
export const AWS_INTERNAL_USER_AGENT_PREFIX = "aws-internal/";
export const AWS_INTERNAL_USER_AGENT = "AWS Internal";

const DetailSchema = z.extend(CloudTrailDetailSchema, { userAgent: z.optional(z.string()) });
type Detail = z.infer<typeof DetailSchema>;

const ParametersSchema = z.looseObject({
  userName: z.optional(z.string()),
  policyArn: z.optional(z.string()),
  policyName: z.optional(z.string()),
});

/** AWS quarantined a user, and its record names no key of that user: the user's keys say which. */
export interface AwsQuarantine {
  readonly kind: "aws-quarantine";
  readonly accountId: string;
  readonly region: string;
  readonly userName: string;
  /** The policy AWS attached or put (its name). */
  readonly policy: string;
  readonly signal: string;
  readonly eventId: string;
  readonly sourceEventId: string;
  readonly observedAt: string;
  readonly evidence: Readonly<Record<string, string>>;
}

export interface AwsQuarantineRead {
  /** The record names the leaked key: contain exactly it. */
  readonly exposures: readonly Exposure[];
  /** The record names none: the user's keys decide (see respond/aws-quarantine.ts). */
  readonly quarantined: readonly AwsQuarantine[];
}

export const NO_AWS_QUARANTINE: AwsQuarantineRead = { exposures: [], quarantined: [] };

function isAwsInternal(detail: Detail): boolean {
  const agent = detail.userAgent ?? "";
  return agent === AWS_INTERNAL_USER_AGENT || agent.startsWith(AWS_INTERNAL_USER_AGENT_PREFIX);
}

/** The policy the call quarantines with, when it is one of AWS's. */
function quarantinePolicyOf(detail: Detail, params: z.infer<typeof ParametersSchema>): string | undefined {
  if (detail.eventName === "AttachUserPolicy") {
    return AWS_QUARANTINE_MANAGED_POLICY.exec(params.policyArn ?? "")?.[1];
  }
  if (detail.eventName === "PutUserPolicy" && params.policyName === AWS_EXPOSED_CREDENTIAL_POLICY_NAME) {
    return params.policyName;
  }
  return undefined;
}

/**
 * The key the record names as the quarantined user's own: the call made under that user's identity
 * (IAM user names are not case-sensitive) with one of its long-term keys.
 */
function namedKeyOf(detail: Detail, userName: string): string | undefined {
  const identity = detail.userIdentity;
  if (identity.type !== "IAMUser" || identity.userName?.toLowerCase() !== userName.toLowerCase()) {
    return undefined;
  }
  const key = identity.accessKeyId;
  return isAccessKeyId(key) && keyKindOf(key) === "long-term" ? key : undefined;
}

/** A CloudTrail IAM event → AWS's quarantine of a user, if that is what it records (nothing for any other call). */
export function readAwsQuarantine(envelope: Envelope, options: WatchOptions): AwsQuarantineRead {
  const detail = parseOrThrow(DetailSchema, envelope.detail, IAM_SOURCE);
  if (!(AWS_QUARANTINE_EVENT_NAMES as readonly string[]).includes(detail.eventName)) return NO_AWS_QUARANTINE;
  if (detail.errorCode !== undefined || !isAwsInternal(detail) || byResponder(detail, options)) {
    return NO_AWS_QUARANTINE;
  }
  const params = parseOrThrow(ParametersSchema, detail.requestParameters ?? {}, IAM_SOURCE);
  const policy = quarantinePolicyOf(detail, params);
  const userName = params.userName;
  if (policy === undefined || userName === undefined) return NO_AWS_QUARANTINE;
  const accountId = accountOf(envelope, detail.recipientAccountId, IAM_SOURCE);
  const region = detail.awsRegion ?? envelope.region;
  const observedAt = isoTimeOf(detail.eventTime, envelope.time);
  const signal = `${detail.eventName} ${policy}`;
  const evidence: Record<string, string> = {
    actor: detail.userIdentity.arn ?? detail.userIdentity.type ?? "unknown",
    eventId: detail.eventID,
    policy,
  };
  if (detail.sourceIPAddress) evidence.sourceIp = detail.sourceIPAddress;
  const key = namedKeyOf(detail, userName);
  if (key === undefined) {
    const quarantine: AwsQuarantine = {
      kind: "aws-quarantine",
      accountId,
      region,
      userName,
      policy,
      signal,
      eventId: detail.eventID,
      sourceEventId: envelope.id,
      observedAt,
      evidence,
    };
    return { exposures: [], quarantined: [quarantine] };
  }
  const exposure: Exposure = {
    source: "cloudtrail",
    signal,
    signalId: `cloudtrail:${detail.eventID}:${key}`,
    sourceEventId: envelope.id,
    accountId,
    region,
    accessKeyId: key,
    principal: { type: "user", name: userName },
    intent: "contain",
    severity: "critical",
    sample: false,
    observedAt,
    title: `AWS quarantined user ${userName}: its access key was found exposed (AWS's own call, before its Health event)`,
    evidence,
  };
  return { exposures: [exposure], quarantined: [] };
}
