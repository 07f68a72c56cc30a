import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  CreateLoginProfileCommand,
  DetachUserPolicyCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { GetScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { confirmationScheduleOf } from "../../lambdas/core/investigation/confirmation.js";
import { guardDutyEvent, tamperEvent } from "../../local/events.js";
import { incidentContainedEvent, LocalInvestigation } from "../../local/investigate-handler.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";
import { lkrAgainst } from "../support/lkr.js";
import { type CloudTrailRecord, FakeEventHistory, loadRecord, place } from "../unit/investigation/support.js";

const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";

let world: World;
let investigation: LocalInvestigation;
let respond: ReturnType<typeof localRespondHandler>;
const ct = mockClient(CloudTrailClient);
let history: FakeEventHistory;

afterEach(async () => {
  expect(await checkIncidentInvariant(world)).toEqual([]);
});
afterAll(() => ct.restore());

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  world = await new World(endpoint).create();
  investigation = await new LocalInvestigation(world).create();
  respond = localRespondHandler(world, { env: { EXEMPT_PRINCIPALS: `exempt-${world.suffix}` } });
  useMoto(endpoint);
});

/**
 * A published record, placed in this world: its time and signing key, and the names and ids its
 * request and response carry replaced by the world's (moto chooses key ids; see the fixtures' README).
 */
function inWorld(
  fixture: string,
  values: {
    at: string;
    key: string;
    params?: Record<string, string>;
    accessKey?: { accessKeyId: string; userName: string };
  },
): CloudTrailRecord {
  const record = place(loadRecord(fixture), {
    eventTime: values.at,
    awsRegion: "us-east-1",
    accessKeyId: values.key,
  });
  record.recipientAccountId = ACCOUNT_ID;
  if (values.params) record.requestParameters = { ...(record.requestParameters as object), ...values.params };
  if (values.accessKey) {
    const response = record.responseElements as { accessKey: Record<string, unknown> };
    record.responseElements = { accessKey: { ...response.accessKey, ...values.accessKey } };
  }
  return record;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** A user whose key the real respond handler contained after a GuardDuty finding. */
async function containedUser(base: string) {
  const user = await world.user(base);
  const key = user.keys[0] as string;
  const result = await respond(
    guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }),
  );
  expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
  return { user: user.name, key, incidentId: `${ACCOUNT_ID}-${key}` };
}

const lkr = (args: readonly string[]) => lkrAgainst(world, args);

