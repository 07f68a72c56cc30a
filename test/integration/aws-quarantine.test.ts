import { UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { awsQuarantineEvent, healthEvent, readFixture } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";
import { lkrAgainst } from "../support/lkr.js";

const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
/** AWS's quarantine under the user's own identity, naming the key (Panther's AWS.IAM.AccessKeyCompromised test). */
const NAMES_KEY = "put-user-policy-aws-exposed-credential.json";
/** AWS's quarantine under another identity: no key of the user (Panther's IAMCompromisedKeyQuarantine test). */
const NAMES_NONE = "attach-user-policy-aws-quarantine-v2.json";
/** The Health RISK event that follows, as AWS publishes it. */
const HEALTH = "risk-credentials-exposed.json";

type Handler = (
  event: unknown,
) => Promise<{ status: string; outcomes: readonly { incidentId: string; decision: string }[] }>;

let world: World;
let handler: Handler;

// The record never lies: after every spec, each incident agrees with IAM (see test/support/invariant.ts).
afterEach(async () => {
  expect(await checkIncidentInvariant(world)).toEqual([]);
});

/** lkr in-process against moto, with the world's table and topic. */
const lkr = (args: readonly string[]) => lkrAgainst(world, args);

beforeAll(async () => {
  useMoto(inject("motoEndpoint")); // lkr resolves its clients from the environment
  world = await new World(inject("motoEndpoint")).create();
  handler = localRespondHandler(world, { logLevel: "SILENT" });
});

beforeEach(async () => {
  await world.alerts();
  await world.containedEvents();
});

const short = (key: string) => `${key.slice(0, 4)}...${key.slice(-4)}`;

describe("AWS's own quarantine call, then the Health event that follows: one incident", () => {
  it("a record naming the user's key: contains exactly that key (the other stays Active); the Health event joins the same incident", async () => {
    const bob = await world.user("named", { keys: 2 });
    const [leaked, other] = bob.keys as [string, string];
    const first = await handler(awsQuarantineEvent(NAMES_KEY, { user: bob.name, key: leaked }));

    const id = `${ACCOUNT_ID}-${leaked}`;
    expect(first.outcomes).toEqual([expect.objectContaining({ incidentId: id, decision: "contain" })]);
    expect(await world.keyStatuses(bob.name)).toEqual({ [leaked]: "Inactive", [other]: "Active" });
    expect((await world.userState(bob.name)).attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    const [alert, ...more] = await world.alerts();
    expect(more).toEqual([]);
    expect(alert?.subject).toBe(
      `[CRITICAL] Exposed key ${short(leaked)} disabled - user ${bob.name}, account ${ACCOUNT_ID}`,
    );
    expect(await world.containedEvents()).toHaveLength(1);

    const then = await handler(healthEvent(HEALTH, [leaked]));
    expect(then.outcomes).toEqual([expect.objectContaining({ incidentId: id, decision: "contain" })]);
    const incident = await world.incident(id);
    expect(incident?.status).toBe("contained");
    expect(incident?.severity).toBe("critical");
    expect(incident?.signals.map((s) => s.signal)).toEqual([
      "PutUserPolicy AWSExposedCredentialPolicy_DO_NOT_REMOVE",
      "AWS_RISK_CREDENTIALS_EXPOSED",
    ]);
    // Nothing more to change: the key was Inactive and fenced before AWS's email went out.
    expect(incident?.actions.map((a) => [a.kind, a.outcome, a.signalId.split(":")[0]])).toEqual([
      ["disable-key", "done", "cloudtrail"],
      ["attach-quarantine-policy", "done", "cloudtrail"],
      ["attach-session-deny-policy", "done", "cloudtrail"],
      ["tag-principal", "done", "cloudtrail"],
      ["disable-key", "already", "health"],
      ["attach-quarantine-policy", "already", "health"],
      ["attach-session-deny-policy", "already", "health"],
    ]);
    expect(await world.keyStatuses(bob.name)).toEqual({ [leaked]: "Inactive", [other]: "Active" });
    // One containment, one Incident Contained.
    expect(await world.containedEvents()).toEqual([]);
  });

  it("a record naming no key, the user with exactly one Active key: contains it, says it was inferred; the Health event joins", async () => {
    const carol = await world.user("one", { keys: 2 });
    const [old, active] = carol.keys as [string, string];
    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: carol.name, AccessKeyId: old, Status: "Inactive" }),
    );
    const first = await handler(awsQuarantineEvent(NAMES_NONE, { user: carol.name }));

    const id = `${ACCOUNT_ID}-${active}`;
    expect(first.outcomes).toEqual([expect.objectContaining({ incidentId: id, decision: "contain" })]);
    expect(await world.keyStatuses(carol.name)).toEqual({ [old]: "Inactive", [active]: "Inactive" });
    const [alert] = await world.alerts();
    expect(alert?.subject).toBe(
      `[CRITICAL] Exposed key ${short(active)} disabled (inferred) - user ${carol.name}, account ${ACCOUNT_ID}`,
    );
    expect(alert?.body).toMatchObject({ evidence: { keyInferred: "true" } });

    const then = await handler(healthEvent(HEALTH, [active]));
    expect(then.outcomes).toEqual([expect.objectContaining({ incidentId: id, decision: "contain" })]);
    expect((await world.incident(id))?.signals.map((s) => s.signal)).toEqual([
      "AttachUserPolicy AWSCompromisedKeyQuarantineV2",
      "AWS_RISK_CREDENTIALS_EXPOSED",
    ]);
  });

  it("a record naming no key, the user with two Active keys: fences the user, disables neither, alerts critical naming both; the Health event names one and contains exactly it, in that key's incident", async () => {
    const dave = await world.user("twokeys", { keys: 2 });
    const [k1, k2] = [...(dave.keys as [string, string])].sort() as [string, string];
    const first = await handler(awsQuarantineEvent(NAMES_NONE, { user: dave.name }));

    expect(first.outcomes.map((o) => [o.incidentId, o.decision])).toEqual([
      [`${ACCOUNT_ID}-${k1}`, "fence"],
      [`${ACCOUNT_ID}-${k2}`, "fence"],
    ]);
    expect(await world.keyStatuses(dave.name)).toEqual({ [k1]: "Active", [k2]: "Active" });
    const fenced = await world.userState(dave.name);
    expect(fenced.attached).toEqual([world.sessionDenyPolicyArn]);
    expect(Object.keys(fenced.tags).sort()).toEqual([
      `leaked-key-responder:quarantine:${k1}`,
      `leaked-key-responder:quarantine:${k2}`,
    ]);
    const alerts = await world.alerts();
    expect(alerts.map((a) => a.subject)).toEqual([
      `[CRITICAL] AWS quarantined user ${dave.name}: sessions denied, candidate key ${short(k1)}`,
      `[CRITICAL] AWS quarantined user ${dave.name}: sessions denied, candidate key ${short(k2)}`,
    ]);
    for (const alert of alerts) {
      expect(alert.body).toMatchObject({ decision: "fence", evidence: { candidateKeys: `${k1}, ${k2}` } });
    }
    for (const key of [k1, k2]) {
      const incident = await world.incident(`${ACCOUNT_ID}-${key}`);
      expect(incident?.status).toBe("notified");
      expect(incident?.actions.map((a) => [a.kind, a.outcome])).toEqual([
        ["attach-session-deny-policy", key === k1 ? "done" : "already"],
        ["tag-principal", "done"],
      ]);
    }
    expect(await world.containedEvents()).toEqual([]);

    const then = await handler(healthEvent(HEALTH, [k2]));
    expect(then.outcomes).toEqual([
      expect.objectContaining({ incidentId: `${ACCOUNT_ID}-${k2}`, decision: "contain" }),
    ]);
    expect(await world.keyStatuses(dave.name)).toEqual({ [k1]: "Active", [k2]: "Inactive" });
    expect([...(await world.userState(dave.name)).attached].sort()).toEqual(
      [QUARANTINE, world.sessionDenyPolicyArn].sort(),
    );
    const joined = await world.incident(`${ACCOUNT_ID}-${k2}`);
    expect(joined?.status).toBe("contained");
    expect(joined?.signals.map((s) => s.signal)).toEqual([
      "AttachUserPolicy AWSCompromisedKeyQuarantineV2",
      "AWS_RISK_CREDENTIALS_EXPOSED",
    ]);
    expect((await world.incident(`${ACCOUNT_ID}-${k1}`))?.status).toBe("notified");
    expect(await world.containedEvents()).toHaveLength(1);
  });

  it("releasing both fenced candidates (no Health event came): the first hands the session deny over to the other candidate's incident, the second lifts it; no key is touched", async () => {
    const hank = await world.user("fenced", { keys: 2 });
    const [k1, k2] = [...(hank.keys as [string, string])].sort() as [string, string];
    await handler(awsQuarantineEvent(NAMES_NONE, { user: hank.name }));
    await world.alerts();

    const first = await lkr(["release", `${ACCOUNT_ID}-${k1}`, "--reason", "not the leaked key", "--yes"]);
    expect(first.code).toBe(0);
    // k2 is still a candidate: its incident takes the session deny over.
    expect(await world.userState(hank.name)).toEqual({
      attached: [world.sessionDenyPolicyArn],
      inline: [],
      tags: { [`leaked-key-responder:quarantine:${k2}`]: expect.any(String) },
    });
    expect((await world.incident(`${ACCOUNT_ID}-${k1}`))?.status).toBe("released");
    expect((await world.incident(`${ACCOUNT_ID}-${k2}`))?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ["attach-session-deny-policy", "already"],
      ["tag-principal", "done"],
      ["take-over-quarantine-policy", "done"],
    ]);

    const second = await lkr(["release", `${ACCOUNT_ID}-${k2}`, "--reason", "neither was leaked", "--yes"]);
    expect(second.code).toBe(0);
    expect(await world.userState(hank.name)).toEqual({ attached: [], inline: [], tags: {} });
    expect(await world.keyStatuses(hank.name)).toEqual({ [k1]: "Active", [k2]: "Active" });
  });

  it("the same record delivered twice changes nothing more and alerts once", async () => {
    const erin = await world.user("twice");
    const key = erin.keys[0] as string;
    const event = awsQuarantineEvent(NAMES_KEY, { user: erin.name, key });
    await handler(event);
    const again = await handler(event);
    expect(again.outcomes.map((o) => o.decision)).toEqual(["duplicate"]);
    expect(await world.alerts()).toHaveLength(1);
  });

  it("is not triggered by the responder's own attachment of the quarantine policy (its SDK's user agent)", async () => {
    const frank = await world.user("own");
    const key = frank.keys[0] as string;
    const event = awsQuarantineEvent("attach-user-policy-aws-quarantine-by-user.json", {
      user: frank.name,
      key,
    });
    (event.detail as Record<string, unknown>).userAgent = "aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js";
    const result = await handler(event);
    expect(result.status).toBe("ignored");
    expect(await world.keyStatuses(frank.name)).toEqual({ [key]: "Active" });
    expect(await world.alerts()).toEqual([]);
  });
});

