import * as z from "zod/mini";
import { ACCESS_KEY_ID_PATTERN } from "../access-key.js";
import { riskOf, SESSION_MINTING_CALLS } from "./high-risk.js";

/** One event of a LookupEvents page as the adapter hands it over (SDK shapes stay in the adapter). */
export interface LookupEventRecord {
  readonly eventId?: string | undefined;
  readonly eventName?: string | undefined;
  readonly eventTime?: Date | undefined;
  readonly eventSource?: string | undefined;
  readonly accessKeyId?: string | undefined;
  readonly username?: string | undefined;
  readonly resources?: readonly { readonly type?: string | undefined; readonly name?: string | undefined }[];
  /** The full CloudTrail record, as a JSON string (that is how LookupEvents returns it). */
  readonly cloudTrailEvent?: string | undefined;
}

/** The fields of a CloudTrail record the investigation reads; everything else is ignored. */
const CloudTrailRecordSchema = z.looseObject({
  eventID: z.optional(z.string()),
  eventName: z.optional(z.string()),
  eventTime: z.optional(z.string()),
  eventSource: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  sourceIPAddress: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  errorCode: z.optional(z.nullable(z.string())),
  userIdentity: z.optional(z.looseObject({ accessKeyId: z.optional(z.string()) })),
  requestParameters: z.optional(z.unknown()),
  responseElements: z.optional(z.unknown()),
  resources: z.optional(
    z.array(z.looseObject({ ARN: z.optional(z.string()), type: z.optional(z.string()) })),
  ),
});
type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;

/** A session key minted by an STS call made with the investigated key. */
export interface MintedKey {
  readonly accessKeyId: string;
  /** GetSessionToken, GetFederationToken or AssumeRole. */
  readonly via: string;
  readonly at: string;
  readonly region: string;
  /** The assumed-role or federated-user ARN of the session, when the record names it. */
  readonly sessionArn?: string;
  /** The role assumed (AssumeRole only). */
  readonly roleArn?: string;
}

/** One API call, reduced to what the summary needs. */
export interface ApiCall {
  readonly eventId: string;
  readonly eventName: string;
  readonly eventSource: string;
  readonly eventTime: string;
  readonly region: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly errorCode: string | undefined;
  readonly accessKeyId: string;
  /** What a high-risk call touched (users, keys, policies, instances, secrets...); empty for other calls. */
  readonly resources: readonly string[];
  /** Set for successful GetSessionToken / GetFederationToken / AssumeRole that returned an `ASIA…` key. */
  readonly minted: MintedKey | undefined;
  /** False when `CloudTrailEvent` was missing or not a CloudTrail record: only the outer fields were used. */
  readonly parsed: boolean;
}

const MAX_FIELD = 256;
const MAX_RESOURCES_PER_CALL = 8;

