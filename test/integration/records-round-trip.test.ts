import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { RespondHandler } from "../../lambdas/handlers/respond-handler.js";
import { guardDutyEvent, healthEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";
import { lkrAgainst } from "../support/lkr.js";
import { RaceProxy } from "../support/race-proxy.js";

/**
 * One round trip to Inactive (issue 12, item 4): the disable sent beside the reads, and each race
 * among them forced through the race proxy, with the real respond handler and the real `lkr`
 * in-process. After every spec the records tell the truth about IAM (checkIncidentInvariant), and
 * no release re-enables a key whose status before the responder acted is not known to be Active.
 * Also item 7: a later signal about a contained key is an update of the incident's thread.
 */

let proxy: RaceProxy;
let world: World;

function container(): RespondHandler {
  return localRespondHandler(world, { endpoint: proxy.endpoint, logLevel: "SILENT" });
}

const lkr = (args: readonly string[]) => lkrAgainst(world, args, { endpoint: proxy.endpoint });

const release = (id: string) => lkr(["release", id, "--reason", "false alarm", "--yes"]);
const finding = (key: string, user: string, id: string) =>
  guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user, id });

beforeAll(async () => {
  const moto = inject("motoEndpoint");
  useMoto(moto);
  proxy = await new RaceProxy(moto).start();
});

afterAll(async () => {
  await proxy.stop();
});

beforeEach(async () => {
  world = await new World(inject("motoEndpoint")).create();
});

afterEach(async () => {
  proxy.releaseAll();
  expect(await checkIncidentInvariant(world)).toEqual([]);
});

describe("the disable sent beside the reads", () => {
  it("is on the wire before any read has answered, and a read answered first makes the release reactivate the key", async () => {
    const user = await world.user("beside");
    const key = user.keys[0] as string;
    // The status read is held: if the responder waited for its reads, no disable would come.
    const read = proxy.hold({ operation: "ListAccessKeys", match: (body) => body.includes(user.name) });
    const disable = proxy.hold({ operation: "UpdateAccessKey", match: (body) => body.includes(key) });
    const handled = container()(finding(key, user.name, `beside-${world.suffix}`));
    await Promise.all([read.arrived, disable.arrived]);
    read.release();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the read answers first
    disable.release();
    await handled;
    const id = `${ACCOUNT_ID}-${key}`;
    expect((await world.incident(id))?.actions[0]).toMatchObject({
      kind: "disable-key",
      outcome: "done",
      undo: { previousStatus: "Active" },
    });
    expect((await release(id)).code).toBe(0);
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Active" });
  });

  it("records the status before as unknown when the disable landed before the read, and the release leaves the key Inactive, saying so", async () => {
    const user = await world.user("after");
    const key = user.keys[0] as string;
    const read = proxy.hold({ operation: "ListAccessKeys", match: (body) => body.includes(user.name) });
    const handled = container()(finding(key, user.name, `after-${world.suffix}`));
    await read.arrived;
    for (let i = 0; i < 100 && (await world.keyStatuses(user.name))[key] !== "Inactive"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    read.release();
    await handled;
    const id = `${ACCOUNT_ID}-${key}`;
    expect((await world.incident(id))?.actions[0]).toMatchObject({
      kind: "disable-key",
      undo: { previousStatus: "unknown" },
    });
    const run = await release(id);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("its status before the responder acted is unknown");
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Inactive" });
    expect((await world.incident(id))?.status).toBe("released");
  });

  it("records the disable of a re-delivered signal after a release on the incident: the key is Inactive and the record says why", async () => {
    const user = await world.user("redelivered");
    const key = user.keys[0] as string;
    const event = finding(key, user.name, `redelivered-${world.suffix}`);
    await container()(event);
    const id = `${ACCOUNT_ID}-${key}`;
    expect((await release(id)).code).toBe(0);
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Active" });
    const again = await container()(structuredClone(event));
    expect(again.outcomes.map((o) => o.decision)).toEqual(["duplicate"]);
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Inactive" });
    const incident = await world.incident(id);
    expect(incident?.status).toBe("released");
    expect(incident?.actions.at(-1)).toMatchObject({
      kind: "disable-key",
      outcome: "done",
      detail: expect.stringContaining("the signal was handled already"),
      undo: { previousStatus: "Active" },
    });
  });

  it("sends nothing before the reads for an exempt-listed user: the key stays Active", async () => {
    const user = await world.user("listed");
    const key = user.keys[0] as string;
    const handler = localRespondHandler(world, {
      endpoint: proxy.endpoint,
      logLevel: "SILENT",
      env: { EXEMPT_PRINCIPALS: user.name.toUpperCase() },
    });
    const before = proxy.seen.length;
    const result = await handler(finding(key, user.name, `listed-${world.suffix}`));
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(proxy.seen.slice(before).filter((s) => s.operation === "UpdateAccessKey")).toEqual([]);
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Active" });
  });
});

describe("one incident, one story", () => {
  it("a medium GuardDuty finding after a critical Health containment is a critical update in the incident's thread, nothing new done", async () => {
    const user = await world.user("story");
    const key = user.keys[0] as string;
    await container()(healthEvent("risk-credentials-exposed.json", [key], user.name));
    await container()(finding(key, user.name, `story-${world.suffix}`));
    const alerts = await world.alerts();
    expect(alerts.map((a) => a.subject)).toEqual([
      expect.stringMatching(/^\[CRITICAL\] Exposed key .* disabled/),
      `[CRITICAL] ${key.slice(0, 4)}...${key.slice(-4)}: new signal: GuardDuty MaliciousIPCaller.Custom; nothing new done`,
    ]);
    expect(alerts[1]?.body).toMatchObject({
      type: "leaked-key-responder.incident-update",
      incidentId: `${ACCOUNT_ID}-${key}`,
      severity: "critical",
      signalSeverity: "medium",
    });
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.severity).toBe("critical");
  });
});
