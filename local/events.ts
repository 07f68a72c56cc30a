/**
 * Real published events (the fixtures of test/fixtures/events: GuardDuty findings, Health RISK
 * events, Trusted Advisor items, CloudTrail key events) pointed at keys and users that exist in
 * moto, for `npm start`, the benchmarks and the tests. The fixtures are read from the repository,
 * where all of these run: the drill sends exactly what the core specs are written against.
 */
import { readFileSync } from "node:fs";

type Json = Record<string, unknown>;

const FIXTURES = new URL("../test/fixtures/events/", import.meta.url);

/** A published event of test/fixtures/events, e.g. `aws.guardduty/iamuser-toripcaller.json`, parsed. */
export function readFixture(path: string): Json {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function at(obj: Json, path: readonly string[]): Json {
  let node: Json = obj;
  for (const key of path) node = node[key] as Json;
  return node;
}

/** A published GuardDuty finding, pointed at a key and principal that exist in the emulator. */
export function guardDutyEvent(fixture: string, values: { key: string; user: string; id?: string }): Json {
  const event = clone(readFixture(`aws.guardduty/${fixture}`));
  const details = at(event, ["detail", "resource", "accessKeyDetails"]);
  details.accessKeyId = values.key;
  details.userName = values.user;
  if (values.id) at(event, ["detail"]).id = values.id;
  return event;
}

/**
 * A published Health RISK event naming these keys (one affected entity each). The event's
 * metadata names the first key and, when given, its user — as newer RISK events do.
 */
export function healthEvent(fixture: string, keys: readonly string[], firstKeyUser?: string): Json {
  const event = clone(readFixture(`aws.health/${fixture}`));
  const detail = at(event, ["detail"]);
  const template = ((detail.affectedEntities as Json[] | undefined) ?? [{}])[0] ?? {};
  detail.affectedEntities = keys.map((entityValue) => ({ ...template, entityValue }));
  if ("resources" in event) event.resources = [...keys];
  const metadata = detail.eventMetadata as Json | undefined;
  if (metadata) {
    metadata.publicKey = keys[0];
    if (firstKeyUser === undefined) delete metadata.userName;
    else metadata.userName = firstKeyUser;
  }
  return event;
}

/** A published Trusted Advisor Exposed Access Keys item for this key and user. */
export function trustedAdvisorEvent(fixture: string, values: { key: string; user: string }): Json {
  const event = clone(readFixture(`aws.trustedadvisor/${fixture}`));
  const item = at(event, ["detail", "check-item-detail"]);
  item["Access Key ID"] = values.key;
  item["User Name (IAM or Root)"] = values.user;
  return event;
}

/** A published CloudTrail key event (via EventBridge) for this key and user. */
export function cloudTrailEvent(
  fixture: string,
  values: { key: string; user: string; eventId?: string },
): Json {
  const event = clone(readFixture(`aws.iam/${fixture}`));
  const detail = at(event, ["detail"]);
  if (values.eventId) detail.eventID = values.eventId;
  const request = (detail.requestParameters ?? {}) as Json;
  if ("accessKeyId" in request) request.accessKeyId = values.key;
  if ("userName" in request) request.userName = values.user;
  const response = detail.responseElements as Json | null | undefined;
  const created = response?.accessKey as Json | undefined;
  if (created) {
    created.accessKeyId = values.key;
    if ("userName" in created) created.userName = values.user;
  }
  return event;
}

/**
 * A published record of AWS's own quarantine call (CloudTrail via EventBridge) aimed at this user:
 * the request names the user; a record made under the user's own identity names `key` (the key AWS
 * found exposed). A record made under another identity keeps it: it names no key of the user.
 */
export function awsQuarantineEvent(
  fixture: string,
  values: { user: string; key?: string; eventId?: string },
): Json {
  const event = clone(readFixture(`aws.iam/${fixture}`));
  const detail = at(event, ["detail"]);
  if (values.eventId) detail.eventID = values.eventId;
  at(event, ["detail", "requestParameters"]).userName = values.user;
  const identity = at(event, ["detail", "userIdentity"]);
  if (identity.type === "IAMUser") {
    identity.userName = values.user;
    identity.arn = `arn:aws:iam::${String(identity.accountId)}:user/${values.user}`;
    if (values.key !== undefined) identity.accessKeyId = values.key;
  }
  return event;
}

/** A `Leaked Key Drill` event, as `lkr drill` puts it on the bus, for this key and user. */
export function drillEvent(values: { key: string; user: string; drillId: string; account?: string }): Json {
  return {
    version: "0",
    id: `drill-${values.drillId}`,
    "detail-type": "Leaked Key Drill",
    source: "leaked-key-responder.drill",
    account: values.account ?? "123456789012",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [],
    detail: { accessKeyId: values.key, userName: values.user, drillId: values.drillId },
  };
}

/**
 * A published-shape CloudTrail IAM call on what the responder put in place (the tamper watch's
 * fixtures), aimed at this principal and key: the user or role name, the quarantine tag, the
 * revoke policy's name or the policy ARN are set where the fixture has them.
 */
export function tamperEvent(
  fixture: string,
  values: { key: string; user?: string; role?: string; policyArn?: string; eventId?: string },
): Json {
  const event = clone(readFixture(`aws.iam/${fixture}`));
  const detail = at(event, ["detail"]);
  if (values.eventId) detail.eventID = values.eventId;
  const request = at(event, ["detail", "requestParameters"]);
  if (values.user !== undefined && "userName" in request) request.userName = values.user;
  if (values.role !== undefined && "roleName" in request) request.roleName = values.role;
  if ("policyName" in request) request.policyName = `leaked-key-responder-revoke-${values.key}`;
  if (values.policyArn !== undefined && "policyArn" in request) request.policyArn = values.policyArn;
  if (Array.isArray(request.tagKeys)) request.tagKeys = [`leaked-key-responder:quarantine:${values.key}`];
  return event;
}

/** A CloudTrail record of test/fixtures/cloudtrail-records, by file name, parsed. */
export function readCloudTrailRecord(file: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../test/fixtures/cloudtrail-records/${file}`, import.meta.url), "utf8"),
  );
}

/**
 * A CloudTrail record as EventBridge delivers it ("AWS API Call via CloudTrail", source
 * `aws.<service>`), for read-only and failed calls alike; `identity` points the call at a user and
 * key that exist in the emulator: `userIdentity.arn`, `userName` and `accessKeyId` are replaced
 * (and `sourceIPAddress` / `eventID` when given), nothing else.
 */
export function cloudTrailApiCallEvent(
  record: Json,
  identity?: { arn: string; userName: string; key: string; sourceIp?: string; eventId?: string },
): Json {
  const detail = clone(record);
  if (identity) {
    const who = detail.userIdentity as Json;
    who.arn = identity.arn;
    who.userName = identity.userName;
    who.accessKeyId = identity.key;
    if (identity.sourceIp !== undefined) detail.sourceIPAddress = identity.sourceIp;
    if (identity.eventId !== undefined) detail.eventID = identity.eventId;
  }
  const service = String(detail.eventSource).split(".")[0];
  return {
    version: "0",
    id: `ct-${String(detail.eventID)}`,
    "detail-type": "AWS API Call via CloudTrail",
    source: `aws.${service}`,
    account: String(detail.recipientAccountId ?? "123456789012"),
    time: String(detail.eventTime),
    region: String(detail.awsRegion),
    resources: [],
    detail,
  };
}
