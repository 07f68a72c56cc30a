import { readFileSync } from "node:fs";
import {
  type CloudTrailClient,
  type Event,
  type LookupEventsCommandInput,
  type LookupEventsCommandOutput,
  ThrottlingException,
} from "@aws-sdk/client-cloudtrail";
import type { Incident } from "../../../lambdas/core/incident.js";
import type { ContainedDetail } from "../../../lambdas/core/investigation/contained-event.js";

const FIXTURES = new URL("../../fixtures/cloudtrail-records/", import.meta.url);

/** A CloudTrail record as published (see test/fixtures/cloudtrail-records/README.md). */
export type CloudTrailRecord = Record<string, unknown>;

export function loadRecord(name: string): CloudTrailRecord {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as CloudTrailRecord;
}

/** The only fields a test may change on a copy of a published record. */
export interface Placement {
  readonly eventTime?: string;
  readonly awsRegion?: string;
  readonly accessKeyId?: string;
  readonly eventID?: string;
  /** Only for the burst test: attackers spread calls over many addresses. */
  readonly sourceIPAddress?: string;
}

export function place(record: CloudTrailRecord, placement: Placement): CloudTrailRecord {
  const copy = structuredClone(record);
  if (placement.eventTime !== undefined) copy.eventTime = placement.eventTime;
  if (placement.awsRegion !== undefined) copy.awsRegion = placement.awsRegion;
  if (placement.eventID !== undefined) copy.eventID = placement.eventID;
  if (placement.sourceIPAddress !== undefined) copy.sourceIPAddress = placement.sourceIPAddress;
  if (placement.accessKeyId !== undefined) {
    const identity = (copy.userIdentity ?? {}) as Record<string, unknown>;
    copy.userIdentity = { ...identity, accessKeyId: placement.accessKeyId };
  }
  return copy;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A record as one LookupEvents `Event`: the record itself travels as a JSON string, as AWS sends it. */
export function toLookupEvent(record: CloudTrailRecord, outerEventId?: string): Event {
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  const resources = Array.isArray(record.resources) ? (record.resources as Record<string, unknown>[]) : [];
  const time = str(record.eventTime);
  return {
    EventId: outerEventId ?? str(record.eventID),
    EventName: str(record.eventName),
    EventTime: time === undefined ? undefined : new Date(time),
    EventSource: str(record.eventSource),
    AccessKeyId: str(identity.accessKeyId),
    Username: str(identity.userName),
    ReadOnly: record.readOnly === undefined ? undefined : String(record.readOnly),
    Resources: resources.map((r) => ({ ResourceType: str(r.type), ResourceName: str(r.ARN) })),
    CloudTrailEvent: JSON.stringify(record),
  };
}

interface Stream {
  readonly count: number;
  /** Event `i`, newest first (index 0 is the newest), as LookupEvents orders them. */
  readonly at: (i: number) => Event;
}

/**
 * CloudTrail event history behind aws-sdk-client-mock: answers LookupEvents per region (read from
 * the calling client) and access key, filters by time, pages by MaxResults with an opaque NextToken,
 * and can throttle. Large streams are generated page by page, never held whole.
 */
export class FakeEventHistory {
  private readonly streams = new Map<string, Stream[]>();
  readonly requests: { region: string; input: LookupEventsCommandInput }[] = [];
  /** Per region: ThrottlingExceptions still to throw before answering. */
  readonly throttle = new Map<string, number>();
  /** Per region: an error to throw on every request. */
  readonly fail = new Map<string, Error>();

  private streamsOf(region: string, accessKeyId: string): Stream[] {
    const id = `${region}|${accessKeyId}`;
    let list = this.streams.get(id);
    if (list === undefined) {
      list = [];
      this.streams.set(id, list);
    }
    return list;
  }

  /** Records signed with `accessKeyId`, recorded in `region` (any order; served newest first). */
  add(region: string, accessKeyId: string, records: readonly CloudTrailRecord[]): this {
    const events = records
      .map((r) => toLookupEvent(r))
      .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0));
    this.streamsOf(region, accessKeyId).push({ count: events.length, at: (i) => events[i] as Event });
    return this;
  }

  /** `count` generated events, `make(0)` the newest. */
  addGenerated(region: string, accessKeyId: string, count: number, make: (i: number) => Event): this {
    this.streamsOf(region, accessKeyId).push({ count, at: make });
    return this;
  }

  readonly handle = async (
    input: LookupEventsCommandInput,
    getClient: () => CloudTrailClient,
  ): Promise<LookupEventsCommandOutput> => {
    const region = await getClient().config.region();
    this.requests.push({ region, input });
    const failure = this.fail.get(region);
    if (failure !== undefined) throw failure;
    const throttles = this.throttle.get(region) ?? 0;
    if (throttles > 0) {
      this.throttle.set(region, throttles - 1);
      throw new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
    }
    const attribute = input.LookupAttributes?.[0];
    if (input.LookupAttributes?.length !== 1 || attribute?.AttributeKey !== "AccessKeyId") {
      throw new Error(`unexpected LookupAttributes ${JSON.stringify(input.LookupAttributes)}`);
    }
    const streams = this.streamsOf(region, attribute.AttributeValue ?? "");
    const start = input.StartTime?.getTime() ?? 0;
    const end = input.EndTime?.getTime() ?? Number.MAX_SAFE_INTEGER;
    const pageSize = input.MaxResults ?? 50;
    // Position: stream index and offset within it, carried in the token.
    let [streamIndex, offset] = input.NextToken
      ? (JSON.parse(Buffer.from(input.NextToken, "base64").toString()) as [number, number])
      : [0, 0];
    const events: Event[] = [];
    while (events.length < pageSize && streamIndex < streams.length) {
      const stream = streams[streamIndex] as Stream;
      if (offset >= stream.count) {
        streamIndex += 1;
        offset = 0;
        continue;
      }
      const event = stream.at(offset);
      offset += 1;
      const t = event.EventTime?.getTime() ?? 0;
      if (t >= start && t <= end) events.push(event);
    }
    while (streamIndex < streams.length && offset >= (streams[streamIndex] as Stream).count) {
      streamIndex += 1;
      offset = 0;
    }
    const more = streamIndex < streams.length;
    return {
      Events: events,
      NextToken: more ? Buffer.from(JSON.stringify([streamIndex, offset])).toString("base64") : undefined,
      $metadata: {},
    };
  };
}

