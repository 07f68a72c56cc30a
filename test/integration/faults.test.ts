import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { DeleteAccessKeyCommand } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { guardDutyEvent, healthEvent, readFixture, trustedAdvisorEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, World } from "../../local/world.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { checkIncidentInvariant } from "../support/invariant.js";

type Handler = (event: unknown) => Promise<{ status: string; outcomes: readonly { decision: string }[] }>;

let world: World;

// The record never lies: after every spec, each incident agrees with IAM (see test/support/invariant.ts).
afterEach(async () => {
  expect(await checkIncidentInvariant(world)).toEqual([]);
});
let proxy: FaultProxy;
let handler: Handler;

/** What Lambda does with an asynchronous invocation: the first attempt and two retries, then the DLQ. */
async function invokeAsync(event: unknown, attempts = 3): Promise<"handled" | "dlq"> {
  for (let i = 0; i < attempts; i++) {
    try {
      await handler(event);
      return "handled";
    } catch {
      // retried
    }
  }
  return "dlq";
}

beforeAll(async () => {
  const moto = inject("motoEndpoint");
  world = await new World(moto).create(); // the world's own clients talk to moto directly
  proxy = await new FaultProxy(moto).start();
  // The handler's clients go through the proxy.
  handler = localRespondHandler(world, { endpoint: proxy.endpoint, logLevel: "SILENT" });
});

afterAll(async () => {
  await proxy.stop();
});

beforeEach(async () => {
  proxy.clear();
  proxy.seen.length = 0;
  await world.alerts();
});

function count(operation: string) {
  const calls = proxy.seen.filter((s) => s.operation === operation);
  return { calls: calls.length, injected: calls.filter((c) => c.injected).length };
}