describe("persistence closed, against moto (CloudTrail LookupEvents from published records)", () => {
  it("contains the key, the user and the login profile the leaked key made, revokes the role it assumed, alerts the trust policy it changed; lkr release undoes exactly that", async () => {
    const leaked = await containedUser("leaked");
    await world.alerts();
    // What the attacker made with the leaked key before it was contained.
    const made = await world.user("made"); // CreateUser, then CreateAccessKey for it
    const madeKey = made.keys[0] as string;
    const console = await world.user("console", { keys: 0 });
    await world.iam.send(
      new CreateLoginProfileCommand({ UserName: console.name, Password: "S3cret-pass-word!" }),
    );
    const assumed = await world.role("assumed");
    const backdoored = await world.role("backdoored");
    history = new FakeEventHistory().add("us-east-1", leaked.key, [
      inWorld("stratus-create-user", { at: minutesAgo(9), key: leaked.key, params: { userName: made.name } }),
      inWorld("stratus-create-access-key", {
        at: minutesAgo(8),
        key: leaked.key,
        params: { userName: made.name },
        accessKey: { accessKeyId: madeKey, userName: made.name },
      }),
      inWorld("stratus-create-login-profile", {
        at: minutesAgo(7),
        key: leaked.key,
        params: { userName: console.name },
      }),
      inWorld("stratus-assume-role", {
        at: minutesAgo(6),
        key: leaked.key,
        params: { roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${assumed}` },
      }),
      inWorld("stratus-update-assume-role-policy", {
        at: minutesAgo(5),
        key: leaked.key,
        params: { roleName: backdoored },
      }),
    ]);
    ct.reset();
    ct.on(LookupEventsCommand).callsFake(history.handle);

    const investigated = await investigation.handler()(incidentContainedEvent(leaked.incidentId), {
      invokedFunctionArn: investigation.functionArn,
    });
    expect(investigated).toMatchObject({ status: "alerted", persistence: 5 });
    // The check of this containment is scheduled in the stack's group, deleted by Scheduler once it ran.
    const checkAt = (investigated as { checkAt: string }).checkAt;
    expect(Date.parse(checkAt)).toBeGreaterThan(Date.now() + 25 * 60_000);

    const found = (await investigation.persistenceEvents()).sort((a, b) =>
      String((a.detail as { eventTime: string }).eventTime).localeCompare(
        (b.detail as { eventTime: string }).eventTime,
      ),
    );
    expect(found.map((e) => (e.detail as { finding: { kind: string } }).finding.kind)).toEqual([
      "user",
      "access-key",
      "login-profile",
      "role-sessions",
      "trust-policy",
    ]);
    for (const event of found) await respond(event);
    // A repeated hand-over (a retried investigation) changes nothing.
    for (const event of found)
      expect((await respond(event)).outcomes.map((o) => o.decision)).toEqual(["duplicate"]);

    // The key it made: disabled and fenced like the leaked one, as its own incident linked to it.
    expect(await world.keyStatuses(made.name)).toEqual({ [madeKey]: "Inactive" });
    const madeIncident = await world.incident(`${ACCOUNT_ID}-${madeKey}`);
    expect(madeIncident).toMatchObject({ status: "contained", severity: "critical" });
    expect(madeIncident?.signals[0]?.evidence).toMatchObject({
      linkedIncident: leaked.incidentId,
      leakedKey: leaked.key,
    });
    // The user it made and the user it gave a password: quarantined, never deleted.
    expect((await world.userState(made.name)).attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    expect((await world.userState(console.name)).attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    expect(await world.userExists(console.name)).toBe(true);
    // The role it assumed: sessions issued before now denied.
    const inline = await world.iam.send(new ListRolePoliciesCommand({ RoleName: assumed }));
    expect(inline.PolicyNames).toEqual([`leaked-key-responder-revoke-${leaked.key}`]);
    // The trust policy it changed: alerted, nothing changed.
    expect((await world.roleState(backdoored)).inline).toEqual([]);

    // The leaked key's incident tells the story, its principal unchanged.
    const story = await world.incident(leaked.incidentId);
    expect(story).toMatchObject({
      status: "contained",
      severity: "critical",
      principal: { type: "user", name: leaked.user },
    });
    expect(story?.signals.map((s) => s.signal)).toEqual([
      "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
      "CreateUser",
      "CreateLoginProfile",
      "AssumeRole",
      "UpdateAssumeRolePolicy",
    ]);
    const subjects = (await world.alerts()).map((a) => a.subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^\\[CRITICAL\\] User ${made.name} created with leaked key .* - quarantined`),
        ),
        expect.stringMatching(/^\[CRITICAL\] Attacker-made key .* disabled/),
        expect.stringMatching(new RegExp(`^\\[CRITICAL\\] Console password of user ${console.name} set`)),
        expect.stringMatching(
          new RegExp(`^\\[CRITICAL\\] Role ${assumed} assumed with leaked key .* - sessions revoked`),
        ),
        expect.stringMatching(new RegExp(`^\\[CRITICAL\\] Trust policy of role ${backdoored} changed`)),
      ]),
    );

    // Someone detaches the quarantine from the user given a password: it is put back, on the leaked
    // key's incident (the user holds no key of it: never the key's owner instead), its principal kept.
    await world.iam.send(new DetachUserPolicyCommand({ UserName: console.name, PolicyArn: QUARANTINE }));
    const tamper = await respond(
      tamperEvent("detach-user-policy-quarantine.json", {
        key: leaked.key,
        user: console.name,
        policyArn: QUARANTINE,
      }),
    );
    expect(tamper.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect((await world.userState(console.name)).attached.sort()).toEqual(
      [QUARANTINE, world.sessionDenyPolicyArn].sort(),
    );
    expect((await world.incident(leaked.incidentId))?.principal).toEqual({ type: "user", name: leaked.user });
    // At the incident's severity (critical), never lower: one incident, one story.
    expect((await world.alerts()).map((a) => a.subject)).toEqual([
      expect.stringMatching(new RegExp(`^\\[CRITICAL\\] Tampered: fence of user ${console.name} put back`)),
    ]);

    // Release the leaked key's incident: everything done for it is given back; the made user keeps
    // the quarantine its own key's incident still needs.
    expect((await lkr(["release", leaked.incidentId, "--reason", "drill", "--yes"])).code).toBe(0);
    expect(await world.keyStatuses(leaked.user)).toEqual({ [leaked.key]: "Active" });
    expect((await world.userState(console.name)).attached).toEqual([]);
    expect((await world.userState(console.name)).tags).toEqual({});
    expect((await world.iam.send(new ListRolePoliciesCommand({ RoleName: assumed }))).PolicyNames).toEqual(
      [],
    );
    expect((await world.userState(made.name)).attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    // Then the made key's incident: its key Active again (it was Active when made), its user unfenced.
    expect((await lkr(["release", `${ACCOUNT_ID}-${madeKey}`, "--reason", "drill", "--yes"])).code).toBe(0);
    expect(await world.keyStatuses(made.name)).toEqual({ [madeKey]: "Active" });
    expect((await world.userState(made.name)).attached).toEqual([]);
  });

  it("an exempt user the key made is not touched, only reported", async () => {
    const leaked = await containedUser("leaked-ex");
    const exempt = await world.user("exempt", { keys: 0 });
    history = new FakeEventHistory().add("us-east-1", leaked.key, [
      inWorld("stratus-create-user", {
        at: minutesAgo(3),
        key: leaked.key,
        params: { userName: exempt.name },
      }),
    ]);
    ct.reset();
    ct.on(LookupEventsCommand).callsFake(history.handle);
    await world.alerts();
    await investigation.handler()(incidentContainedEvent(leaked.incidentId), {
      invokedFunctionArn: investigation.functionArn,
    });
    const [event] = await investigation.persistenceEvents();
    const result = await respond(event);
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect((await world.userState(exempt.name)).attached).toEqual([]);
    const alert = (await world.alerts())
      .map((a) => a.subject)
      .find((subject) => subject.includes("created with"));
    expect(alert).toMatch(
      new RegExp(`^\\[CRITICAL\\] User ${exempt.name} created with leaked key .* - NOT fenced \\(exempt\\)`),
    );
  });
});

describe("containment confirmed, against moto", () => {
  it("schedules the check in the group, and the check records confirmedAt when nothing worked after the disable", async () => {
    const leaked = await containedUser("confirmed");
    history = new FakeEventHistory();
    ct.reset();
    ct.on(LookupEventsCommand).callsFake(history.handle);
    await investigation.handler()(incidentContainedEvent(leaked.incidentId), {
      invokedFunctionArn: investigation.functionArn,
    });
    const incident = await world.incident(leaked.incidentId);
    const signal = incident?.signals[0];
    const request = {
      kind: "confirm-containment",
      incidentId: leaked.incidentId,
      containmentId: `${signal?.signalId}@${signal?.receivedAt}`,
    };
    // The name is the containment's own (its time aside).
    const { name } = confirmationScheduleOf(leaked.incidentId, request.containmentId, "", 30, new Date());
    const schedule = await new SchedulerClient({ ...world.sdk }).send(
      new GetScheduleCommand({ GroupName: investigation.scheduleGroup, Name: name }),
    );
    expect(schedule.Target).toMatchObject({
      Arn: investigation.functionArn,
      RoleArn: investigation.scheduleRoleArn,
    });
    expect(JSON.parse(schedule.Target?.Input ?? "{}")).toEqual(request);
    expect(schedule.ActionAfterCompletion).toBe("DELETE");

    const result = await investigation.handler()(request, { invokedFunctionArn: investigation.functionArn });
    expect(result).toMatchObject({ kind: "held" });
    const after = (await world.incident(leaked.incidentId)) as Record<string, unknown> | undefined;
    expect(after?.confirmedAt).toEqual(expect.any(String));
  });

  it("alerts critical when a call with the key succeeded after it was disabled, and records no confirmedAt", async () => {
    const leaked = await containedUser("not-held");
    const incident = await world.incident(leaked.incidentId);
    const signal = incident?.signals[0];
    // A call a second after the disable (and before the check runs).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    history = new FakeEventHistory().add("us-east-1", leaked.key, [
      place(loadRecord("stratus-get-secret-value"), {
        eventTime: new Date(Date.now() - 100).toISOString(),
        awsRegion: "us-east-1",
        accessKeyId: leaked.key,
      }),
    ]);
    ct.reset();
    ct.on(LookupEventsCommand).callsFake(history.handle);
    await world.alerts();
    const result = await investigation.handler()(
      {
        kind: "confirm-containment",
        incidentId: leaked.incidentId,
        containmentId: `${signal?.signalId}@${signal?.receivedAt}`,
      },
      { invokedFunctionArn: investigation.functionArn },
    );
    expect(result).toMatchObject({ kind: "not-held" });
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(/^\[CRITICAL\] Containment did not hold: key/);
    const after = (await world.incident(leaked.incidentId)) as Record<string, unknown> | undefined;
    expect(after?.confirmedAt).toBeUndefined();
    expect(after?.containmentCheck).toMatchObject({ held: false, calls: [{ eventName: "GetSecretValue" }] });
  });
});
