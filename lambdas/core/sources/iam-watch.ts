import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import type { Exposure } from "../exposure.js";
import { memberSessionDenyPolicyArn } from "../organization.js";
import { DRILL_TAG, quarantineTagKey, TAG_PREFIX } from "../plan.js";
import type { FenceTarget } from "../vocabulary.js";
import { CloudTrailDetailSchema } from "./cloudtrail-record.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

/**
 * CloudTrail IAM calls on what the responder put in place (its quarantine policy, its session-deny
 * policy, its revoke policy, its tags): the tamper watch. A call that undoes part of a containment
 * becomes an exposure of the key it was about, with the intent to contain it again while the
 * responder holds its incident; a change to a responder tag that undoes nothing is a notice (an
 * alert, nothing changed). The responder's own calls are not watched.
 */

const IAM_SOURCE = "aws.iam";

/** The IAM calls the tamper rules forward. */
export const POLICY_DETACH_EVENT_NAMES = ["DetachUserPolicy", "DetachRolePolicy"] as const;
export const INLINE_DELETE_EVENT_NAMES = ["DeleteUserPolicy", "DeleteRolePolicy"] as const;
export const TAG_EVENT_NAMES = ["TagUser", "TagRole", "UntagUser", "UntagRole"] as const;
export const WATCHED_EVENT_NAMES: readonly string[] = [
  ...POLICY_DETACH_EVENT_NAMES,
  ...INLINE_DELETE_EVENT_NAMES,
  ...TAG_EVENT_NAMES,
];

/** Prefix of the revoke policy's name (one per key); the rule forwards only deletions of these. */
export const REVOKE_POLICY_PREFIX = "leaked-key-responder-revoke-";

/** What the watch needs to know of the deployment. */
export interface WatchOptions {
  /** The quarantine and session-deny policies: detaching either is tampering. */
  readonly fencePolicyArns: readonly string[];
  /** The responder's own roles: their calls are the responder's. */
  readonly responderRoleArns: readonly string[];
  /** Role names the responder acts through in member accounts (MEMBER_ROLE_NAME), in any account. */
  readonly responderRoleNames?: readonly string[] | undefined;
  /**
   * The member role's name (MEMBER_ROLE_NAME): a member account's own session-deny policy, named
   * after it in that account only, is a fence policy of that account. @default - none
   */
  readonly memberRoleName?: string | undefined;
}

/**
 * The fence policies of the event's account: the deployment's (the AWS quarantine policy is the
 * same ARN everywhere) and, with a member role, that account's own session-deny policy — exactly
 * its ARN, in that account and the partition of the policy detached, never a pattern, so a detach
 * of a look-alike policy or of another account's policy acts on nothing.
 */
export function fencePolicyArnsOf(accountId: string, policyArn: string, options: WatchOptions): string[] {
  const partition = /^arn:(aws[a-z-]*):/.exec(policyArn)?.[1];
  const member =
    options.memberRoleName === undefined || partition === undefined
      ? []
      : [memberSessionDenyPolicyArn(accountId, options.memberRoleName, partition)];
  return [...options.fencePolicyArns, ...member];
}

/** A fence policy detached from a principal: its keys are the principal's quarantine tags, read later. */
export interface PolicyDetached {
  readonly kind: "policy-detached";
  readonly accountId: string;
  readonly region: string;
  readonly target: FenceTarget;
  readonly policyArn: string;
  readonly signal: string;
  readonly eventId: string;
  readonly sourceEventId: string;
  readonly observedAt: string;
  readonly evidence: Readonly<Record<string, string>>;
}

/** A responder tag set or removed by someone else, that undoes no containment: alert, change nothing. */
export interface TagNotice {
  readonly kind: "tag-notice";
  readonly accountId: string;
  readonly region: string;
  readonly target: FenceTarget;
  readonly signal: string;
  readonly eventId: string;
  readonly observedAt: string;
  /** The responder tag keys the call touched. */
  readonly tagKeys: readonly string[];
  readonly actor: string;
  readonly evidence: Readonly<Record<string, string>>;
}

export interface Watched {
  readonly exposures: readonly Exposure[];
  readonly detached: readonly PolicyDetached[];
  readonly notices: readonly TagNotice[];
}

