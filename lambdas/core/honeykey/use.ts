import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import { CLOUDTRAIL_DETAIL_TYPE } from "../sources/cloudtrail.js";
import { type Envelope, EnvelopeSchema, isoTimeOf, parseOrThrow } from "../sources/envelope.js";

/** The CloudTrail fields a honey key's use is told by (every call, any service: read-only ones too). */
const HoneyCallSchema = z.looseObject({
  eventID: z.string().check(z.minLength(1), z.maxLength(200)),
  eventName: z.string(),
  eventSource: z.string(),
  eventTime: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  sourceIPAddress: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  recipientAccountId: z.optional(z.string()),
  errorCode: z.optional(z.string()),
  userIdentity: z.looseObject({
    type: z.optional(z.string()),
    arn: z.optional(z.string()),
    userName: z.optional(z.string()),
    accountId: z.optional(z.string()),
    accessKeyId: z.optional(z.string()),
  }),
});

/** One call made with a (possible) honey key, as CloudTrail reported it. */
export interface HoneyUse {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly userName: string;
  readonly userArn: string;
  readonly eventId: string;
  /** `sts.amazonaws.com:GetCallerIdentity` */
  readonly call: string;
  readonly eventTime: string;
  readonly region: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** AccessDenied and the like: the call failed, but the key was used all the same. */
  readonly errorCode: string | undefined;
  readonly sourceEventId: string;
}

/**
 * The ARN wildcard of users under `path`, in any account and partition: what the detection rule
 * matches `detail.userIdentity.arn` against.
 */
export function honeyArnWildcard(path: string): string {
  return `arn:aws*:iam::*:user${path}*`;
}

/** Whether an IAM user ARN lies under the honey path (the same test as the rule's wildcard). */
export function isUnderPath(arn: string, path: string): boolean {
  const match = /^arn:aws[a-z-]*:iam::\d{12}:user(\/.*)$/.exec(arn);
  const rest = match?.[1] ?? "";
  return rest.startsWith(path) && rest.length > path.length;
}

/**
 * A CloudTrail call by an IAM user under the honey path with a long-term key: the use of a honey
 * key if the incident table holds a record of that key (the caller checks). Anything else is
 * undefined: the event is not about a honey key and the rest of the responder reads it. A CloudTrail
 * event under the honey path that cannot be read throws InvalidEventError (DLQ).
 */
export function honeyUseCandidateOf(event: unknown, path: string): HoneyUse | undefined {
  const parsed = EnvelopeSchema.safeParse(event);
  // CloudTrail's events carry an `aws.*` source, which nobody else may put on a bus.
  if (
    !parsed.success ||
    parsed.data["detail-type"] !== CLOUDTRAIL_DETAIL_TYPE ||
    !parsed.data.source.startsWith("aws.")
  ) {
    return undefined;
  }
  const envelope: Envelope = parsed.data;
  const identity = (envelope.detail as { userIdentity?: { type?: unknown; arn?: unknown } } | null)
    ?.userIdentity;
  if (identity?.type !== "IAMUser" || typeof identity.arn !== "string" || !isUnderPath(identity.arn, path)) {
    return undefined;
  }
  const detail = parseOrThrow(HoneyCallSchema, envelope.detail, envelope.source);
  const accessKeyId = detail.userIdentity.accessKeyId ?? "";
  // Console sign-ins carry no key; a honey user has no password, so there is none to read.
  if (!isAccessKeyId(accessKeyId) || !accessKeyId.startsWith("AKIA")) return undefined;
  const arn = detail.userIdentity.arn ?? "";
  return {
    accessKeyId,
    accountId: detail.userIdentity.accountId ?? detail.recipientAccountId ?? envelope.account ?? "unknown",
    userName: detail.userIdentity.userName ?? arn.split("/").pop() ?? "unknown",
    userArn: arn,
    eventId: detail.eventID,
    call: `${detail.eventSource}:${detail.eventName}`,
    eventTime: isoTimeOf(detail.eventTime, envelope.time),
    region: detail.awsRegion ?? envelope.region,
    sourceIp: detail.sourceIPAddress ?? "unknown",
    userAgent: detail.userAgent ?? "unknown",
    errorCode: detail.errorCode,
    sourceEventId: envelope.id,
  };
}

/** The user agent marker of `lkr honeykey test`: `lkr-honeykey-test/<nonce>`. */
export const TEST_AGENT_PREFIX = "lkr-honeykey-test/";

/** The nonce of a test marker in a user agent, if any (an attacker may fake it: see isPendingTest). */
export function testNonceOf(userAgent: string): string | undefined {
  const index = userAgent.indexOf(TEST_AGENT_PREFIX);
  if (index < 0) return undefined;
  return /^[0-9a-f]{8,64}/i.exec(userAgent.slice(index + TEST_AGENT_PREFIX.length))?.[0];
}
