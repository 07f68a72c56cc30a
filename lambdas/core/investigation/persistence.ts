import * as z from "zod/mini";
import { AccessKeyIdSchema, AccountIdSchema, isAccessKeyId } from "../access-key.js";
import { IAM_PRINCIPAL_NAME_PATTERN } from "../contract.js";
import type { LookupEventRecord } from "./record.js";

/**
 * Persistence: credentials the attacker made with the leaked key (or a session key minted with
 * it), found in its CloudTrail activity. The investigate function changes nothing in IAM: it puts
 * one `Persistence Found` event per finding on the responder's own bus (only the investigate role
 * may put this detail-type there), and the respond function acts on it with its executor.
 */
export const PERSISTENCE_DETAIL_TYPE = "Persistence Found";

/** The CloudTrail calls that leave the attacker a way back in, and what each finding is. */
export const PERSISTENCE_EVENT_NAMES = [
  "CreateAccessKey",
  "CreateUser",
  "CreateLoginProfile",
  "UpdateLoginProfile",
  "AssumeRole",
  "UpdateAssumeRolePolicy",
] as const;

const NameSchema = z.string().check(z.regex(IAM_PRINCIPAL_NAME_PATTERN));
const IsoTimeSchema = z.iso.datetime({ offset: true });

/** What was found, as data: one user, key or role each. */
export const PersistenceFindingSchema = z.discriminatedUnion("kind", [
  /** CreateAccessKey: the new key (responseElements.accessKey.accessKeyId) and its user. */
  z.object({ kind: z.literal("access-key"), accessKeyId: AccessKeyIdSchema, userName: NameSchema }),
  /** CreateUser: the user made. */
  z.object({ kind: z.literal("user"), userName: NameSchema }),
  /** CreateLoginProfile / UpdateLoginProfile: the user given a console password. */
  z.object({ kind: z.literal("login-profile"), userName: NameSchema }),
  /** AssumeRole (a role of the incident's account): its sessions, the attacker's among them. */
  z.object({ kind: z.literal("role-sessions"), roleName: NameSchema, sessionKeyId: z.optional(z.string()) }),
  /** UpdateAssumeRolePolicy: the trust policy set, and the role's policy when the investigation looked. */
  z.object({
    kind: z.literal("trust-policy"),
    roleName: NameSchema,
    policyDocument: z.string().check(z.maxLength(10_240)),
    /** The role's trust policy now (iam:GetRole); absent when the role is gone or could not be read. */
    currentPolicyDocument: z.optional(z.string().check(z.maxLength(10_240))),
  }),
]);
export type PersistenceFinding = z.infer<typeof PersistenceFindingSchema>;

/** The detail of `Persistence Found`: the contained incident, the call, and what it left behind. */
export const PersistenceDetailSchema = z.object({
  /** The incident of the leaked key whose activity this was found in. */
  incidentId: z.string().check(z.minLength(1), z.maxLength(128)),
  accountId: AccountIdSchema,
  /** The leaked key of that incident. */
  leakedKeyId: AccessKeyIdSchema,
  /** The key that signed the call: the leaked key or a session key minted with it. */
  madeWith: AccessKeyIdSchema,
  /** CloudTrail's eventID of the call: the finding's identity (a repeated finding is a duplicate). */
  eventId: z.string().check(z.minLength(1), z.maxLength(128)),
  eventName: z.enum(PERSISTENCE_EVENT_NAMES),
  eventTime: IsoTimeSchema,
  region: z.string().check(z.minLength(1), z.maxLength(64)),
  finding: PersistenceFindingSchema,
});
export type PersistenceDetail = z.infer<typeof PersistenceDetailSchema>;

/** The fields of a CloudTrail record a finding is read from. */
const RecordSchema = z.looseObject({
  eventID: z.string(),
  eventName: z.string(),
  eventTime: z.string(),
  awsRegion: z.optional(z.string()),
  errorCode: z.optional(z.nullable(z.string())),
  userIdentity: z.looseObject({
    type: z.optional(z.string()),
    userName: z.optional(z.string()),
    accessKeyId: z.optional(z.string()),
  }),
  requestParameters: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  responseElements: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
});
type TrailRecord = z.infer<typeof RecordSchema>;

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function nested(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as { [k: string]: unknown })[key];
  }
  return current;
}

/** With no `userName` parameter IAM acts on the calling user itself (never on a role's session). */
function userOf(record: TrailRecord): string | undefined {
  const named = text(record.requestParameters?.userName);
  if (named !== undefined) return named;
  return record.userIdentity.type === "IAMUser" ? text(record.userIdentity.userName) : undefined;
}

