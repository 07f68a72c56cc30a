import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../../../lambdas/adapters/cloudtrail.js";
import type { ContainedDetail } from "../../../lambdas/core/investigation/contained-event.js";
import { IncidentNotFoundError } from "../../../lambdas/core/investigation/errors.js";
import {
  type InvestigateSettings,
  investigateIncident,
} from "../../../lambdas/core/investigation/investigate.js";
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
} from "./support.js";

const KEY = "AKIAR7ISFR69YWROPYAN";
const ROLE_SESSION_KEY = "ASIA9F6MXE9HSYOXYQOS"; // minted by AssumeRole in stratus-assume-role.json
const FEDERATED_KEY = "ASIASTJKC5GCM7ZE6LUP"; // minted by GetFederationToken in stratus-get-federation-token.json
const CHAINED_KEY = "ASIAWHOJDLGPOEXAMPLE"; // minted by a role session: second level, never followed
const INCIDENT = `${ACCOUNT_ID}-${KEY}`;
const NOW = new Date("2024-08-01T14:05:00.000Z");

const detail: ContainedDetail = containedDetail(KEY);
const settings: InvestigateSettings = {
  regions: ["us-east-1", "eu-west-1", "ap-southeast-1"],
  window: { lookbackHours: 72, maxLookbackDays: 90 },
  maxSessionKeys: 20,
  topN: 10,
};

const ct = mockClient(CloudTrailClient);

function at(file: string, eventTime: string, awsRegion: string, accessKeyId?: string, eventID?: string) {
  return place(loadRecord(file), {
    eventTime,
    awsRegion,
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(eventID ? { eventID } : {}),
  });
}

function world() {
  const history = new FakeEventHistory();
  ct.reset();
  ct.on(LookupEventsCommand).callsFake(history.handle);
  const time = fakeTime(NOW.getTime());
  const activity = new CloudTrailActivitySource({
    clientFor: cloudTrailClientFactory(),
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
  });
  const store = new MemoryInvestigationStore([INCIDENT]);
  const published: RenderedAlert[] = [];
  let failPublish = false;
  const deps = {
    activity,
    store,
    alerts: {
      publish: async (alert: RenderedAlert) => {
        if (failPublish) throw new Error("SNS down");
        published.push(alert);
      },
    },
    log: silentLog,
    now: () => NOW,
    shouldStop: () => false,
  };
  return {
    history,
    time,
    store,
    published,
    deps,
    failNextPublish: (v: boolean) => {
      failPublish = v;
    },
    searched: () =>
      history.requests
        .filter((r) => !r.input.NextToken)
        .map((r) => `${r.region} ${r.input.LookupAttributes?.[0]?.AttributeValue}`),
  };
}

