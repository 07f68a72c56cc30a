import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { AttachUserPolicyCommand } from "@aws-sdk/client-iam";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { capturedIo, type Io } from "../../cli/io.js";
import { LeakedKeyResponder } from "../../infra/leaked-key-responder.js";
import type { Incident } from "../../lambdas/core/incident.js";
import { drillEvent, guardDutyEvent, healthEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";
import { lkrAgainst } from "../support/lkr.js";

const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const MOTO_CALLER = `arn:aws:sts::${ACCOUNT_ID}:user/moto`;
const EXIT = { ok: 0, failure: 1, usage: 2, unknownIncident: 3, conflict: 4, configuration: 5 };

type Handler = (event: unknown) => Promise<{ status: string; outcomes: readonly { decision: string }[] }>;
type Main = (argv: readonly string[], options?: { io?: Io }) => Promise<number>;

let world: World;

// The record never lies: after every spec, each incident agrees with IAM (see test/support/invariant.ts).
afterEach(async () => {
  expect(await checkIncidentInvariant(world)).toEqual([]);
});
let handler: Handler;
let main: Main;

function loadHandler(env: Record<string, string> = {}): Handler {
  return localRespondHandler(world, { env });
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs lkr in-process against moto, with the test's table and topic; no terminal unless `answer` is given. */
function lkr(args: readonly string[], options: { answer?: string } = {}): Promise<Run> {
  const answer = options.answer;
  return lkrAgainst(world, args, { io: { ask: answer === undefined ? undefined : async () => answer } });
}

function json<T>(run: Run): T {
  return JSON.parse(run.stdout) as T;
}

/** A user whose key the real handler contained after a GuardDuty MaliciousIPCaller finding. */
async function containedUser(base: string, options: { before?: (user: string) => Promise<void> } = {}) {
  const user = await world.user(base);
  const key = user.keys[0] as string;
  await options.before?.(user.name);
  const result = await handler(
    guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }),
  );
  expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
  await world.alerts(); // the containment's own alert
  return { user: user.name, key, id: `${ACCOUNT_ID}-${key}` };
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint")); // lkr resolves its clients from the environment
  world = await new World(inject("motoEndpoint")).create();
  handler = loadHandler();
  main = (await import("../../cli/main.js")).main;
});

beforeEach(async () => {
  await world.alerts();
});

describe("lkr incidents", () => {
  it("lists incidents as a table, filters by status and --since, and prints JSON with --json", async () => {
    const a = await containedUser("list");
    const table = await lkr(["incidents", "--status", "open"]);
    expect(table.code).toBe(EXIT.ok);
    const header = table.stdout.split("\n")[0];
    expect(header).toMatch(/^ID\s+TIME\s+ACCOUNT\s+PRINCIPAL\s+KEY\s+SIGNAL\s+SEVERITY\s+STATUS\s+ACTIONS$/);
    const row = table.stdout.split("\n").find((l) => l.startsWith(a.id));
    expect(row).toBeDefined();
    expect(row?.split(/\s{2,}/)).toEqual([
      a.id,
      expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/),
      ACCOUNT_ID,
      `user ${a.user}`,
      `${a.key.slice(0, 4)}...${a.key.slice(-4)}`,
      "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Cu…",
      "medium",
      "contained",
      "4 done",
    ]);

    const listed = json<Incident[]>(await lkr(["incidents", "--json", "--since", "1h"]));
    expect(listed.find((i) => i.incidentId === a.id)).toMatchObject({
      status: "contained",
      accessKeyId: a.key,
    });
    const released = json<Incident[]>(await lkr(["incidents", "--json", "--status", "released"]));
    expect(released.map((i) => i.incidentId)).not.toContain(a.id);
    const future = await lkr(["incidents", "--since", "2099-01-01"]);
    expect(future.stdout.trim()).toBe("No incidents (updated since 2099-01-01T00:00:00.000Z).");
  });

  it("refuses a bad --status or --since with a usage error", async () => {
    const status = await lkr(["incidents", "--status", "closed"]);
    expect(status.code).toBe(EXIT.usage);
    expect(status.stderr).toContain(
      '--status "closed": expected one of open, contained, notified, releasing, released, resolved',
    );
    const since = await lkr(["incidents", "--since", "a week"]);
    expect(since.code).toBe(EXIT.usage);
  });
});

