import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import {
  cloudTrailEvent,
  drillEvent,
  guardDutyEvent,
  healthEvent,
  readFixture,
  trustedAdvisorEvent,
} from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";

const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
type Handler = (event: unknown) => Promise<{ status: string; outcomes: readonly { decision: string }[] }>;

let world: World;

// The record never lies: after every spec, each incident agrees with IAM (see test/support/invariant.ts).
afterEach(async () => {
  expect(await checkIncidentInvariant(world)).toEqual([]);
});

function loadHandler(env: Record<string, string> = {}): Handler {
  return localRespondHandler(world, { env, logLevel: "SILENT" });
}

beforeAll(async () => {
  world = await new World(inject("motoEndpoint")).create();
});

describe("respond handler against moto, enforce mode", () => {
  let handler: Handler;
  beforeAll(async () => {
    handler = loadHandler({ EXEMPT_PRINCIPALS: `allowlisted-${world.suffix}` });
  });
  beforeEach(async () => {
    await world.alerts();
    await world.containedEvents();
  });

  it("contains exactly the key a (medium, severity 5) GuardDuty MaliciousIPCaller.Custom finding names, fences the user, records, alerts, emits", async () => {
    const alice = await world.user("alice", { keys: 2 });
    const [leaked, other] = alice.keys as [string, string];
    const result = await handler(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key: leaked, user: alice.name }),
    );

    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await world.keyStatuses(alice.name)).toEqual({ [leaked]: "Inactive", [other]: "Active" });
    const state = await world.userState(alice.name);
    // The user's sessions die by the stack's deny-only managed policy: no inline policy is written.
    expect(state.attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    expect(state.inline).toEqual([]);
    expect(state.tags[`leaked-key-responder:quarantine:${leaked}`]).toMatch(
      new RegExp(`^${ACCOUNT_ID}-${leaked} \\d{4}-`),
    );

    const incident = await world.incident(`${ACCOUNT_ID}-${leaked}`);
    expect(incident?.status).toBe("contained");
    expect(incident?.principal).toEqual({ type: "user", name: alice.name });
    expect(incident?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ["disable-key", "done"],
      ["attach-quarantine-policy", "done"],
      ["attach-session-deny-policy", "done"],
      ["tag-principal", "done"],
    ]);
    expect(incident?.actions[0]?.undo).toEqual({ previousStatus: "Active" });
    expect(incident?.actions[2]).toMatchObject({
      subject: { type: "user", name: alice.name },
      undo: { policyArn: world.sessionDenyPolicyArn },
    });

    const alerts = await world.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toBe(
      `[MEDIUM] Abused key ${leaked.slice(0, 4)}...${leaked.slice(-4)} disabled - user ${alice.name}, account ${ACCOUNT_ID}`,
    );
    expect(alerts[0]?.body).toMatchObject({
      decision: "contain",
      accessKeyId: leaked,
      accountId: ACCOUNT_ID,
    });
    const events = await world.containedEvents();
    expect(events.map((e) => (e.detail as { accessKeyId: string }).accessKeyId)).toEqual([leaked]);
  });

  it("handles a duplicate delivery and a re-published finding once: no second alert, no second event", async () => {
    const bob = await world.user("bob");
    const event = guardDutyEvent("iamuser-maliciousipcaller-custom.json", {
      key: bob.keys[0] as string,
      user: bob.name,
    });
    await handler(event);
    await world.alerts();
    await world.containedEvents();
    const again = await handler(structuredClone(event));
    expect(again.outcomes.map((o) => o.decision)).toEqual(["duplicate"]);
    expect(await world.alerts()).toEqual([]);
    expect(await world.containedEvents()).toEqual([]);
    expect((await world.incident(`${ACCOUNT_ID}-${bob.keys[0]}`))?.signals).toHaveLength(1);
  });

  it("contains both keys of a two-key Health event (one owner named, one looked up), and ignores the us-west-2 backup copy", async () => {
    const carol = await world.user("carol");
    const dave = await world.user("dave");
    const keys = [carol.keys[0] as string, dave.keys[0] as string];
    const event = healthEvent("risk-credentials-exposed-two-keys.json", keys, carol.name);
    const result = await handler(event);
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain", "contain"]);
    expect(await world.keyStatuses(carol.name)).toEqual({ [keys[0] as string]: "Inactive" });
    expect(await world.keyStatuses(dave.name)).toEqual({ [keys[1] as string]: "Inactive" });
    expect((await world.alerts()).map((a) => a.subject.slice(0, 11))).toEqual(["[CRITICAL] ", "[CRITICAL] "]);

    const backup = healthEvent("risk-credentials-exposed-backup.json", keys, carol.name);
    const second = await handler(backup);
    expect(second.outcomes.map((o) => o.decision)).toEqual(["duplicate", "duplicate"]);
    expect(await world.alerts()).toEqual([]);
  });

  it("contains the key of a Trusted Advisor Exposed Access Keys item", async () => {
    const erin = await world.user("erin");
    const key = erin.keys[0] as string;
    await handler(trustedAdvisorEvent("exposed-access-keys-error.json", { key, user: erin.name }));
    expect(await world.keyStatuses(erin.name)).toEqual({ [key]: "Inactive" });
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.status).toBe("contained");
  });

  it("never changes a principal on the exempt list, but alerts what it would have done", async () => {
    const listed = await world.user("allowlisted"); // named on EXEMPT_PRINCIPALS above
    for (const u of [listed]) {
      const key = u.keys[0] as string;
      const result = await handler(
        guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: u.name }),
      );
      expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
      expect(await world.keyStatuses(u.name)).toEqual({ [key]: "Active" });
      expect(await world.userState(u.name)).toMatchObject({ attached: [], inline: [] });
      const [alert] = await world.alerts();
      expect(alert?.subject).toContain("NOT contained (exempt)");
      expect((alert?.body.withheld as { kind: string }[] | undefined)?.map((s) => s.kind)).toEqual([
        "disable-key",
        "attach-quarantine-policy",
        "attach-session-deny-policy",
        "tag-principal",
      ]);
    }
  });

  it("contains a user that tagged itself exempt, unless the deployer honours the tag (HONOR_EXEMPT_TAG=true)", async () => {
    const exempt = { tags: { "leaked-key-responder:exempt": "true" } };
    const [honoured, ignored] = [
      await world.user("honoured", exempt),
      await world.user("selftagged", exempt),
    ];
    const event = (u: { name: string; keys: string[] }) =>
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key: u.keys[0] as string, user: u.name });
    const honouring = loadHandler({ HONOR_EXEMPT_TAG: "true" });
    expect((await honouring(event(honoured))).outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(await world.keyStatuses(honoured.name)).toEqual({ [honoured.keys[0] as string]: "Active" });
    expect((await world.alerts())[0]?.subject).toContain("NOT contained (exempt)");
    expect((await handler(event(ignored))).outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await world.keyStatuses(ignored.name)).toEqual({ [ignored.keys[0] as string]: "Inactive" });
  });

  it("accepts exempt-list entries as ARNs", async () => {
    const byArn = await world.user("byarn");
    const key = byArn.keys[0] as string;
    const arnHandler = loadHandler({ EXEMPT_PRINCIPALS: `arn:aws:iam::${ACCOUNT_ID}:user/${byArn.name}` });
    const result = await arnHandler(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: byArn.name }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(await world.keyStatuses(byArn.name)).toEqual({ [key]: "Active" });
  });

  it("reports a GuardDuty sample finding as a sample and changes nothing", async () => {
    const sample = readFixture("aws.guardduty/sample-finding.json");
    const result = await handler(sample);
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(
      /^\[SAMPLE\] GuardDuty sample UnauthorizedAccess:IAMUser\/MaliciousIPCaller.Custom - no action$/,
    );
    expect(alert?.body).toMatchObject({ sample: true, actions: [] });
    expect(await world.containedEvents()).toEqual([]);
  });

  it("alerts critical for a root key and makes no IAM call that could fail against root", async () => {
    const result = await handler(readFixture("aws.guardduty/root-credential-usage.json"));
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(/^\[CRITICAL\] /);
    expect(alert?.body.humanSteps).toEqual(
      expect.arrayContaining([expect.stringContaining("Sign in as the root user")]),
    );
  });

  it("revokes the sessions of the role whose instance credentials were exfiltrated, and nothing else", async () => {
    const role = await world.role("web");
    const event = readFixture("aws.guardduty/instance-credential-exfiltration-outside-aws.json") as {
      detail: { resource: { accessKeyDetails: { userName: string; accessKeyId: string } } };
    };
    event.detail.resource.accessKeyDetails.userName = role;
    const key = event.detail.resource.accessKeyDetails.accessKeyId;
    const result = await handler(event);
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    const state = await world.roleState(role);
    expect(state.attached).toEqual([]);
    // Written by the role-session revoker (run in-process: moto cannot invoke a function), built from (role, time).
    expect(state.inline).toEqual([`leaked-key-responder-revoke-${key}`]);
    const deny = (await world.rolePolicy(role, `leaked-key-responder-revoke-${key}`)) as {
      Statement: { Effect: string; Action: string; Condition: { DateLessThan: Record<string, string> } }[];
    };
    expect(deny.Statement).toEqual([expect.objectContaining({ Effect: "Deny", Action: "*", Resource: "*" })]);
    expect(Date.parse(deny.Statement[0]?.Condition.DateLessThan["aws:TokenIssueTime"] ?? "")).toBeGreaterThan(
      Date.now() - 60_000,
    );
    expect(Object.keys(state.tags)).toEqual([`leaked-key-responder:quarantine:${key}`]);
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.actions.map((a) => a.kind)).toEqual([
      "revoke-sessions",
      "tag-principal",
    ]);
  });

  it("contains a user's ASIA session key: denies its sessions, quarantines and tags the user, leaves the user's access key alone", async () => {
    const kim = await world.user("kim");
    const sessionKey = "ASIAKIMSESSION000001";
    const result = await handler(
      guardDutyEvent("iamuser-toripcaller.json", { key: sessionKey, user: kim.name, id: "asia-1" }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await world.keyStatuses(kim.name)).toEqual({ [kim.keys[0] as string]: "Active" });
    const state = await world.userState(kim.name);
    expect([...state.attached].sort()).toEqual([QUARANTINE, world.sessionDenyPolicyArn].sort());
    expect(state.inline).toEqual([]);
    expect((await world.incident(`${ACCOUNT_ID}-${sessionKey}`))?.actions.map((a) => a.kind)).toEqual([
      "attach-session-deny-policy",
      "attach-quarantine-policy",
      "tag-principal",
    ]);
  });

  it("keeps an incident contained when a later finding about the key only notifies", async () => {
    const lee = await world.user("lee");
    const key = lee.keys[0] as string;
    await handler(guardDutyEvent("iamuser-toripcaller.json", { key, user: lee.name, id: "lee-1" }));
    const later = await handler(
      guardDutyEvent("iamuser-anomalous-behavior.json", { key, user: lee.name, id: "lee-2" }),
    );
    expect(later.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    const incident = await world.incident(`${ACCOUNT_ID}-${key}`);
    expect(incident?.status).toBe("contained");
    expect(incident?.signals.map((s) => s.signal)).toEqual([
      "UnauthorizedAccess:IAMUser/TorIPCaller",
      "Discovery:IAMUser/AnomalousBehavior",
    ]);
  });

  it("contains a key again when someone re-enables it while its incident is open", async () => {
    const frank = await world.user("frank");
    const key = frank.keys[0] as string;
    await handler(guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: frank.name }));
    await world.alerts();
    await world.iam.send(
      new (await import("@aws-sdk/client-iam")).UpdateAccessKeyCommand({
        UserName: frank.name,
        AccessKeyId: key,
        Status: "Active",
      }),
    );
    const result = await handler(cloudTrailEvent("update-access-key-active.json", { key, user: frank.name }));
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await world.keyStatuses(frank.name)).toEqual({ [key]: "Inactive" });
    const [alert] = await world.alerts();
    expect(alert?.subject).toContain("Re-enabled key");
  });

  it("ignores a re-enabled key that has no open incident", async () => {
    const gina = await world.user("gina");
    const key = gina.keys[0] as string;
    const result = await handler(cloudTrailEvent("update-access-key-active.json", { key, user: gina.name }));
    expect(result.outcomes.map((o) => o.decision)).toEqual(["ignore"]);
    expect(await world.alerts()).toEqual([]);
    expect(await world.incident(`${ACCOUNT_ID}-${key}`)).toBeUndefined();
  });

  it("alerts high, and changes nothing, when a principal creates a key for another user", async () => {
    const hank = await world.user("hank");
    const key = hank.keys[0] as string;
    const result = await handler(
      cloudTrailEvent("create-access-key-other-user.json", { key, user: hank.name }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(await world.keyStatuses(hank.name)).toEqual({ [key]: "Active" });
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(/^\[HIGH\] /);
  });

  it("records an unknown key as not found and changes nothing", async () => {
    const result = await handler(healthEvent("risk-credentials-exposed.json", ["AKIAZZZZZZZZZZZZZZZZ"]));
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    const incident = await world.incident(`${ACCOUNT_ID}-AKIAZZZZZZZZZZZZZZZZ`);
    expect(incident?.status).toBe("notified");
    expect(incident?.signals[0]?.reasons).toEqual([
      "access key AKIAZZZZZZZZZZZZZZZZ does not exist (deleted?)",
    ]);
  });

  it("acts on a drill only for a user tagged as a drill canary", async () => {
    const canary = await world.user("canary", { tags: { "leaked-key-responder:drill": "true" } });
    const real = await world.user("real");
    await handler(drillEvent({ key: canary.keys[0] as string, user: canary.name, drillId: "d1" }));
    await handler(drillEvent({ key: real.keys[0] as string, user: real.name, drillId: "d2" }));
    expect(await world.keyStatuses(canary.name)).toEqual({ [canary.keys[0] as string]: "Inactive" });
    expect(await world.keyStatuses(real.name)).toEqual({ [real.keys[0] as string]: "Active" });
  });

  it("throws a typed error for a malformed event of a known source, and ignores unknown sources", async () => {
    const broken = readFixture("aws.guardduty/iamuser-maliciousipcaller-custom.json") as {
      detail: Record<string, unknown>;
    };
    broken.detail.severity = "very";
    await expect(handler(broken)).rejects.toMatchObject({ name: "InvalidEventError" });
    const unknown = {
      ...readFixture("aws.guardduty/iamuser-maliciousipcaller-custom.json"),
      source: "my.app",
    };
    await expect(handler(unknown)).resolves.toEqual({ status: "ignored", outcomes: [] });
    expect(await world.alerts()).toEqual([]);
  });
});