describe("investigateIncident", () => {
  beforeEach(() => ct.reset());

  it("searches us-east-1 and every configured region and summarises them together", async () => {
    const w = world();
    w.history
      .add("us-east-1", KEY, [
        at("stratus-create-user", "2024-08-01T13:33:28Z", "us-east-1", KEY),
        at("stratus-attach-user-policy", "2024-08-01T13:33:29Z", "us-east-1", KEY),
        at("stratus-create-access-key", "2024-08-01T13:33:30Z", "us-east-1", KEY),
      ])
      .add("eu-west-1", KEY, [
        at("stratus-list-secrets", "2024-08-01T13:40:00Z", "eu-west-1", KEY),
        at("stratus-get-secret-value", "2024-08-01T13:40:01Z", "eu-west-1", KEY),
      ])
      .add("ap-southeast-1", KEY, [
        at("gorillastack-run-instances", "2024-08-01T13:45:00Z", "ap-southeast-1", KEY),
      ]);
    const outcome = await investigateIncident(detail, settings, w.deps);

    expect(w.searched().sort()).toEqual([`ap-southeast-1 ${KEY}`, `eu-west-1 ${KEY}`, `us-east-1 ${KEY}`]);
    expect(outcome.status).toBe("alerted");
    expect(outcome.summary).toMatchObject({ totalCalls: 6, failed: 0, complete: true });
    expect(outcome.summary.byRegion.top).toEqual([
      { value: "us-east-1", count: 3 },
      { value: "eu-west-1", count: 2 },
      { value: "ap-southeast-1", count: 1 },
    ]);
    expect(outcome.summary.flagged.map((f) => [f.category, f.eventName, f.count])).toEqual([
      ["identity", "AttachUserPolicy", 1],
      ["identity", "CreateAccessKey", 1],
      ["identity", "CreateUser", 1],
      ["compute", "RunInstances", 1],
      ["data", "GetSecretValue", 1],
    ]);
    expect(outcome.summary.searches.map((s) => [s.region, s.status, s.events])).toEqual([
      ["us-east-1", "complete", 3],
      ["eu-west-1", "complete", 2],
      ["ap-southeast-1", "complete", 1],
    ]);
    expect(w.published).toHaveLength(1);
    expect(w.published[0]?.subject).toBe(
      "[INVESTIGATION] AKIA...PYAN (account 123456789012): 6 calls, high-risk: AttachUserPolicy +4",
    );
    expect(w.store.items.get(INCIDENT)?.fingerprint).toBe(
      "6|2024-08-01T13:45:00.000Z|01db8111-5bf5-43ec-a075-ce318ec46574|complete",
    );
  });

  it("follows session keys minted with the key (AssumeRole, GetFederationToken), one level deep", async () => {
    const w = world();
    w.history
      .add("us-east-1", KEY, [
        at("stratus-assume-role", "2024-08-01T11:30:22Z", "us-east-1", KEY),
        at("stratus-get-federation-token", "2024-08-01T11:31:00Z", "us-east-1", KEY),
      ])
      // The role session works in another region, and chains into another role there.
      .add("eu-west-1", ROLE_SESSION_KEY, [
        at("stratus-run-instances-denied", "2024-08-01T11:30:23Z", "eu-west-1"),
        at("iam-guide-assume-role-chaining", "2024-08-01T11:32:00Z", "eu-west-1", ROLE_SESSION_KEY),
      ])
      .add("us-east-1", FEDERATED_KEY, [
        at("stratus-get-caller-identity-federated", "2024-08-01T11:31:01Z", "us-east-1"),
      ])
      .add("eu-west-1", CHAINED_KEY, [
        at("stratus-stop-logging", "2024-08-01T11:33:00Z", "eu-west-1", CHAINED_KEY),
      ]);
    const outcome = await investigateIncident(
      detail,
      { ...settings, regions: ["us-east-1", "eu-west-1"] },
      w.deps,
    );

    // The key in each region first, then each session key it minted, in the order minted; never CHAINED_KEY.
    expect(w.searched().filter((s) => s.startsWith("us-east-1"))).toEqual([
      `us-east-1 ${KEY}`,
      `us-east-1 ${ROLE_SESSION_KEY}`,
      `us-east-1 ${FEDERATED_KEY}`,
    ]);
    expect(w.searched().filter((s) => s.startsWith("eu-west-1"))).toEqual([
      `eu-west-1 ${KEY}`,
      `eu-west-1 ${ROLE_SESSION_KEY}`,
      `eu-west-1 ${FEDERATED_KEY}`,
    ]);
    const { summary } = outcome;
    expect(summary.totalCalls).toBe(5);
    expect(summary.byAccessKey.top).toEqual([
      { value: KEY, count: 2 },
      { value: ROLE_SESSION_KEY, count: 2 },
      { value: FEDERATED_KEY, count: 1 },
    ]);
    expect(summary.sessionKeys).toEqual([
      {
        accessKeyId: ROLE_SESSION_KEY,
        via: "AssumeRole",
        at: "2024-08-01T11:30:22.000Z",
        region: "us-east-1",
        sessionArn:
          "arn:aws:sts::900138736586:assumed-role/stratus-red-team-ec2lui-role-idtzskbvtd/aws-go-sdk-1722511821294449000",
        roleArn: "arn:aws:iam::900138736586:role/stratus-red-team-ec2lui-role-idtzskbvtd",
        calls: 2,
        followed: true,
      },
      {
        accessKeyId: FEDERATED_KEY,
        via: "GetFederationToken",
        at: "2024-08-01T11:31:00.000Z",
        region: "us-east-1",
        sessionArn: "arn:aws:sts::742491224508:federated-user/stratus_red_team",
        calls: 1,
        followed: true,
      },
      {
        accessKeyId: CHAINED_KEY,
        via: "AssumeRole",
        at: "2024-08-01T11:32:00.000Z",
        region: "eu-west-1",
        sessionArn: "arn:aws:sts::111111111111:assumed-role/test-role/Role2WithTags",
        roleArn: "arn:aws:iam::111111111111:role/JohnRole2",
        calls: 0,
        followed: false,
      },
    ]);
    expect(summary.sessionKeysNotFollowed).toBe(1);
    expect(summary.flagged).toEqual([
      expect.objectContaining({ eventName: "RunInstances", count: 1, errors: 1, resources: [] }),
    ]);
    const text = w.published[0]?.text ?? "";
    expect(text).toContain(
      "  - ASIA9F6MXE9HSYOXYQOS via AssumeRole at 2024-08-01 11:30:22Z in us-east-1 (role arn:aws:iam::900138736586:role/stratus-red-team-ec2lui-role-idtzskbvtd): 2 calls with it",
    );
    expect(text).toContain("  - ASIAWHOJDLGPOEXAMPLE via AssumeRole at 2024-08-01 11:32:00Z in eu-west-1");
    expect(text).toContain(
      "Revoke the active sessions of role stratus-red-team-ec2lui-role-idtzskbvtd, JohnRole2 (IAM console",
    );
  });

  it("caps the session keys it follows", async () => {
    const w = world();
    const records = Array.from({ length: 5 }, (_, i) => {
      const r = at("stratus-assume-role", `2024-08-01T11:30:2${i}Z`, "us-east-1", KEY, `assume-${i}`);
      const response = r.responseElements as { credentials: { accessKeyId: string } };
      response.credentials.accessKeyId = `ASIA${String(i).repeat(16)}`;
      return r;
    });
    w.history.add("us-east-1", KEY, records);
    const outcome = await investigateIncident(
      detail,
      { ...settings, regions: ["us-east-1"], maxSessionKeys: 2 },
      w.deps,
    );
    expect(w.searched()).toEqual([
      `us-east-1 ${KEY}`,
      "us-east-1 ASIA0000000000000000",
      "us-east-1 ASIA1111111111111111",
    ]);
    expect(outcome.summary.sessionKeysNotFollowed).toBe(3);
  });

  it("reports a key that did nothing, and says so plainly", async () => {
    const w = world();
    const outcome = await investigateIncident(detail, settings, w.deps);
    expect(outcome.status).toBe("alerted");
    expect(outcome.summary).toMatchObject({
      totalCalls: 0,
      firstCall: undefined,
      lastCall: undefined,
      complete: true,
    });
    expect(outcome.fingerprint).toBe("0|-|-|complete");
    expect(w.searched()).toHaveLength(3);
    const alert = w.published[0];
    expect(alert?.subject).toBe(
      "[INVESTIGATION] AKIA...PYAN (account 123456789012): no CloudTrail activity found",
    );
    expect(alert?.text).toContain(
      "  Nothing found: CloudTrail event history has no call signed with this key in us-east-1, eu-west-1, ap-southeast-1 in this window.",
    );
    expect(alert?.text).toContain(
      "  Window:      2024-07-29 14:00:00Z to 2024-08-01 14:05:00Z (from the look-back before detection)",
    );
    expect(alert?.text).not.toContain("HIGH-RISK CALLS");
  });

  it("rides out throttling and still reads every page", async () => {
    const w = world();
    const reads = Array.from({ length: 75 }, (_, i) =>
      at(
        "stratus-get-secret-value",
        `2024-08-01T12:${String(i % 60).padStart(2, "0")}:00Z`,
        "eu-west-1",
        KEY,
        `r${i}`,
      ),
    );
    w.history.add("eu-west-1", KEY, reads);
    w.history.throttle.set("eu-west-1", 2);
    const outcome = await investigateIncident(detail, settings, w.deps);
    expect(outcome.summary).toMatchObject({ totalCalls: 75, complete: true });
    expect(outcome.summary.flagged[0]).toMatchObject({ eventName: "GetSecretValue", count: 75 });
    expect(w.time.sleeps.filter((ms) => ms > 500)).toEqual([750, 1500]);
  });

  it("reports what it found when a region keeps failing, and marks the failure retryable", async () => {
    const w = world();
    w.history.add("us-east-1", KEY, [at("stratus-create-user", "2024-08-01T13:33:28Z", "us-east-1", KEY)]);
    w.history.throttle.set("eu-west-1", 1000);
    const outcome = await investigateIncident(detail, settings, w.deps);
    expect(outcome.status).toBe("alerted");
    expect(outcome.retryableFailures).toEqual([`eu-west-1/${KEY}`]);
    expect(outcome.summary.complete).toBe(false);
    expect(outcome.fingerprint).toBe(
      `1|2024-08-01T13:33:28.000Z|3346344c-5a3e-429e-8405-420f98f75d6e|incomplete:eu-west-1/${KEY}`,
    );
    expect(w.published[0]?.subject).toBe(
      "[INVESTIGATION, INCOMPLETE] AKIA...PYAN (account 123456789012): 1 call, high-risk: CreateUser",
    );
    expect(w.published[0]?.text).toContain(
      `INCOMPLETE\n  - eu-west-1 / ${KEY}: TransientAwsError: cloudtrail:LookupEvents failed transiently`,
    );
  });

  it("stops searching when the time budget runs out, and says the summary is partial", async () => {
    const w = world();
    w.history.add(
      "us-east-1",
      KEY,
      Array.from({ length: 120 }, (_, i) =>
        at("stratus-list-secrets", "2024-08-01T12:00:00Z", "us-east-1", KEY, `l${i}`),
      ),
    );
    let pages = 0;
    const outcome = await investigateIncident(
      detail,
      { ...settings, regions: ["us-east-1"] },
      {
        ...w.deps,
        shouldStop: () => {
          pages += 1;
          return pages > 2; // one check before the search, then one per page
        },
      },
    );
    expect(outcome.summary.searches).toEqual([
      { region: "us-east-1", accessKeyId: KEY, pages: 2, events: 100, status: "stopped" },
    ]);
    expect(outcome.retryableFailures).toEqual([]);
    expect(w.published[0]?.text).toContain(`  - us-east-1 / ${KEY}: stopped (time budget) after 2 pages`);
  });

  describe("idempotency", () => {
    it("sends no second follow-up for the same activity, and one more when there is new activity", async () => {
      const w = world();
      w.history.add("us-east-1", KEY, [at("stratus-create-user", "2024-08-01T13:33:28Z", "us-east-1", KEY)]);
      expect((await investigateIncident(detail, settings, w.deps)).status).toBe("alerted");
      expect((await investigateIncident(detail, settings, w.deps)).status).toBe("unchanged");
      expect(w.published).toHaveLength(1);
      expect(w.store.calls.filter((c) => c.startsWith("record"))).toHaveLength(1);

      // CloudTrail delivers a late call.
      w.history.add("us-east-1", KEY, [at("stratus-stop-logging", "2024-08-01T13:50:00Z", "us-east-1", KEY)]);
      const third = await investigateIncident(detail, settings, w.deps);
      expect(third.status).toBe("alerted");
      expect(w.published).toHaveLength(2);
      expect(w.published[1]?.subject).toBe(
        "[INVESTIGATION] AKIA...PYAN (account 123456789012): 2 calls, high-risk: StopLogging, CreateUser",
      );
    });

    it("gives the claim back when the alert cannot be sent, so the retry sends it", async () => {
      const w = world();
      w.failNextPublish(true);
      await expect(investigateIncident(detail, settings, w.deps)).rejects.toThrow("SNS down");
      expect(w.store.items.get(INCIDENT)?.fingerprint).toBeUndefined();
      w.failNextPublish(false);
      expect((await investigateIncident(detail, settings, w.deps)).status).toBe("alerted");
      expect(w.published).toHaveLength(1);
    });

    it("sends nothing when a concurrent run already recorded newer activity", async () => {
      const w = world();
      w.store.items.set(INCIDENT, {
        fingerprint: "9|2024-08-01T14:01:00.000Z|x|complete",
        lastEventAt: "2024-08-01T14:01:00.000Z",
      });
      w.history.add("us-east-1", KEY, [at("stratus-create-user", "2024-08-01T13:33:28Z", "us-east-1", KEY)]);
      expect((await investigateIncident(detail, settings, w.deps)).status).toBe("stale");
      expect(w.published).toHaveLength(0);
    });
  });

  it("throws IncidentNotFoundError, before searching, when the incident is not on record", async () => {
    const w = world();
    await expect(
      investigateIncident({ ...detail, incidentId: `${ACCOUNT_ID}-AKIAAAAAAAAAAAAAAAAA` }, settings, w.deps),
    ).rejects.toThrow(IncidentNotFoundError);
    expect(w.history.requests).toHaveLength(0);
  });
});