describe("lkr show", () => {
  it("shows signals, each action with time and result, and what a release would do", async () => {
    const a = await containedUser("show");
    const run = await lkr(["show", a.id]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`Incident ${a.id}\n  Status:      contained`);
    expect(run.stdout).toContain(
      "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom  [guardduty, medium, us-east-2] → contain, alerted",
    );
    for (const kind of [
      "disable-key",
      "attach-quarantine-policy",
      "attach-session-deny-policy",
      "tag-principal",
    ]) {
      expect(run.stdout).toMatch(new RegExp(`\\d{2}:\\d{2}:\\d{2}Z\\s+${kind}\\s+.*\\s+done`));
    }
    expect(run.stdout).toContain("RELEASE HISTORY (0)\n  none");
    expect(run.stdout).toContain(
      [
        "A RELEASE WOULD (based on the 4 actions recorded since the incident opened)",
        `  - Reactivate access key ${a.key} of user ${a.user}`,
        `  - Detach ${QUARANTINE} from user ${a.user}`,
        `  - Detach ${world.sessionDenyPolicyArn} from user ${a.user}`,
        `  - Remove tag leaked-key-responder:quarantine:${a.key} from user ${a.user}`,
      ].join("\n"),
    );

    const byKey = json<Incident & { releasePlan: { steps: { kind: string }[] } }>(
      await lkr(["show", a.key, "--json"]),
    );
    expect(byKey.incidentId).toBe(a.id);
    expect(byKey.releasePlan.steps.map((s) => s.kind)).toEqual([
      "reactivate-key",
      "detach-quarantine-policy",
      "detach-session-deny-policy",
      "untag-principal",
    ]);
  });

  it("exits 3 with a clear message for an unknown incident", async () => {
    const run = await lkr(["show", `${ACCOUNT_ID}-AKIAZZZZZZZZZZZZZZZZ`]);
    expect(run.code).toBe(EXIT.unknownIncident);
    expect(run.stderr).toBe(
      `lkr: No incident ${ACCOUNT_ID}-AKIAZZZZZZZZZZZZZZZZ in table ${world.tableName}. List them with: lkr incidents\n`,
    );
    expect(run.stdout).toBe("");
  });
});

