import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../../../lambdas/adapters/cloudtrail.js";
import { AwsCallError, TransientAwsError } from "../../../lambdas/core/errors.js";
import type { LookupEventRecord } from "../../../lambdas/core/investigation/record.js";
import { FakeEventHistory, fakeTime, loadRecord, place } from "./support.js";

const KEY = "AKIAR7ISFR69YWROPYAN";
const START = "2024-07-29T14:00:00.000Z";
const END = "2024-08-01T14:05:00.000Z";
const ct = mockClient(CloudTrailClient);

/** `n` GetSecretValue records, one a minute, signed with KEY. */
function secretReads(n: number, region: string) {
  const record = loadRecord("stratus-get-secret-value");
  return Array.from({ length: n }, (_, i) =>
    place(record, {
      eventTime: new Date(Date.parse("2024-08-01T10:00:00Z") + i * 60_000).toISOString(),
      awsRegion: region,
      accessKeyId: KEY,
      eventID: `read-${region}-${i}`,
    }),
  );
}

async function collect(pages: AsyncIterable<readonly LookupEventRecord[]>) {
  const sizes: number[] = [];
  const ids: string[] = [];
  for await (const page of pages) {
    sizes.push(page.length);
    ids.push(...page.map((e) => e.eventId ?? ""));
  }
  return { sizes, ids };
}

describe("CloudTrailActivitySource", () => {
  let history: FakeEventHistory;
  let time: ReturnType<typeof fakeTime>;
  let source: CloudTrailActivitySource;
  beforeEach(() => {
    ct.reset();
    history = new FakeEventHistory();
    ct.on(LookupEventsCommand).callsFake(history.handle);
    time = fakeTime();
    source = new CloudTrailActivitySource({
      clientFor: cloudTrailClientFactory(),
      sleep: time.sleep,
      now: time.now,
      random: () => 0.5,
    });
  });
  afterEach(() => ct.reset());

  it("follows NextToken to the last page, sending exactly the key, window and page size", async () => {
    history.add("us-east-1", KEY, secretReads(120, "us-east-1"));
    const { sizes, ids } = await collect(source.pages("us-east-1", KEY, START, END));
    expect(sizes).toEqual([50, 50, 20]);
    expect(new Set(ids).size).toBe(120);
    expect(ids[0]).toBe("read-us-east-1-119"); // newest first, as CloudTrail answers
    const inputs = ct.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(3);
    expect(inputs[0]).toEqual({
      LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: KEY }],
      StartTime: new Date(START),
      EndTime: new Date(END),
      MaxResults: 50,
      NextToken: undefined,
    });
    expect(inputs[1]?.NextToken).toEqual(expect.any(String));
    expect(inputs[2]?.NextToken).toEqual(expect.any(String));
    expect(inputs[2]?.NextToken).not.toBe(inputs[1]?.NextToken);
  });

  it("paces requests to at most 2 per second in a region", async () => {
    history.add("us-east-1", KEY, secretReads(200, "us-east-1"));
    await collect(source.pages("us-east-1", KEY, START, END));
    expect(ct.commandCalls(LookupEventsCommand)).toHaveLength(4);
    // The first request goes at once; each later one waits for its 500 ms slot.
    expect(time.sleeps).toEqual([500, 500, 500]);
    expect(time.elapsed()).toBe(1500);
  });

  it("paces each region on its own", async () => {
    history.add("us-east-1", KEY, secretReads(60, "us-east-1"));
    history.add("eu-west-1", KEY, secretReads(60, "eu-west-1"));
    await Promise.all([
      collect(source.pages("us-east-1", KEY, START, END)),
      collect(source.pages("eu-west-1", KEY, START, END)),
    ]);
    expect(history.requests.map((r) => r.region).sort()).toEqual([
      "eu-west-1",
      "eu-west-1",
      "us-east-1",
      "us-east-1",
    ]);
    // Two requests per region in 500 ms: a shared pacer would have needed 1,500 ms.
    expect(time.elapsed()).toBe(500);
  });

  it("backs off on ThrottlingException and then returns every page", async () => {
    history.add("us-east-1", KEY, secretReads(70, "us-east-1"));
    history.throttle.set("us-east-1", 3);
    const { sizes } = await collect(source.pages("us-east-1", KEY, START, END));
    expect(sizes).toEqual([50, 20]);
    expect(ct.commandCalls(LookupEventsCommand)).toHaveLength(5);
    // Exponential backoff (1 s, 2 s, 4 s with random 0.5 → 75 % of each), then the pacing slot.
    expect(time.sleeps).toEqual([750, 1500, 3000, 500]);
  });

  it("gives up after the bounded attempts with a TransientAwsError", async () => {
    history.add("us-east-1", KEY, secretReads(5, "us-east-1"));
    history.throttle.set("us-east-1", 100);
    const limited = new CloudTrailActivitySource({
      clientFor: cloudTrailClientFactory(),
      sleep: time.sleep,
      now: time.now,
      maxAttempts: 4,
      random: () => 0,
    });
    await expect(collect(limited.pages("us-east-1", KEY, START, END))).rejects.toThrow(TransientAwsError);
    expect(ct.commandCalls(LookupEventsCommand)).toHaveLength(4);
    expect(time.sleeps).toEqual([500, 1000, 2000]);
  });

  it("does not retry what a retry cannot fix", async () => {
    const denied = Object.assign(new Error("not authorized to perform cloudtrail:LookupEvents"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 400 },
    });
    history.fail.set("us-east-1", denied);
    await expect(collect(source.pages("us-east-1", KEY, START, END))).rejects.toThrow(AwsCallError);
    expect(ct.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it("answers an empty history with one empty page", async () => {
    const { sizes } = await collect(source.pages("eu-west-1", KEY, START, END));
    expect(sizes).toEqual([0]);
  });

  it("builds one client per region, with the region and no endpoint of its own", async () => {
    const clientFor = cloudTrailClientFactory();
    const a = clientFor("us-east-1");
    expect(clientFor("us-east-1")).toBe(a);
    const b = clientFor("eu-west-1");
    expect(b).not.toBe(a);
    expect(await b.config.region()).toBe("eu-west-1");
  });
});
