import { describe, expect, it } from "vitest";
import { toLookupEventRecord } from "../../../lambdas/adapters/cloudtrail.js";
import { toApiCall } from "../../../lambdas/core/investigation/record.js";
import { ActivityAggregator, activityFingerprint } from "../../../lambdas/core/investigation/summary.js";
import { TopCounter } from "../../../lambdas/core/investigation/top-counter.js";
import { type CloudTrailRecord, loadRecord, place, toLookupEvent } from "./support.js";

const KEY = "AKIAOZUDECYXYM4ONAN4";
const WINDOW = {
  start: "2024-07-29T14:00:00.000Z",
  end: "2024-08-01T14:05:00.000Z",
  basis: "lookback-before-detection",
};

function aggregate(records: readonly { record: CloudTrailRecord; region: string }[]) {
  const aggregator = new ActivityAggregator(KEY);
  for (const { record, region } of records) {
    aggregator.add(toApiCall(toLookupEventRecord(toLookupEvent(record)), { region, accessKeyId: KEY }));
  }
  return aggregator;
}

/** The Stratus "create admin user" detonation plus secrets theft and a failed UpdateTrail, all signed with KEY. */
function attack() {
  const at = (record: string, eventTime: string, awsRegion: string, eventID?: string) => ({
    record: place(loadRecord(record), {
      eventTime,
      awsRegion,
      accessKeyId: KEY,
      ...(eventID ? { eventID } : {}),
    }),
    region: awsRegion,
  });
  return [
    at("stratus-create-user", "2024-08-01T13:33:28Z", "us-east-1"),
    at("stratus-attach-user-policy", "2024-08-01T13:33:29Z", "us-east-1"),
    at("stratus-create-access-key", "2024-08-01T13:33:30Z", "us-east-1"),
    at("stratus-list-secrets", "2024-08-01T13:40:00Z", "eu-west-1"),
    at("stratus-get-secret-value", "2024-08-01T13:40:01Z", "eu-west-1"),
    at("stratus-get-secret-value", "2024-08-01T13:40:02Z", "eu-west-1", "second-read"),
    at("cloudtrail-guide-update-trail-error", "2024-08-01T13:20:00Z", "eu-west-1"),
  ];
}

describe("ActivityAggregator", () => {
  it("summarises calls: counts, first and last use, flagged calls with the resources they touched", () => {
    const summary = aggregate(attack()).summary({
      window: WINDOW,
      regions: ["us-east-1", "eu-west-1"],
      followed: new Set(),
      topN: 10,
    });
    expect(summary).toMatchObject({
      accessKeyId: KEY,
      totalCalls: 7,
      succeeded: 6,
      failed: 1,
      unparsedRecords: 0,
      firstCall: {
        at: "2024-08-01T13:20:00.000Z",
        eventName: "UpdateTrail",
        region: "eu-west-1",
        sourceIp: "205.251.233.182",
      },
      lastCall: { at: "2024-08-01T13:40:02.000Z", eventId: "second-read", eventName: "GetSecretValue" },
      sessionKeys: [],
      complete: true,
    });
    expect(summary.byEventName).toEqual({
      top: [
        { value: "GetSecretValue", count: 2 },
        { value: "AttachUserPolicy", count: 1 },
        { value: "CreateAccessKey", count: 1 },
        { value: "CreateUser", count: 1 },
        { value: "ListSecrets", count: 1 },
        { value: "UpdateTrail", count: 1 },
      ],
      distinct: 6,
      others: 0,
      approximate: false,
    });
    expect(summary.byRegion.top).toEqual([
      { value: "eu-west-1", count: 4 },
      { value: "us-east-1", count: 3 },
    ]);
    expect(summary.bySourceIp.top).toEqual([
      { value: "075.050.255.67", count: 3 },
      { value: "253.201.144.253", count: 3 },
      { value: "205.251.233.182", count: 1 },
    ]);
    expect(summary.byErrorCode.top).toEqual([{ value: "TrailNotFoundException", count: 1 }]);
    expect(summary.flagged).toEqual([
      {
        eventName: "AttachUserPolicy",
        category: "identity",
        count: 1,
        errors: 0,
        firstAt: "2024-08-01T13:33:29.000Z",
        lastAt: "2024-08-01T13:33:29.000Z",
        regions: [{ value: "us-east-1", count: 1 }],
        resources: ["user malicious-iam-user", "policy arn:aws:iam::aws:policy/AdministratorAccess"],
        moreResources: 0,
      },
      {
        eventName: "CreateAccessKey",
        category: "identity",
        count: 1,
        errors: 0,
        firstAt: "2024-08-01T13:33:30.000Z",
        lastAt: "2024-08-01T13:33:30.000Z",
        regions: [{ value: "us-east-1", count: 1 }],
        resources: ["user malicious-iam-user", "new access key AKIAXAFZN8JEPF6L682H"],
        moreResources: 0,
      },
      {
        eventName: "CreateUser",
        category: "identity",
        count: 1,
        errors: 0,
        firstAt: "2024-08-01T13:33:28.000Z",
        lastAt: "2024-08-01T13:33:28.000Z",
        regions: [{ value: "us-east-1", count: 1 }],
        resources: ["user malicious-iam-user"],
        moreResources: 0,
      },
      {
        eventName: "GetSecretValue",
        category: "data",
        count: 2,
        errors: 0,
        firstAt: "2024-08-01T13:40:01.000Z",
        lastAt: "2024-08-01T13:40:02.000Z",
        regions: [{ value: "eu-west-1", count: 2 }],
        resources: [
          "secret arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-18-4Rzn83",
        ],
        moreResources: 0,
      },
    ]);
  });

  it("gives the same first/last calls whatever the page order", () => {
    const forward = aggregate(attack()).summary({
      window: WINDOW,
      regions: [],
      followed: new Set(),
      topN: 5,
    });
    const backward = aggregate([...attack()].reverse()).summary({
      window: WINDOW,
      regions: [],
      followed: new Set(),
      topN: 5,
    });
    expect([backward.firstCall, backward.lastCall]).toEqual([forward.firstCall, forward.lastCall]);
    expect(activityFingerprint(backward)).toBe(activityFingerprint(forward));
  });
});