describe("lkr release", () => {
  it("after a full containment: key Active again, policy detached, inline policy and tag gone, release recorded, alert sent", async () => {
    const a = await containedUser("full");
    const run = await lkr(["release", a.id, "--reason", "pentest key, false alarm", "--yes"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(EXIT.ok);

    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Active" });
    expect(await world.userState(a.user)).toEqual({ attached: [], inline: [], tags: {} });
    const incident = await world.incident(a.id);
    expect(incident?.status).toBe("released");
    expect(incident?.releases).toEqual([
      { at: expect.any(String), by: MOTO_CALLER, reason: "pentest key, false alarm", kind: "release" },
    ]);
    expect(incident?.actions.slice(4).map((x) => [x.kind, x.target, x.outcome])).toEqual([
      ["reactivate-key", `${a.key} (user ${a.user})`, "done"],
      ["detach-quarantine-policy", `user ${a.user}`, "done"],
      ["detach-session-deny-policy", `user ${a.user}`, "done"],
      ["untag-principal", `user ${a.user}`, "done"],
      ["release", a.id, "done"],
    ]);

    const [alert, ...more] = await world.alerts();
    expect(more).toEqual([]);
    expect(alert?.subject).toBe(
      `[RELEASED] key ${a.key.slice(0, 4)}...${a.key.slice(-4)} reactivated - user ${a.user}, account ${ACCOUNT_ID}`,
    );
    expect(alert?.body).toMatchObject({
      type: "leaked-key-responder.incident-released",
      incidentId: a.id,
      status: "released",
      complete: true,
      by: MOTO_CALLER,
      reason: "pentest key, false alarm",
      conflicts: [],
      failures: [],
    });
    expect(run.stdout).toContain(`Incident ${a.id}: released`);
    expect(run.stdout).toContain("Alert sent on the alert topic.");
  });

  it("after a partial containment: undoes only what was done, leaves a policy attached before the responder", async () => {
    const partialHandler = loadHandler({
      QUARANTINE_POLICY_ARN: `arn:aws:iam::${ACCOUNT_ID}:policy/does-not-exist`,
    });
    const user = await world.user("partial");
    const key = user.keys[0] as string;
    // A policy the user had before the incident: never touched.
    await world.iam.send(new AttachUserPolicyCommand({ UserName: user.name, PolicyArn: QUARANTINE }));
    await partialHandler(guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }));
    handler = loadHandler();
    const id = `${ACCOUNT_ID}-${key}`;
    expect((await world.incident(id))?.actions.map((x) => [x.kind, x.outcome])).toEqual([
      ["disable-key", "done"],
      ["attach-quarantine-policy", "not-found"],
      ["attach-session-deny-policy", "done"],
      ["tag-principal", "done"],
    ]);

    const run = await lkr(["release", id, "--reason", "partial", "--yes"]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain("leave attach-quarantine-policy on user");
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Active" });
    expect(await world.userState(user.name)).toEqual({ attached: [QUARANTINE], inline: [], tags: {} });
    const incident = await world.incident(id);
    expect(incident?.status).toBe("released");
    expect(incident?.actions.slice(4).map((x) => x.kind)).toEqual([
      "reactivate-key",
      "detach-session-deny-policy",
      "untag-principal",
      "release",
    ]);
  });

  it("a quarantine policy attached before the responder acted stays attached", async () => {
    const a = await containedUser("preattached", {
      before: async (user) => {
        await world.iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: QUARANTINE }));
      },
    });
    expect((await world.incident(a.id))?.actions[1]).toMatchObject({
      kind: "attach-quarantine-policy",
      outcome: "already",
    });
    const run = await lkr(["release", a.id, "--reason", "false alarm", "--yes"]);
    expect(run.code).toBe(EXIT.ok);
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Active" });
    expect(await world.userState(a.user)).toEqual({ attached: [QUARANTINE], inline: [], tags: {} });
  });

  it("twice: the second is a conflict (exit 4), changes nothing and records nothing", async () => {
    const a = await containedUser("twice");
    expect((await lkr(["release", a.id, "--reason", "first", "--yes"])).code).toBe(EXIT.ok);
    const before = await world.incident(a.id);
    await world.alerts();
    const second = await lkr(["release", a.id, "--reason", "second", "--yes"]);
    expect(second.code).toBe(EXIT.conflict);
    expect(second.stderr).toBe(
      `lkr: Incident ${a.id} is released already: it cannot be released. Its history: lkr show ${a.id}\n`,
    );
    expect(await world.incident(a.id)).toEqual(before);
    expect(await world.alerts()).toEqual([]);
  });

  it("of a notify-only incident: nothing to undo in IAM, status released, alert sent", async () => {
    const notifyOnly = loadHandler({ RESPONSE_MODE: "notify-only" });
    const user = await world.user("notifyonly");
    const key = user.keys[0] as string;
    await notifyOnly(guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }));
    handler = loadHandler();
    const id = `${ACCOUNT_ID}-${key}`;
    expect((await world.incident(id))?.status).toBe("notified");
    await world.alerts();

    const run = await lkr(["release", id, "--reason", "known test key", "--yes"]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(
      "change nothing in IAM (the responder changed nothing), and close the incident",
    );
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Active" });
    expect(await world.userState(user.name)).toEqual({ attached: [], inline: [], tags: {} });
    const incident = await world.incident(id);
    expect(incident?.status).toBe("released");
    expect(incident?.actions.map((x) => x.kind)).toEqual(["release"]);
    expect((await world.alerts()).map((x) => x.subject)).toEqual([
      `[RELEASED] incident for key ${key.slice(0, 4)}...${key.slice(-4)} released - user ${user.name}, account ${ACCOUNT_ID}`,
    ]);
  });

  it("when the key was deleted meanwhile: records not-found, removes the rest, exits 4 saying so", async () => {
    const a = await containedUser("deleted");
    await world.deleteKey(a.user, a.key);
    const run = await lkr(["release", a.id, "--reason", "false alarm", "--yes"]);
    expect(run.code).toBe(EXIT.conflict);
    expect(run.stderr).toContain(`Incident ${a.id} is released, but not everything could be given back:`);
    expect(run.stderr).toContain(
      `access key ${a.key} of user ${a.user} no longer exists (deleted meanwhile?): it could not be reactivated`,
    );
    expect(await world.userState(a.user)).toEqual({ attached: [], inline: [], tags: {} });
    const incident = await world.incident(a.id);
    expect(incident?.status).toBe("released");
    expect(incident?.actions.slice(4).map((x) => [x.kind, x.outcome])).toEqual([
      ["reactivate-key", "not-found"],
      ["detach-quarantine-policy", "done"],
      ["detach-session-deny-policy", "done"],
      ["untag-principal", "done"],
      ["release", "done"],
    ]);
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(/^\[RELEASED WITH CONFLICTS\] incident for key /);
  });

  it("refuses without --reason, and without --yes when there is no terminal; changes nothing", async () => {
    const a = await containedUser("refuse");
    const noReason = await lkr(["release", a.id, "--yes"]);
    expect(noReason.code).toBe(EXIT.usage);
    expect(noReason.stderr).toContain('release needs --reason "why"');
    const blank = await lkr(["release", a.id, "--reason", "  ", "--yes"]);
    expect(blank.code).toBe(EXIT.usage);
    const noTty = await lkr(["release", a.id, "--reason", "false alarm"]);
    expect(noTty.code).toBe(EXIT.usage);
    expect(noTty.stderr).toContain("no terminal to ask in: pass --yes");
    const declined = await lkr(["release", a.id, "--reason", "false alarm"], { answer: "n" });
    expect(declined.code).toBe(EXIT.failure);
    expect(declined.stderr).toContain("Not released: nothing was changed.");
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Inactive" });
    expect((await world.incident(a.id))?.status).toBe("contained");

    const confirmed = await lkr(["release", a.id, "--reason", "false alarm"], { answer: "yes" });
    expect(confirmed.code).toBe(EXIT.ok);
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Active" });
  });

  it("exits 5 with a clear message when there are no AWS credentials", async () => {
    const saved = { ...process.env };
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials";
      process.env.AWS_CONFIG_FILE = "/nonexistent/config";
      process.env.AWS_EC2_METADATA_DISABLED = "true";
      const run = await lkr(["incidents"]);
      expect(run.code).toBe(EXIT.configuration);
      expect(run.stderr).toMatch(
        /^lkr: No AWS credentials found\. Sign in \(aws sso login \/ aws configure\)/,
      );
    } finally {
      process.env = saved;
    }
  });
});

