import {
  DeleteRolePolicyCommand,
  DetachUserPolicyCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { RespondResult } from "../../lambdas/handlers/respond-handler.js";
import { cloudTrailEvent, guardDutyEvent, readFixture, tamperEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";
import { lkrAgainst } from "../support/lkr.js";

/**
 * The tamper watch against moto: someone undoes part of a containment while the responder holds
 * the incident (contained or resolved) → the responder puts it back and alerts high in the
 * incident's thread; the operator's own release is not tampering.
 */
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";

let world: World;

// The record never lies: after every spec, each incident agrees with IAM (see test/support/invariant.ts).
afterEach(async () => {
  expect(await checkIncidentInvariant(world)).toEqual([]);
});
let handler: (event: unknown) => Promise<RespondResult>;

async function lkr(args: readonly string[]): Promise<number> {
  return (await lkrAgainst(world, args)).code;
}

/** A user whose key the real handler contained (its containment alert drained). */
async function containedUser(base: string) {
  const user = await world.user(base);
  const key = user.keys[0] as string;
  const result = await handler(
    guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }),
  );
  expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
  await world.alerts();
  return { user: user.name, key, id: `${ACCOUNT_ID}-${key}` };
}

/** A role whose session key the real handler contained (GuardDuty instance credential exfiltration). */
async function containedRole(base: string) {
  const role = await world.role(base);
  const event = readFixture("aws.guardduty/instance-credential-exfiltration-outside-aws.json") as {
    id: string;
    detail: { id: string; resource: { accessKeyDetails: { userName: string; accessKeyId: string } } };
  };
  event.detail.resource.accessKeyDetails.userName = role;
  const key = `ASIA${world.suffix.toUpperCase().replace(/[^A-Z0-9]/g, "0")}00000000`.slice(0, 20);
  event.detail.resource.accessKeyDetails.accessKeyId = key;
  event.detail.id = `exfil-${world.suffix}`;
  const result = await handler(event);
  expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
  await world.alerts();
  return { role, key, id: `${ACCOUNT_ID}-${key}` };
}

function decisions(result: RespondResult): string[] {
  return result.outcomes.map((o) => o.decision);
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint")); // lkr resolves its clients from the environment
  world = await new World(inject("motoEndpoint")).create();
  handler = localRespondHandler(world, { logLevel: "SILENT" });
});

beforeEach(async () => {
  await world.alerts();
});