/** `arn:aws:iam::<account>:role/<path/>name` → the role's name, when the role is in `accountId`. */
function roleInAccount(roleArn: string | undefined, accountId: string): string | undefined {
  const match =
    roleArn === undefined ? null : /^arn:[\w-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (match === null || match[1] !== accountId) return undefined;
  return match[2];
}

function findingOf(record: TrailRecord, accountId: string): PersistenceFinding | undefined {
  switch (record.eventName) {
    case "CreateAccessKey": {
      const accessKeyId = text(nested(record.responseElements, "accessKey", "accessKeyId"));
      const userName = userOf(record) ?? text(nested(record.responseElements, "accessKey", "userName"));
      if (accessKeyId === undefined || !isAccessKeyId(accessKeyId) || userName === undefined)
        return undefined;
      return { kind: "access-key", accessKeyId, userName };
    }
    case "CreateUser": {
      const userName = text(record.requestParameters?.userName);
      return userName === undefined ? undefined : { kind: "user", userName };
    }
    case "CreateLoginProfile":
    case "UpdateLoginProfile": {
      const userName = userOf(record);
      return userName === undefined ? undefined : { kind: "login-profile", userName };
    }
    case "AssumeRole": {
      // A role of another account is out of the responder's reach (and a same-named role here is
      // not it): not a finding it can act on.
      const roleName = roleInAccount(text(record.requestParameters?.roleArn), accountId);
      if (roleName === undefined) return undefined;
      const sessionKeyId = text(nested(record.responseElements, "credentials", "accessKeyId"));
      return { kind: "role-sessions", roleName, ...(sessionKeyId ? { sessionKeyId } : {}) };
    }
    case "UpdateAssumeRolePolicy": {
      const roleName = text(record.requestParameters?.roleName);
      const policyDocument = text(record.requestParameters?.policyDocument);
      if (roleName === undefined || policyDocument === undefined) return undefined;
      return { kind: "trust-policy", roleName, policyDocument };
    }
    default:
      return undefined;
  }
}

export interface FindContext {
  readonly incidentId: string;
  readonly accountId: string;
  readonly leakedKeyId: string;
  /** The region searched: a record that names none was recorded there. */
  readonly region: string;
}

/**
 * One LookupEvents record → the persistence it left, or undefined: a call that failed, a call of
 * no interest, a record without the fields that name what was made (nothing is guessed).
 */
export function findPersistence(
  event: LookupEventRecord,
  context: FindContext,
): PersistenceDetail | undefined {
  if (!(PERSISTENCE_EVENT_NAMES as readonly (string | undefined)[]).includes(event.eventName))
    return undefined;
  if (event.cloudTrailEvent === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(event.cloudTrailEvent);
  } catch {
    return undefined;
  }
  const parsed = RecordSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const record = parsed.data;
  if (record.errorCode !== undefined && record.errorCode !== null) return undefined;
  const madeWith = record.userIdentity.accessKeyId ?? event.accessKeyId;
  const eventTime = Date.parse(record.eventTime);
  if (madeWith === undefined || !isAccessKeyId(madeWith) || Number.isNaN(eventTime)) return undefined;
  const finding = findingOf(record, context.accountId);
  if (finding === undefined) return undefined;
  const detail = {
    incidentId: context.incidentId,
    accountId: context.accountId,
    leakedKeyId: context.leakedKeyId,
    madeWith,
    eventId: record.eventID,
    eventName: record.eventName,
    eventTime: new Date(eventTime).toISOString(),
    region: record.awsRegion ?? context.region,
    finding,
  };
  const checked = PersistenceDetailSchema.safeParse(detail);
  return checked.success ? checked.data : undefined;
}

/** Collects the findings of an investigation, each CloudTrail event once. */
export class PersistenceCollector {
  private readonly found = new Map<string, PersistenceDetail>();

  constructor(private readonly context: Omit<FindContext, "region">) {}

  add(event: LookupEventRecord, region: string): void {
    const detail = findPersistence(event, { ...this.context, region });
    if (detail !== undefined && !this.found.has(detail.eventId)) this.found.set(detail.eventId, detail);
  }

  /** Oldest first: the alert thread tells the story in the order it happened. */
  findings(): PersistenceDetail[] {
    return [...this.found.values()].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  }
}

/** A trust policy's statements, each as compact JSON with sorted keys (so formatting is no difference). */
function statementsOf(document: string | undefined): string[] | undefined {
  if (document === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(document);
  } catch {
    return undefined;
  }
  const statements = nested(value, "Statement");
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  return list.map((s) => canonicalJson(s));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as { [k: string]: unknown }).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The diff of a trust policy change, statement by statement, for people: what the call set and is
 * still in the role's trust policy, what it set and is gone since, and what the role trusts now
 * that the call did not set. Without the role's policy now (the role is gone, or it could not be
 * read) every statement set is listed as such.
 */
export function trustPolicyDiff(set: string, now: string | undefined): string[] {
  const setStatements = statementsOf(set) ?? [set];
  const nowStatements = statementsOf(now);
  if (nowStatements === undefined) return setStatements.map((s) => `set (role's policy now unknown): ${s}`);
  const lines: string[] = [];
  for (const s of setStatements) {
    lines.push(`${nowStatements.includes(s) ? "set, still in effect" : "set, since removed"}: ${s}`);
  }
  for (const s of nowStatements)
    if (!setStatements.includes(s)) lines.push(`in effect now, not set by the call: ${s}`);
  return lines;
}