describe("faults between the responder and AWS (fault-injecting proxy in front of moto)", () => {
  it.each([
    ["throttling", 400, "Throttling"],
    ["5xx", 503, "ServiceUnavailable"],
  ])("retries IAM %s on UpdateAccessKey with backoff; the key ends Inactive", async (_name, status, code) => {
    const u = await world.user(`throttled-${status}`);
    const key = u.keys[0] as string;
    proxy.inject({ operation: "UpdateAccessKey", times: 2, status, code });
    const result = await handler(
      guardDutyEvent("iamuser-toripcaller.json", { key, user: u.name, id: `f-${status}` }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(count("UpdateAccessKey")).toEqual({ calls: 3, injected: 2 });
    expect(await world.keyStatuses(u.name)).toEqual({ [key]: "Inactive" });
  });

  it("when IAM throttling outlasts the SDK's retries: alerts the failure, fails for a retry, and the retry contains without a second alert", async () => {
    const u = await world.user("long-throttle");
    const key = u.keys[0] as string;
    const event = guardDutyEvent("iamuser-toripcaller.json", { key, user: u.name, id: "f-long" });
    proxy.inject({ operation: "UpdateAccessKey", times: 3, status: 400, code: "Throttling" });
    await expect(handler(event)).rejects.toMatchObject({
      name: "IncompleteResponseError",
      failedSteps: ["disable-key", "containment"],
    });
    expect(await world.keyStatuses(u.name)).toEqual({ [key]: "Active" });
    const [first] = await world.alerts();
    expect(first?.body.actions).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "disable-key", outcome: "failed" })]),
    );
    await handler(event); // EventBridge/Lambda retry
    expect(await world.keyStatuses(u.name)).toEqual({ [key]: "Inactive" });
    expect(await world.alerts()).toEqual([]);
  });

  it("when DynamoDB is unavailable: the key is still contained and the alert still goes out; the invocation fails; the retry completes the record without a second alert", async () => {
    const u = await world.user("no-dynamo");
    const key = u.keys[0] as string;
    const event = trustedAdvisorEvent("exposed-access-keys-error.json", { key, user: u.name });
    proxy.outage(["GetItem", "UpdateItem"]);
    await expect(handler(event)).rejects.toMatchObject({ name: "IncompleteResponseError" });
    expect(await world.keyStatuses(u.name)).toEqual({ [key]: "Inactive" });
    expect(await world.alerts()).toHaveLength(1);
    expect(await world.incident(`${ACCOUNT_ID}-${key}`)).toBeUndefined();
    proxy.clear();
    await handler(event);
    const incident = await world.incident(`${ACCOUNT_ID}-${key}`);
    expect(incident?.status).toBe("contained");
    expect(incident?.completedSignalIds).toHaveLength(1);
    // The retry ran in the same process (as a Lambda retry usually runs in the same warm container).
    expect(incident?.alertedSignalIds).toHaveLength(1);
    expect(await world.alerts()).toEqual([]);
  });

  it("when DynamoDB was unavailable and the retry runs in a new container, the receipt on the user's quarantine tag stops a second alert", async () => {
    const u = await world.user("no-dynamo-new-container");
    const key = u.keys[0] as string;
    const event = trustedAdvisorEvent("exposed-access-keys-error.json", { key, user: u.name });
    proxy.outage(["GetItem", "UpdateItem"]);
    await expect(handler(event)).rejects.toMatchObject({ name: "IncompleteResponseError" });
    expect(await world.alerts()).toHaveLength(1);
    expect((await world.userState(u.name)).tags[`leaked-key-responder:quarantine:${key}`]).toMatch(
      / alerted:[0-9a-f]{8}$/,
    );
    proxy.clear();
    // A new Lambda container: nothing in memory.
    const fresh = localRespondHandler(world, { endpoint: proxy.endpoint, logLevel: "SILENT" });
    await fresh(event);
    const incident = await world.incident(`${ACCOUNT_ID}-${key}`);
    expect(incident?.status).toBe("contained");
    expect(incident?.alertedSignalIds).toHaveLength(1);
    expect(await world.alerts()).toEqual([]);
  });

  it("when SNS is unavailable: the key is contained and the incident recorded; the retry sends exactly one alert", async () => {
    const u = await world.user("no-sns");
    const key = u.keys[0] as string;
    const event = guardDutyEvent("iamuser-toripcaller.json", { key, user: u.name, id: "f-sns" });
    proxy.outage(["Publish"], 500, "InternalError");
    await expect(handler(event)).rejects.toMatchObject({ failedSteps: ["notify"] });
    expect(await world.keyStatuses(u.name)).toEqual({ [key]: "Inactive" });
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.status).toBe("contained");
    expect(await world.alerts()).toEqual([]);
    proxy.clear();
    await handler(event);
    await handler(event);
    expect(await world.alerts()).toHaveLength(1);
  });

  it("records a key deleted between signal and action as not found, and does not fail (no retry loop)", async () => {
    const u = await world.user("deleted-meanwhile");
    const key = u.keys[0] as string;
    proxy.inject({ operation: "UpdateAccessKey", times: 1, status: 404, code: "NoSuchEntity" });
    const result = await handler(
      guardDutyEvent("iamuser-toripcaller.json", { key, user: u.name, id: "f-gone" }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    const incident = await world.incident(`${ACCOUNT_ID}-${key}`);
    expect(incident?.actions[0]).toMatchObject({ kind: "disable-key", outcome: "not-found" });
    expect(count("UpdateAccessKey")).toEqual({ calls: 1, injected: 1 });
    // IAM's answer was injected: make the world agree with it (the key really is gone).
    await world.iam.send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: key }));
  });

  it("every event ends either in an incident or in the DLQ, under a DynamoDB outage of the first attempts", async () => {
    const users = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => world.user(`count-${i}`)));
    const good = users.flatMap((u, i) => [
      guardDutyEvent("iamuser-toripcaller.json", {
        key: u.keys[0] as string,
        user: u.name,
        id: `count-${i}`,
      }),
      healthEvent("risk-credentials-exposed.json", [u.keys[0] as string], u.name),
    ]);
    const broken = readFixture("aws.guardduty/iamuser-toripcaller.json") as {
      detail: Record<string, unknown>;
    };
    broken.detail.severity = "high";
    const bad = [broken, { ...readFixture("aws.health/risk-credentials-exposed.json"), detail: "garbage" }];
    proxy.inject({ operation: "UpdateItem", times: 5, status: 503, code: "ServiceUnavailable" });
    const endings = [];
    for (const event of [...good, ...bad]) endings.push(await invokeAsync(event));
    const keys = new Set(users.map((u) => `${ACCOUNT_ID}-${u.keys[0]}`));
    const items = await world.dynamo.send(new ScanCommand({ TableName: world.tableName }));
    const incidents = (items.Items ?? []).filter((i) => keys.has(i.incidentId?.S ?? ""));
    expect({
      handled: endings.filter((e) => e === "handled").length,
      dlq: endings.filter((e) => e === "dlq").length,
    }).toEqual({
      handled: good.length,
      dlq: bad.length,
    });
    expect(incidents).toHaveLength(users.length);
    for (const u of users)
      expect(await world.keyStatuses(u.name)).toEqual({ [u.keys[0] as string]: "Inactive" });
  });
});