export const NOTHING_WATCHED: Watched = { exposures: [], detached: [], notices: [] };

const DetailSchema = CloudTrailDetailSchema;
type Detail = z.infer<typeof DetailSchema>;

/** IAM's API parameters, as CloudTrail records them (lower camel case). */
const PrincipalParametersSchema = z.looseObject({
  userName: z.optional(z.string()),
  roleName: z.optional(z.string()),
  policyArn: z.optional(z.string()),
  policyName: z.optional(z.string()),
  tags: z.optional(z.array(z.looseObject({ key: z.string(), value: z.optional(z.string()) }))),
  tagKeys: z.optional(z.array(z.string())),
});
type Parameters = z.infer<typeof PrincipalParametersSchema>;

function targetOf(params: Parameters): FenceTarget | undefined {
  if (params.userName) return { type: "user", name: params.userName };
  if (params.roleName) return { type: "role", name: params.roleName };
  return undefined;
}

function actorOf(detail: Detail): string {
  const identity = detail.userIdentity;
  return identity.arn ?? identity.userName ?? identity.type ?? "unknown";
}

/** Whether the call was made by one of the responder's own roles (its session's issuer); AWS's quarantine signal excludes them the same way. */
export function byResponder(detail: Detail, options: WatchOptions): boolean {
  const issuer = detail.userIdentity.sessionContext?.sessionIssuer?.arn;
  if (issuer === undefined) return false;
  if (options.responderRoleArns.includes(issuer)) return true;
  return (options.responderRoleNames ?? []).some((name) => issuer.endsWith(`:role/${name}`));
}

/** The key a responder tag or policy name is about, when it names a valid one. */
function keyAfter(prefix: string, value: string): string | undefined {
  if (!value.toLowerCase().startsWith(prefix.toLowerCase())) return undefined;
  const key = value.slice(prefix.length);
  return isAccessKeyId(key) ? key : undefined;
}

interface Context {
  readonly envelope: Envelope;
  readonly detail: Detail;
  readonly target: FenceTarget;
  readonly evidence: Record<string, string>;
}

function tamperExposure(c: Context, accessKeyId: string, title: string): Exposure {
  return {
    source: "cloudtrail",
    signal: c.detail.eventName,
    signalId: `cloudtrail:${c.detail.eventID}:${accessKeyId}`,
    sourceEventId: c.envelope.id,
    accountId: accountOf(c.envelope, c.detail.recipientAccountId, IAM_SOURCE),
    region: c.detail.awsRegion ?? c.envelope.region,
    accessKeyId,
    principal: c.target.type === "user" ? { type: "user", name: c.target.name } : c.target,
    intent: "recontain-if-open",
    severity: "high",
    sample: false,
    observedAt: isoTimeOf(c.detail.eventTime, c.envelope.time),
    title,
    evidence: c.evidence,
  };
}

function watchDetach(c: Context, params: Parameters, options: WatchOptions): Watched {
  const policyArn = params.policyArn;
  if (policyArn === undefined) return NOTHING_WATCHED;
  const accountId = accountOf(c.envelope, c.detail.recipientAccountId, IAM_SOURCE);
  if (!fencePolicyArnsOf(accountId, policyArn, options).includes(policyArn)) return NOTHING_WATCHED;
  const detached: PolicyDetached = {
    kind: "policy-detached",
    accountId,
    region: c.detail.awsRegion ?? c.envelope.region,
    target: c.target,
    policyArn,
    signal: c.detail.eventName,
    eventId: c.detail.eventID,
    sourceEventId: c.envelope.id,
    observedAt: isoTimeOf(c.detail.eventTime, c.envelope.time),
    evidence: { ...c.evidence, policyArn },
  };
  return { ...NOTHING_WATCHED, detached: [detached] };
}

function watchInlineDelete(c: Context, params: Parameters): Watched {
  const key = params.policyName === undefined ? undefined : keyAfter(REVOKE_POLICY_PREFIX, params.policyName);
  if (key === undefined) return NOTHING_WATCHED;
  const evidence = { ...c.evidence, policyName: params.policyName ?? "" };
  const title = `Session revoke policy deleted from ${c.target.type} ${c.target.name}`;
  return { ...NOTHING_WATCHED, exposures: [tamperExposure({ ...c, evidence }, key, title)] };
}