describe("tamper watch against moto", () => {
  it("disables a resolved incident's key again when someone re-enables it, and alerts high in its thread", async () => {
    const a = await containedUser("resolved");
    expect(await lkr(["resolve", a.id, "--reason", "rotated"])).toBe(0);
    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: a.user, AccessKeyId: a.key, Status: "Active" }),
    );

    const result = await handler(
      cloudTrailEvent("update-access-key-active.json", { key: a.key, user: a.user }),
    );
    expect(decisions(result)).toEqual(["contain"]);
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Inactive" });
    const incident = await world.incident(a.id);
    expect(incident?.status).toBe("contained");
    const [alert, ...more] = await world.alerts();
    expect(more).toEqual([]);
    expect(alert?.subject).toMatch(/^\[HIGH\] Re-enabled key .* disabled/);
    expect(alert?.body).toMatchObject({ incidentId: a.id, decision: "contain" });
  });

  it("attaches the quarantine policy again when someone detaches it from a contained user", async () => {
    const a = await containedUser("detachq");
    await world.iam.send(new DetachUserPolicyCommand({ UserName: a.user, PolicyArn: QUARANTINE }));
    const result = await handler(
      tamperEvent("detach-user-policy-quarantine.json", { key: a.key, user: a.user, policyArn: QUARANTINE }),
    );
    expect(decisions(result)).toEqual(["contain"]);
    expect([...(await world.userState(a.user)).attached].sort()).toEqual(
      [QUARANTINE, world.sessionDenyPolicyArn].sort(),
    );
    // The incident keeps what says something new (the tag's rewrite repeats the containment's and
    // stays on the signal's own item, which keeps every action).
    const actions = (await world.incident(a.id))?.actions.slice(4).map((x) => [x.kind, x.outcome]);
    expect(actions).toEqual([
      ["disable-key", "already"],
      ["attach-quarantine-policy", "done"],
      ["attach-session-deny-policy", "already"],
    ]);
    expect(Object.keys((await world.userState(a.user)).tags)).toContain(
      `leaked-key-responder:quarantine:${a.key}`,
    );
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(/^\[HIGH\] Tampered key /);
    expect(alert?.body).toMatchObject({ incidentId: a.id, signal: "DetachUserPolicy" });
  });

  it("attaches the session-deny policy again when someone detaches it", async () => {
    const a = await containedUser("detachsd");
    await world.iam.send(
      new DetachUserPolicyCommand({ UserName: a.user, PolicyArn: world.sessionDenyPolicyArn }),
    );
    const result = await handler(
      tamperEvent("detach-user-policy-quarantine.json", {
        key: a.key,
        user: a.user,
        policyArn: world.sessionDenyPolicyArn,
      }),
    );
    expect(decisions(result)).toEqual(["contain"]);
    expect((await world.userState(a.user)).attached).toContain(world.sessionDenyPolicyArn);
  });

  it("puts a role's revoke policy back through the revoker when someone deletes it", async () => {
    const r = await containedRole("deleterevoke");
    const policyName = `leaked-key-responder-revoke-${r.key}`;
    await world.iam.send(new DeleteRolePolicyCommand({ RoleName: r.role, PolicyName: policyName }));
    expect((await world.roleState(r.role)).inline).toEqual([]);
    const result = await handler(tamperEvent("delete-role-policy-revoke.json", { key: r.key, role: r.role }));
    expect(decisions(result)).toEqual(["contain"]);
    expect((await world.roleState(r.role)).inline).toEqual([policyName]);
    const [alert] = await world.alerts();
    expect(alert?.body).toMatchObject({ incidentId: r.id, signal: "DeleteRolePolicy" });
  });

  it("tags the user again when someone removes its quarantine tag", async () => {
    const a = await containedUser("untag");
    const tagKey = `leaked-key-responder:quarantine:${a.key}`;
    await world.iam.send(new UntagUserCommand({ UserName: a.user, TagKeys: [tagKey] }));
    const result = await handler(tamperEvent("untag-user-quarantine.json", { key: a.key, user: a.user }));
    expect(decisions(result)).toEqual(["contain"]);
    expect(Object.keys((await world.userState(a.user)).tags)).toEqual([tagKey]);
  });

  it("does nothing after the operator's release: undoing is then the operator's own doing", async () => {
    const a = await containedUser("released");
    expect(await lkr(["release", a.id, "--reason", "false alarm", "--yes"])).toBe(0);
    await world.alerts();
    const before = await world.userState(a.user);
    const events = [
      cloudTrailEvent("update-access-key-active.json", { key: a.key, user: a.user }),
      tamperEvent("detach-user-policy-quarantine.json", { key: a.key, user: a.user, policyArn: QUARANTINE }),
      tamperEvent("untag-user-quarantine.json", { key: a.key, user: a.user }),
    ];
    for (const event of events) {
      const result = await handler(event);
      expect(result.outcomes.every((o) => o.decision === "ignore")).toBe(true);
    }
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Active" });
    expect(await world.userState(a.user)).toEqual(before);
    expect(await world.alerts()).toEqual([]);
    expect((await world.incident(a.id))?.status).toBe("released");
  });

  it("alerts high, and changes nothing, when a user tags itself exempt", async () => {
    const a = await containedUser("selfexempt");
    const event = tamperEvent("tag-user-exempt.json", { key: a.key, user: a.user });
    const result = await handler(event);
    expect(result).toMatchObject({ status: "handled", outcomes: [], notices: 1 });
    const [alert, ...more] = await world.alerts();
    expect(more).toEqual([]);
    expect(alert?.subject).toBe(
      `[HIGH] Responder tag set on user ${a.user} by another caller - account ${ACCOUNT_ID}`,
    );
    expect(alert?.body).toMatchObject({
      type: "leaked-key-responder.tag-notice",
      tagKeys: ["leaked-key-responder:exempt"],
    });
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Inactive" });
  });

  it("ignores the responder's own quarantine tagging", async () => {
    const ownRole = `arn:aws:iam::${ACCOUNT_ID}:role/LeakedKeyResponder-RespondRole`;
    const own = localRespondHandler(world, { logLevel: "SILENT", env: { RESPONDER_ROLE_ARNS: ownRole } });
    const result = await own(readFixture("aws.iam/tag-user-by-responder.json"));
    expect(result).toEqual({ status: "ignored", outcomes: [] });
    expect(await world.alerts()).toEqual([]);
  });
});