describe("activityFingerprint", () => {
  const summaryOf = (records: ReturnType<typeof attack>, failed = false) => {
    const aggregator = aggregate(records);
    aggregator.recordSearch({
      region: "us-east-1",
      accessKeyId: KEY,
      pages: 1,
      events: records.length,
      status: "complete",
    });
    if (failed) {
      aggregator.recordSearch({
        region: "eu-west-1",
        accessKeyId: KEY,
        pages: 0,
        events: 0,
        status: "failed",
        error: "TransientAwsError: cloudtrail:LookupEvents failed transiently",
        retryable: true,
      });
    }
    return aggregator.summary({ window: WINDOW, regions: ["us-east-1"], followed: new Set(), topN: 10 });
  };

  it("is count, newest call and completeness", () => {
    expect(activityFingerprint(summaryOf(attack()))).toBe("7|2024-08-01T13:40:02.000Z|second-read|complete");
    expect(activityFingerprint(summaryOf([]))).toBe("0|-|-|complete");
    expect(activityFingerprint(summaryOf(attack(), true))).toBe(
      "7|2024-08-01T13:40:02.000Z|second-read|incomplete:eu-west-1/AKIAOZUDECYXYM4ONAN4",
    );
  });

  it("changes with one more call", () => {
    const more = [
      ...attack(),
      {
        record: place(loadRecord("stratus-stop-logging"), {
          eventTime: "2024-08-01T13:50:00Z",
          awsRegion: "us-east-1",
          accessKeyId: KEY,
        }),
        region: "us-east-1",
      },
    ];
    expect(activityFingerprint(summaryOf(more))).toBe(
      "8|2024-08-01T13:50:00.000Z|10163ed2-2253-469d-a5ee-cbc6651f8934|complete",
    );
  });
});

describe("TopCounter", () => {
  it("is exact under its capacity", () => {
    const counter = new TopCounter(100);
    for (const [value, n] of [
      ["a", 3],
      ["b", 5],
      ["c", 1],
    ] as const)
      for (let i = 0; i < n; i++) counter.add(value);
    expect(counter.top(2)).toEqual({
      top: [
        { value: "b", count: 5 },
        { value: "a", count: 3 },
      ],
      distinct: 3,
      others: 1,
      approximate: false,
    });
  });

  it("keeps memory bounded with 100,000 distinct values and still counts the frequent one exactly", () => {
    const counter = new TopCounter(1000);
    for (let i = 0; i < 100_000; i++) {
      counter.add(`198.51.${Math.floor(i / 256) % 256}.${i % 256}-${i}`);
      if (i % 10 === 0) counter.add("203.0.113.7");
    }
    expect(counter.tracked).toBeLessThanOrEqual(1000);
    const { top, others, approximate } = counter.top(1);
    expect(top).toEqual([{ value: "203.0.113.7", count: 10_000 }]);
    expect(others).toBe(100_000);
    expect(approximate).toBe(true);
  });
});