function watchTags(c: Context, params: Parameters): Watched {
  const removing = c.detail.eventName.startsWith("Untag");
  const keys = removing ? (params.tagKeys ?? []) : (params.tags ?? []).map((t) => t.key);
  const ours = keys.filter((k) => k.toLowerCase().startsWith(`${TAG_PREFIX}:`));
  if (ours.length === 0) return NOTHING_WATCHED;
  const quarantinePrefix = quarantineTagKey("");
  const untaggedKeys = removing
    ? ours.map((k) => keyAfter(quarantinePrefix, k)).filter((k): k is string => k !== undefined)
    : [];
  // Removing the drill mark only stops drills from acting on the user (lkr drill does it when it
  // removes its canary): not worth an alert. Setting it, or touching any other responder tag, is.
  const rest = ours.filter(
    (k) => !(removing && (keyAfter(quarantinePrefix, k) !== undefined || k.toLowerCase() === DRILL_TAG)),
  );
  const title = `Quarantine tag removed from ${c.target.type} ${c.target.name}`;
  const exposures = untaggedKeys.map((key) =>
    tamperExposure({ ...c, evidence: { ...c.evidence, tagKey: quarantineTagKey(key) } }, key, title),
  );
  const notices: TagNotice[] =
    rest.length === 0
      ? []
      : [
          {
            kind: "tag-notice",
            accountId: accountOf(c.envelope, c.detail.recipientAccountId, IAM_SOURCE),
            region: c.detail.awsRegion ?? c.envelope.region,
            target: c.target,
            signal: c.detail.eventName,
            eventId: c.detail.eventID,
            observedAt: isoTimeOf(c.detail.eventTime, c.envelope.time),
            tagKeys: rest,
            actor: actorOf(c.detail),
            evidence: c.evidence,
          },
        ];
  return { exposures, detached: [], notices };
}

/** A CloudTrail IAM event → what the tamper watch makes of it (nothing for any other call). */
export function watchIamEvent(envelope: Envelope, options: WatchOptions): Watched {
  const detail = parseOrThrow(DetailSchema, envelope.detail, IAM_SOURCE);
  if (!WATCHED_EVENT_NAMES.includes(detail.eventName)) return NOTHING_WATCHED;
  if (detail.errorCode !== undefined || byResponder(detail, options)) return NOTHING_WATCHED;
  const params = parseOrThrow(PrincipalParametersSchema, detail.requestParameters ?? {}, IAM_SOURCE);
  const target = targetOf(params);
  if (target === undefined) return NOTHING_WATCHED;
  const evidence: Record<string, string> = { actor: actorOf(detail), eventId: detail.eventID };
  if (detail.sourceIPAddress) evidence.sourceIp = detail.sourceIPAddress;
  const c: Context = { envelope, detail, target, evidence };
  if ((POLICY_DETACH_EVENT_NAMES as readonly string[]).includes(detail.eventName)) {
    return watchDetach(c, params, options);
  }
  if ((INLINE_DELETE_EVENT_NAMES as readonly string[]).includes(detail.eventName)) {
    return watchInlineDelete(c, params);
  }
  return watchTags(c, params);
}

/**
 * A detached fence policy → one exposure per key whose quarantine the principal's tags still mark
 * (the policy is per principal, incidents per key).
 */
export function exposuresOfDetach(
  detached: PolicyDetached,
  tags: Readonly<Record<string, string>>,
): Exposure[] {
  const prefix = quarantineTagKey("");
  const keys = Object.keys(tags)
    .map((k) => keyAfter(prefix, k))
    .filter((k): k is string => k !== undefined)
    .sort();
  return keys.map((accessKeyId) => ({
    source: "cloudtrail",
    signal: detached.signal,
    signalId: `cloudtrail:${detached.eventId}:${accessKeyId}`,
    sourceEventId: detached.sourceEventId,
    accountId: detached.accountId,
    region: detached.region,
    accessKeyId,
    principal:
      detached.target.type === "user" ? { type: "user", name: detached.target.name } : detached.target,
    intent: "recontain-if-open",
    severity: "high",
    sample: false,
    observedAt: detached.observedAt,
    title: `${detached.policyArn} detached from ${detached.target.type} ${detached.target.name}`,
    evidence: detached.evidence,
  }));
}
