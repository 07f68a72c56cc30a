import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../../../lambdas/adapters/cloudtrail.js";
import { snsMessageOf } from "../../../lambdas/adapters/sns-alerts.js";
import type { ContainedDetail } from "../../../lambdas/core/investigation/contained-event.js";
import { investigateIncident } from "../../../lambdas/core/investigation/investigate.js";
import type { RenderedAlert } from "../../../lambdas/core/ports.js";
import {
  ACCOUNT_ID,
  containedDetail,
  FakeEventHistory,
  fakeTime,
  loadRecord,
  MemoryInvestigationStore,
  place,
  silentLog,
  toLookupEvent,
} from "./support.js";

const KEY = "AKIAR7ISFR69YWROPYAN";
const INCIDENT = `${ACCOUNT_ID}-${KEY}`;
const NOW = new Date("2024-08-01T14:05:00.000Z");
const NEWEST = Date.parse("2024-08-01T13:59:00Z");
const PER_REGION = 2500;
const MINING_REGIONS = ["eu-west-1", "ap-southeast-1", "sa-east-1"];
const ct = mockClient(CloudTrailClient);

const records = {
  createUser: loadRecord("stratus-create-user"),
  attach: loadRecord("stratus-attach-user-policy"),
  accessKey: loadRecord("stratus-create-access-key"),
  secret: loadRecord("stratus-get-secret-value"),
  denied: loadRecord("stratus-run-instances-denied"),
  launched: loadRecord("gorillastack-run-instances"),
};

/** Copy `i` of a published record: one second apart, newest first, spread over 300 source addresses. */
function copy(record: Record<string, unknown>, region: string, i: number) {
  return toLookupEvent(
    place(record, {
      eventTime: new Date(NEWEST - i * 1000).toISOString(),
      awsRegion: region,
      accessKeyId: KEY,
      eventID: `${region}-${String(i).padStart(5, "0")}`,
      sourceIPAddress: `203.0.${113 + Math.floor((i % 300) / 256)}.${(i % 300) % 256}`,
    }),
  );
}

describe("a 10,000-call burst", () => {
  it("summarises within Lambda memory and time, into a bounded summary and a readable alert", async () => {
    const history = new FakeEventHistory();
    ct.reset();
    ct.on(LookupEventsCommand).callsFake(history.handle);
    // us-east-1: persistence (15 IAM calls) and secret reads; three regions of mining, 9 in 10 refused.
    history.addGenerated("us-east-1", KEY, PER_REGION, (i) => {
      if (i < 5) return copy(records.createUser, "us-east-1", i);
      if (i < 10) return copy(records.attach, "us-east-1", i);
      if (i < 15) return copy(records.accessKey, "us-east-1", i);
      return copy(records.secret, "us-east-1", i);
    });
    for (const region of MINING_REGIONS) {
      history.addGenerated(region, KEY, PER_REGION, (i) =>
        copy(i % 10 === 0 ? records.launched : records.denied, region, i),
      );
    }
    const time = fakeTime(NOW.getTime());
    const published: RenderedAlert[] = [];
    const detail: ContainedDetail = containedDetail(KEY);

    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const outcome = await investigateIncident(
      detail,
      {
        regions: ["us-east-1", ...MINING_REGIONS],
        window: { lookbackHours: 72, maxLookbackDays: 90 },
        maxSessionKeys: 20,
        topN: 10,
      },
      {
        activity: new CloudTrailActivitySource({
          clientFor: cloudTrailClientFactory(),
          sleep: time.sleep,
          now: time.now,
        }),
        store: new MemoryInvestigationStore([INCIDENT]),
        alerts: { publish: async (a) => void published.push(a) },
        log: silentLog,
        now: () => NOW,
        shouldStop: () => false,
      },
    );
    const cpuMs = performance.now() - started;
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const { summary } = outcome;
    const alert = published[0] as RenderedAlert;
    console.log(
      `10,000-call burst: ${history.requests.length} LookupEvents pages, summarised in ${cpuMs.toFixed(0)} ms CPU ` +
        `(paced CloudTrail time ${(time.elapsed() / 1000).toFixed(1)} s), heap growth ${heapGrowthMb.toFixed(1)} MB, ` +
        `summary ${JSON.stringify(summary).length} B, SNS message ${snsMessageOf(alert).length} B`,
    );

    // Every page read: 50 per region, paced in parallel per region (49 waits of 500 ms).
    expect(history.requests).toHaveLength(200);
    expect(time.elapsed()).toBe(49 * 500);
    expect(summary).toMatchObject({ totalCalls: 10_000, succeeded: 3_250, failed: 6_750, complete: true });
    expect(summary.byRegion.top).toEqual([
      { value: "ap-southeast-1", count: 2500 },
      { value: "eu-west-1", count: 2500 },
      { value: "sa-east-1", count: 2500 },
      { value: "us-east-1", count: 2500 },
    ]);
    expect(summary.byEventName.top).toEqual([
      { value: "RunInstances", count: 7500 },
      { value: "GetSecretValue", count: 2485 },
      { value: "AttachUserPolicy", count: 5 },
      { value: "CreateAccessKey", count: 5 },
      { value: "CreateUser", count: 5 },
    ]);
    expect(summary.bySourceIp.distinct).toBe(300);
    expect(summary.bySourceIp.top).toHaveLength(10);
    expect(summary.bySourceIp.others).toBe(10_000 - summary.bySourceIp.top.reduce((n, e) => n + e.count, 0));
    expect(summary.flagged.find((f) => f.eventName === "RunInstances")).toMatchObject({
      count: 7500,
      errors: 6750,
      regions: [
        { value: "ap-southeast-1", count: 2500 },
        { value: "eu-west-1", count: 2500 },
        { value: "sa-east-1", count: 2500 },
      ],
      resources: ["instance i-e38a6646", "type t2.micro"],
    });
    expect(summary.firstCall?.at).toBe(new Date(NEWEST - (PER_REGION - 1) * 1000).toISOString());
    expect(summary.lastCall?.at).toBe(new Date(NEWEST).toISOString());

    // Top-N with counts, not a wall of JSON: the stored summary and every rendering stay small.
    expect(JSON.stringify(summary).length).toBeLessThan(40_000);
    expect(snsMessageOf(alert).length).toBeLessThan(200_000);
    expect(alert.subject).toBe(
      "[INVESTIGATION] AKIA...PYAN (account 123456789012): 10,000 calls, high-risk: AttachUserPolicy +4",
    );
    expect(alert.text.split("\n").length).toBeLessThan(120);
    expect(alert.text).toContain("  API calls:   10,000 (3,250 succeeded, 6,750 failed)");
    expect(alert.text).toContain(
      ["CALLS BY NAME (5 distinct names)", "  7,500  RunInstances", "  2,485  GetSecretValue"].join("\n"),
    );
    expect(alert.text).toContain(`SOURCE IPS (300)`);
    expect(alert.text).toMatch(/\n {2}\d,\d{3} {2}\(290 other values\)\n/);
    expect(
      (JSON.parse(alert.chat) as { content: { description: string } }).content.description.length,
    ).toBeLessThanOrEqual(2800);
    // Well inside the function's 1,024 MB and 15 minutes.
    expect(heapGrowthMb).toBeLessThan(256);
    expect(cpuMs).toBeLessThan(60_000);
  }, 120_000);
});