describe("respond handler against moto, notify-only mode", () => {
  it("changes nothing in IAM and says what it would have done", async () => {
    const handler = loadHandler({ RESPONSE_MODE: "notify-only" });
    await world.alerts();
    const ivy = await world.user("ivy");
    const key = ivy.keys[0] as string;
    const result = await handler(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: ivy.name }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(await world.keyStatuses(ivy.name)).toEqual({ [key]: "Active" });
    expect(await world.userState(ivy.name)).toEqual({ attached: [], inline: [], tags: {} });
    const [alert] = await world.alerts();
    expect(alert?.subject).toContain("NOT contained (notify-only)");
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.status).toBe("notified");
  });
});

describe("the deployed module, lambdas/handlers/respond.ts, configured from the environment", () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  it("parses the environment at cold start and contains the key with default-configured clients", async () => {
    useMoto(world.endpoint); // AWS_ENDPOINT_URL, AWS_REGION and credentials, as Lambda would set them
    Object.assign(process.env, world.env({ POWERTOOLS_LOG_LEVEL: "SILENT" }));
    vi.resetModules();
    const { handler } = await import("../../lambdas/handlers/respond.js");
    await world.alerts();
    const jack = await world.user("jack");
    const key = jack.keys[0] as string;
    const result = await handler(healthEvent("risk-credentials-exposed.json", [key]));
    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await world.keyStatuses(jack.name)).toEqual({ [key]: "Inactive" });
    expect(await world.alerts()).toHaveLength(1);
  });

  it("fails the cold start, naming the variable, when the environment is incomplete", async () => {
    delete process.env.ALERT_TOPIC_ARN;
    vi.resetModules();
    await expect(import("../../lambdas/handlers/respond.js")).rejects.toThrow(/ALERT_TOPIC_ARN must be set/);
  });
});