describe("GuardDuty Extended Threat Detection: AttackSequence:IAM/CompromisedCredentials", () => {
  it("contains every access key the attack sequence names, each in its own incident, critical", async () => {
    const gina = await world.user("sequence", { keys: 2 });
    const [k1, k2] = gina.keys as [string, string];
    const result = await handler(attackSequenceEvent(gina.name, [k1, k2]));

    expect(result.outcomes.map((o) => [o.incidentId, o.decision])).toEqual([
      [`${ACCOUNT_ID}-${k1}`, "contain"],
      [`${ACCOUNT_ID}-${k2}`, "contain"],
    ]);
    expect(await world.keyStatuses(gina.name)).toEqual({ [k1]: "Inactive", [k2]: "Inactive" });
    for (const key of [k1, k2]) {
      const incident = await world.incident(`${ACCOUNT_ID}-${key}`);
      expect(incident?.severity).toBe("critical");
      expect(incident?.status).toBe("contained");
    }
    expect((await world.alerts()).map((a) => a.subject)).toEqual([
      `[CRITICAL] Abused key ${short(k1)} disabled - user ${gina.name}, account ${ACCOUNT_ID}`,
      `[CRITICAL] Abused key ${short(k2)} disabled - user ${gina.name}, account ${ACCOUNT_ID}`,
    ]);
  });
});

/** The published-shape attack sequence fixture, its credentials pointed at keys that exist in moto. */
function attackSequenceEvent(user: string, keys: readonly [string, string]): Record<string, unknown> {
  const event = readFixture("aws.guardduty/attack-sequence-iam-compromised-credentials.json");
  const sequence = (event.detail as { service: { detection: { sequence: AttackSequenceFixture } } }).service
    .detection.sequence;
  sequence.actors.forEach((actor, i) => {
    actor.user.name = user;
    actor.user.credentialUid = keys[i] as string;
  });
  for (const resource of sequence.resources) {
    resource.uid = keys[0];
    resource.data.accessKey.userName = user;
  }
  return event;
}

interface AttackSequenceFixture {
  actors: { user: { name: string; credentialUid: string } }[];
  resources: { uid: string; data: { accessKey: { userName: string } } }[];
}