export const ACCOUNT_ID = "123456789012";

/** The detail of a ContainedEvent as the respond function emits it (ports.ts): christophe's key, contained. */
export function containedDetail(
  accessKeyId: string,
  overrides: Partial<ContainedDetail> = {},
): ContainedDetail {
  return {
    incidentId: `${ACCOUNT_ID}-${accessKeyId}`,
    accountId: ACCOUNT_ID,
    region: "us-east-1",
    accessKeyId,
    principal: { type: "user", name: "christophe" },
    signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
    severity: "high",
    containedAt: "2024-08-01T14:00:00.000Z",
    ...overrides,
  };
}

/** A ContainedEvent as the respond function emits it (ports.ts), in its EventBridge envelope. */
export function containedEvent(
  accessKeyId: string,
  overrides: Partial<ContainedDetail> = {},
  envelope: Record<string, unknown> = {},
): Record<string, unknown> {
  const detail = containedDetail(accessKeyId, overrides);
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Incident Contained",
    source: "leaked-key-responder",
    account: ACCOUNT_ID,
    time: "2024-08-01T14:00:01Z",
    region: "us-east-1",
    resources: [],
    detail,
    ...envelope,
  };
}

/** A sleep that does not wait but advances a fake clock, and remembers what it was asked. */
export function fakeTime(startMs = Date.parse("2024-08-01T14:05:00Z")) {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    elapsed: () => now - startMs,
  };
}