describe("respond handler on a batch of the informational queue", () => {
  it("handles each queued event as if invoked alone, and reports only the message that failed", async () => {
    const handler = localRespondHandler(world, { logLevel: "SILENT" });
    const ivan = await world.user("ivan");
    const key = ivan.keys[0] as string;
    const created = cloudTrailEvent("create-access-key.json", {
      key,
      user: ivan.name,
      eventId: `queued-${world.suffix}`,
    });
    const message = (messageId: string, body: string) => ({
      messageId,
      receiptHandle: `r-${messageId}`,
      body,
      attributes: {},
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:informational`,
      awsRegion: "us-east-1",
    });
    const result = await handler({
      Records: [
        message("m-1", JSON.stringify({ ...created, account: ACCOUNT_ID })),
        message("m-2", "not json"),
        message("m-3", JSON.stringify({ ...created, id: "x", source: "aws.iam", detail: { eventName: 42 } })),
      ],
    });
    expect(result).toMatchObject({
      status: "handled",
      outcomes: [{ decision: "notify" }],
      batchItemFailures: [{ itemIdentifier: "m-2" }, { itemIdentifier: "m-3" }],
    });
    // Informational: recorded and alerted, the key untouched.
    expect(await world.keyStatuses(ivan.name)).toEqual({ [key]: "Active" });
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.status).toBe("notified");
  });
});