function clip(text: string): string {
  return text.length <= MAX_FIELD ? text : `${text.slice(0, MAX_FIELD - 3)}...`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function readRecord(json: string | undefined): CloudTrailRecord | undefined {
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const result = CloudTrailRecordSchema.safeParse(value);
  return result.success ? result.data : undefined;
}

function isoTime(recordTime: string | undefined, outer: Date | undefined): string {
  const parsed = recordTime === undefined ? Number.NaN : Date.parse(recordTime);
  if (!Number.isNaN(parsed)) return new Date(parsed).toISOString();
  if (outer !== undefined && !Number.isNaN(outer.getTime())) return outer.toISOString();
  return "";
}

/** Request parameters worth naming, with the label they get in the alert. */
const REQUEST_RESOURCE_FIELDS: readonly (readonly [string, string])[] = [
  ["userName", "user"],
  ["roleName", "role"],
  ["groupName", "group"],
  ["policyArn", "policy"],
  ["policyName", "inline policy"],
  ["secretId", "secret"],
  ["functionName", "function"],
  ["trailName", "trail"],
  ["detectorId", "detector"],
  ["bucketName", "bucket"],
];

/** What a high-risk call touched, read from the record and the resources LookupEvents lists. */
function resourcesOf(
  eventName: string,
  record: CloudTrailRecord | undefined,
  outer: LookupEventRecord["resources"],
): string[] {
  const found = new Set<string>();
  const add = (label: string, value: unknown) => {
    const v = text(value);
    if (v !== undefined && found.size < MAX_RESOURCES_PER_CALL) found.add(clip(`${label} ${v}`));
  };
  const request = record?.requestParameters;
  const response = record?.responseElements;
  for (const [key, label] of REQUEST_RESOURCE_FIELDS) add(label, field(request, key));
  if (eventName === "StopLogging" || eventName === "DeleteTrail" || eventName === "PutEventSelectors") {
    add("trail", field(request, "name") ?? field(request, "trailName"));
  }
  if (eventName.startsWith("GetParameter")) {
    add("parameter", field(request, "name"));
    const names = field(request, "names");
    if (Array.isArray(names)) for (const name of names) add("parameter", name);
  }
  if (eventName === "GetObject") {
    const bucket = text(field(request, "bucketName"));
    const key = text(field(request, "key"));
    if (bucket !== undefined && key !== undefined) add("object", `s3://${bucket}/${key}`);
  }
  add("new access key", field(response, "accessKey", "accessKeyId"));
  add("role ARN", field(request, "roleArn"));
  const items = field(response, "instancesSet", "items");
  if (Array.isArray(items)) for (const item of items) add("instance", field(item, "instanceId"));
  const instanceType = text(field(request, "instanceType"));
  if (eventName === "RunInstances" && instanceType !== undefined) add("type", instanceType);
  add("function ARN", field(response, "functionArn"));
  for (const r of record?.resources ?? []) add(r.type ?? "resource", r.ARN);
  for (const r of outer ?? []) add(r.type ?? "resource", r.name);
  return [...found];
}

function mintedKeyOf(
  eventName: string,
  record: CloudTrailRecord | undefined,
  at: string,
  region: string,
): MintedKey | undefined {
  if (!SESSION_MINTING_CALLS.has(eventName) || record === undefined || record.errorCode) return undefined;
  const keyId = text(field(record.responseElements, "credentials", "accessKeyId"));
  // Only session keys: a record naming anything else (AWS's own docs show AKIA... here) is not followed.
  if (keyId === undefined || !keyId.startsWith("ASIA") || !ACCESS_KEY_ID_PATTERN.test(keyId))
    return undefined;
  const sessionArn =
    text(field(record.responseElements, "assumedRoleUser", "arn")) ??
    text(field(record.responseElements, "federatedUser", "arn"));
  const roleArn = text(field(record.requestParameters, "roleArn"));
  return {
    accessKeyId: keyId,
    via: eventName,
    at,
    region,
    ...(sessionArn !== undefined ? { sessionArn } : {}),
    ...(roleArn !== undefined ? { roleArn } : {}),
  };
}

/**
 * One LookupEvents event → ApiCall. Never throws: a record that is missing or not JSON still
 * counts, from the outer fields, and is reported as unparsed.
 */
export function toApiCall(
  event: LookupEventRecord,
  queried: { region: string; accessKeyId: string },
): ApiCall {
  const record = readRecord(event.cloudTrailEvent);
  const eventName = record?.eventName ?? event.eventName ?? "(unknown)";
  const eventTime = isoTime(record?.eventTime, event.eventTime);
  const region = record?.awsRegion ?? queried.region;
  const errorCode = record?.errorCode ?? undefined;
  return {
    eventId: record?.eventID ?? event.eventId ?? "",
    eventName,
    eventSource: record?.eventSource ?? event.eventSource ?? "",
    eventTime,
    region,
    sourceIp: clip(record?.sourceIPAddress ?? "(unknown)"),
    userAgent: clip(record?.userAgent ?? "(unknown)"),
    errorCode: errorCode === "" ? undefined : errorCode,
    accessKeyId: record?.userIdentity?.accessKeyId ?? event.accessKeyId ?? queried.accessKeyId,
    resources: riskOf(eventName) !== undefined ? resourcesOf(eventName, record, event.resources) : [],
    minted: mintedKeyOf(eventName, record, eventTime, region),
    parsed: record !== undefined,
  };
}