/** The DynamoDB store's semantics, in memory: for core tests that exercise idempotency. */
export class MemoryInvestigationStore {
  readonly items = new Map<
    string,
    {
      fingerprint?: string | undefined;
      lastEventAt?: string | undefined;
      summary?: unknown;
      investigatedContainment?: string | undefined;
    }
  >();
  /** The stored incidents getIncident answers with (tests of the containment gate put them here). */
  readonly incidents = new Map<string, Incident>();
  readonly calls: string[] = [];

  constructor(incidentIds: readonly string[]) {
    for (const id of incidentIds) this.items.set(id, {});
  }

  async getState(incidentId: string) {
    this.calls.push(`getState ${incidentId}`);
    const item = this.items.get(incidentId);
    return item === undefined ? undefined : { fingerprint: item.fingerprint, lastEventAt: item.lastEventAt };
  }

  async getIncident(incidentId: string) {
    this.calls.push(`getIncident ${incidentId}`);
    const item = this.items.get(incidentId);
    const incident = this.incidents.get(incidentId);
    if (item === undefined || incident === undefined) return undefined;
    return {
      incident,
      state: {
        fingerprint: item.fingerprint,
        lastEventAt: item.lastEventAt,
        investigatedContainment: item.investigatedContainment,
      },
    };
  }

  async markInvestigated(incidentId: string, containmentId: string) {
    this.calls.push(`markInvestigated ${containmentId}`);
    const item = this.items.get(incidentId);
    if (item === undefined) throw new Error("no incident");
    item.investigatedContainment = containmentId;
  }

  async record(write: {
    incidentId: string;
    summary: unknown;
    fingerprint: string;
    lastEventAt: string;
  }): Promise<"recorded" | "unchanged" | "stale"> {
    this.calls.push(`record ${write.fingerprint}`);
    const item = this.items.get(write.incidentId);
    if (item === undefined) throw new Error("no incident");
    if (item.fingerprint === write.fingerprint) return "unchanged";
    if (item.lastEventAt !== undefined && item.lastEventAt > write.lastEventAt) return "stale";
    this.items.set(write.incidentId, {
      ...item,
      fingerprint: write.fingerprint,
      lastEventAt: write.lastEventAt,
      summary: write.summary,
    });
    return "recorded";
  }

  async release(
    incidentId: string,
    fingerprint: string,
    previous: { fingerprint: string | undefined; lastEventAt: string | undefined },
  ) {
    this.calls.push(`release ${fingerprint}`);
    const item = this.items.get(incidentId);
    if (item?.fingerprint !== fingerprint) return;
    this.items.set(incidentId, {
      ...item,
      fingerprint: previous.fingerprint,
      lastEventAt: previous.lastEventAt,
    });
  }
}

export const silentLog = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * An incident as the respond function stores it after containing `accessKeyId` with one
 * GuardDuty finding received at `containedAt` (the facts the investigation reads).
 */
export function storedIncident(
  accessKeyId: string,
  containedAt: string,
  overrides: Partial<Incident> = {},
): Incident {
  const incidentId = `${ACCOUNT_ID}-${accessKeyId}`;
  return {
    incidentId,
    accountId: ACCOUNT_ID,
    accessKeyId,
    status: "contained",
    severity: "high",
    principal: { type: "user", name: "christophe" },
    createdAt: containedAt,
    updatedAt: containedAt,
    mode: "enforce",
    sample: false,
    signalIds: ["guardduty:finding-1"],
    alertedSignalIds: ["guardduty:finding-1"],
    signals: [
      {
        signalId: "guardduty:finding-1",
        source: "guardduty",
        signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        severity: "high",
        title: "API was invoked from a known malicious IP address.",
        observedAt: containedAt,
        receivedAt: containedAt,
        sourceEventId: "event-1",
        region: "us-east-1",
        evidence: {},
        decision: "contain",
        reasons: [],
      },
    ],
    actions: [],
    ...overrides,
  };
}