describe("lkr resolve", () => {
  it("closes the incident without undoing: the key stays Inactive, the quarantine stays", async () => {
    const a = await containedUser("resolve");
    const run = await lkr(["resolve", a.id, "--reason", "key rotated and deleted"]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`access key ${a.key} of user ${a.user} stays Inactive`);
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Inactive" });
    const state = await world.userState(a.user);
    expect(state.attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    expect(state.inline).toEqual([]);
    const incident = await world.incident(a.id);
    expect(incident?.status).toBe("resolved");
    expect(incident?.releases).toEqual([
      { at: expect.any(String), by: MOTO_CALLER, reason: "key rotated and deleted", kind: "resolve" },
    ]);
    expect(await world.alerts()).toEqual([]);
    expect((await lkr(["release", a.id, "--reason", "x", "--yes"])).code).toBe(EXIT.conflict);
    expect((await lkr(["resolve", a.id, "--reason", "x"])).code).toBe(EXIT.conflict);
    const noReason = await lkr(["resolve", a.id]);
    expect(noReason.code).toBe(EXIT.usage);
  });
});

describe("drills", () => {
  it("a drill event for a user not tagged as a canary changes nothing, records nothing, alerts nobody, and is counted", async () => {
    const real = await world.user("untagged");
    const key = real.keys[0] as string;
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, "write").mockImplementation(capture);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(capture);
    let result: Awaited<ReturnType<Handler>>;
    try {
      const warnings = localRespondHandler(world, { logLevel: "WARN" });
      result = await warnings(drillEvent({ key, user: real.name, drillId: `untagged-${world.suffix}` }));
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(result.outcomes.map((o) => o.decision)).toEqual(["ignore"]);
    expect(await world.keyStatuses(real.name)).toEqual({ [key]: "Active" });
    expect(await world.userState(real.name)).toEqual({ attached: [], inline: [], tags: {} });
    const id = `${ACCOUNT_ID}-${key}`;
    expect(await world.incident(id)).toBeUndefined();
    expect((await world.alerts()).filter((a) => JSON.stringify(a.body).includes(key))).toEqual([]);

    // One embedded-metric-format log line: CloudWatch counts it as LeakedKeyResponder/IgnoredDrills.
    const logged = lines.flatMap((l) => l.split("\n")).filter((l) => l.includes("drill ignored"));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({
      level: "WARN",
      message: "drill ignored: not a drill canary",
      IgnoredDrills: 1,
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: "LeakedKeyResponder",
            Dimensions: [[]],
            Metrics: [{ Name: "IgnoredDrills", Unit: "Count" }],
          },
        ],
      },
    });
  });

  it("lkr drill: canary contained by the responder, time printed, drill incident resolved, canary removed", async () => {
    const bus = await world.routeDrillEvents();
    // moto runs no Lambda: this loop is the rule's target, feeding drill events to the real handler
    // (with the account field moto leaves out).
    let running = true;
    const delivered: string[] = [];
    const pump = (async () => {
      while (running) {
        for (const event of await world.drillEvents()) {
          delivered.push(String(event.source));
          await handler({ ...event, account: ACCOUNT_ID });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let run: Run;
    try {
      run = await lkr(["drill", "--timeout", "30", "--event-bus", bus, "--json"]);
    } finally {
      running = false;
      await pump;
    }
    expect(run.code).toBe(EXIT.ok);
    expect(delivered).toEqual(["leaked-key-responder.drill"]);
    const out = json<{
      passed: boolean;
      userName: string;
      accessKeyId: string;
      incidentId: string;
      containedMs: number;
      removed: string[];
    }>(run);
    expect(out.passed).toBe(true);
    expect(out.incidentId).toBe(`${ACCOUNT_ID}-${out.accessKeyId}`);
    expect(out.containedMs).toBeGreaterThanOrEqual(0);
    expect(run.stderr).toMatch(/Contained in \d+\.\d\d s \(drill event sent → key seen Inactive/);
    expect(run.stderr).toMatch(/key Inactive · incident yes · alert yes · actions recorded yes/);
    expect(out.removed).toEqual([
      `access key ${out.accessKeyId}`,
      `attached policy ${QUARANTINE}`,
      `attached policy ${world.sessionDenyPolicyArn}`,
      `tags leaked-key-responder:drill, leaked-key-responder:quarantine:${out.accessKeyId}`,
      `user ${out.userName}`,
    ]);
    expect(await world.userExists(out.userName)).toBe(false);
    const incident = await world.incident(out.incidentId);
    expect(incident?.status).toBe("resolved");
    expect(incident?.actions.map((x) => [x.kind, x.outcome])).toEqual([
      ["disable-key", "done"],
      ["attach-quarantine-policy", "done"],
      ["attach-session-deny-policy", "done"],
      ["tag-principal", "done"],
      ["resolve", "done"],
    ]);
    expect(incident?.releases?.[0]).toMatchObject({ kind: "resolve", by: MOTO_CALLER });
  });
});

describe("a Health event's incident", () => {
  it("is listed, shown and released like any other", async () => {
    const user = await world.user("health");
    const key = user.keys[0] as string;
    await handler(healthEvent("risk-credentials-exposed.json", [key]));
    const id = `${ACCOUNT_ID}-${key}`;
    const show = await lkr(["show", id]);
    expect(show.stdout).toContain("AWS_RISK_CREDENTIALS_EXPOSED");
    expect((await lkr(["release", id, "--reason", "test", "--yes"])).code).toBe(EXIT.ok);
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Active" });
  });
});

describe("two keys of one user contained by one Health event", () => {
  it("releasing the first keeps the quarantine policy the second still needs; releasing the second detaches it", async () => {
    const user = await world.user("twokeys", { keys: 2 });
    const [k1, k2] = user.keys as [string, string];
    await handler(healthEvent("risk-credentials-exposed.json", [k1, k2], user.name));
    await world.alerts();
    const [id1, id2] = [`${ACCOUNT_ID}-${k1}`, `${ACCOUNT_ID}-${k2}`];
    const attachOf = async (id: string) =>
      (await world.incident(id))?.actions.find((x) => x.kind === "attach-quarantine-policy")?.outcome;
    // One incident attached the policy, the other found it attached.
    expect([await attachOf(id1), await attachOf(id2)].sort()).toEqual(["already", "done"]);
    expect(await world.keyStatuses(user.name)).toEqual({ [k1]: "Inactive", [k2]: "Inactive" });

    const first = await lkr(["release", id1, "--reason", "first key is a false alarm", "--yes"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(EXIT.ok);
    const reason = `still needed by the quarantine of ${k2}: it stays attached, held now by incident ${id2}, whose release detaches it`;
    const denyReason = reason; // the session-deny policy is per principal too: handed over the same way
    expect(first.stdout).toContain(
      `Left as it was:\n  - attach-quarantine-policy on user ${user.name}: ${reason}\n  - attach-session-deny-policy on user ${user.name}: ${denyReason}`,
    );
    expect(await world.keyStatuses(user.name)).toEqual({ [k1]: "Active", [k2]: "Inactive" });
    const afterFirst = await world.userState(user.name);
    expect(afterFirst.attached).toEqual([QUARANTINE, world.sessionDenyPolicyArn]);
    expect(afterFirst.inline).toEqual([]);
    expect(Object.keys(afterFirst.tags)).toEqual([`leaked-key-responder:quarantine:${k2}`]);
    expect((await world.incident(id1))?.status).toBe("released");
    expect((await world.incident(id2))?.status).toBe("contained");
    const [alert] = await world.alerts();
    expect(alert?.subject).toMatch(/^\[RELEASED\] /);
    expect(alert?.body).toMatchObject({
      kept: [
        { kind: "attach-quarantine-policy", target: `user ${user.name}`, reason },
        { kind: "attach-session-deny-policy", target: `user ${user.name}`, reason: denyReason },
      ],
    });

    const second = await lkr(["release", id2, "--reason", "second key too", "--yes"]);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(EXIT.ok);
    expect(await world.keyStatuses(user.name)).toEqual({ [k1]: "Active", [k2]: "Active" });
    expect(await world.userState(user.name)).toEqual({ attached: [], inline: [], tags: {} });
    expect(
      (await world.incident(id2))?.actions
        .filter((x) => x.signalId.startsWith("lkr:"))
        .map((x) => [x.kind, x.outcome]),
    ).toEqual([
      ["take-over-quarantine-policy", "done"],
      ["take-over-quarantine-policy", "done"],
      ["reactivate-key", "done"],
      ["detach-quarantine-policy", "done"],
      ["detach-session-deny-policy", "done"],
      ["untag-principal", "done"],
      ["release", "done"],
    ]);
  });
});

describe("lkr release of another account's incident", () => {
  const MEMBER = "210987654321";

  it("is refused with exit 4 before anything changes: no IAM change, nothing written, no alert", async () => {
    // A member account's incident about a same-named user and key; moto's credentials are for ACCOUNT_ID.
    const a = await containedUser("member");
    const own = await world.dynamo.send(
      new GetItemCommand({
        TableName: world.tableName,
        Key: { incidentId: { S: a.id } },
        ConsistentRead: true,
      }),
    );
    const id = `${MEMBER}-${a.key}`;
    await world.dynamo.send(
      new PutItemCommand({
        TableName: world.tableName,
        Item: { ...own.Item, incidentId: { S: id }, accountId: { S: MEMBER } },
      }),
    );
    const iamBefore = await world.userState(a.user);
    const before = await world.incident(id);

    const run = await lkr(["release", id, "--reason", "false alarm", "--yes"]);
    expect(run.code).toBe(EXIT.conflict);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `lkr: Incident ${id} is in account ${MEMBER}, but your credentials are for account ${ACCOUNT_ID}. Nothing was changed or recorded. Run the release with credentials for account ${MEMBER} (e.g. --profile NAME).\n`,
    );
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Inactive" });
    expect(await world.userState(a.user)).toEqual(iamBefore);
    expect(await world.incident(id)).toEqual(before);
    expect(await world.alerts()).toEqual([]);

    // The same release in the incident's own account goes ahead.
    expect((await lkr(["release", a.id, "--reason", "false alarm", "--yes"])).code).toBe(EXIT.ok);
    expect(await world.keyStatuses(a.user)).toEqual({ [a.key]: "Active" });
  });
});

describe("lkr finds the deployed responder through its stack outputs", () => {
  async function lkrWithoutTable(args: readonly string[]): Promise<Run> {
    const run = capturedIo({ random: () => "0" });
    const code = await main(args, { io: run.io });
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }

  it("reads IncidentTableName from CloudFormation DescribeStacks for --stack", async () => {
    const stackName = `LeakedKeyResponder-${world.suffix}`;
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify({
          Resources: { Topic: { Type: "AWS::SNS::Topic" } },
          Outputs: {
            IncidentTableName: { Value: world.tableName },
            AlertTopicArn: { Value: world.topicArn },
          },
        }),
      }),
    );
    const run = await lkrWithoutTable(["incidents", "--stack", stackName, "--json"]);
    expect(run.code).toBe(EXIT.ok);
    expect(Array.isArray(JSON.parse(run.stdout))).toBe(true);
  });

  it("finds a responder someone placed in their own stack, through the outputs the construct publishes", async () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "MySecurity");
    const responder = new LeakedKeyResponder(stack, "LeakedKeys");
    const synthesized = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
    // What CloudFormation would resolve the construct's Refs to: this world's table and topic.
    const deployed = new Map<string, string>([
      [JSON.stringify(stack.resolve(responder.incidentTable.tableName)), world.tableName],
      [JSON.stringify(stack.resolve(responder.alertTopic.topicArn)), world.topicArn],
    ]);
    const outputs = Object.entries(synthesized).flatMap(([key, output]) => {
      const value = deployed.get(JSON.stringify(output.Value));
      return value === undefined ? [] : [[key, { Value: value }] as const];
    });
    expect(outputs.map(([key]) => key)).toEqual(["IncidentTableName", "AlertTopicArn"]);
    const stackName = `MySecurity-${world.suffix}`;
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify({
          Resources: { Topic: { Type: "AWS::SNS::Topic" } },
          Outputs: Object.fromEntries(outputs),
        }),
      }),
    );
    const a = await containedUser("consumer");
    const run = await lkrWithoutTable(["incidents", "--stack", stackName, "--json"]);
    expect(run.code).toBe(EXIT.ok);
    expect((JSON.parse(run.stdout) as Incident[]).map((i) => i.incidentId)).toContain(a.id);
  }, 180_000); // synthesizing the construct takes a while on a busy machine

  it("exits 5 with what to pass when the stack does not exist", async () => {
    const run = await lkrWithoutTable(["incidents", "--stack", "NoSuchStack"]);
    expect(run.code).toBe(EXIT.configuration);
    expect(run.stderr).toMatch(/Stack NoSuchStack was not found.*pass --stack and --region, or --table/);
  });
});
