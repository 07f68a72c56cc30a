import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardDutyEvent } from "../../local/events.js";
import { type MotoServer, startMoto } from "../../local/moto-server.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { IamVisibilityProxy } from "../support/iam-visibility-proxy.js";
import { checkIncidentInvariant } from "../support/invariant.js";
import { lkrAgainst } from "../support/lkr.js";

const V4 = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const V3 = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";

/**
 * A partition without AWSCompromisedKeyQuarantineV4: a moto of its own, as shipped (its AWS managed
 * policies end at V3). The default quarantine policy, V4, answers NoSuchEntity there.
 */
let moto: MotoServer;
let proxy: IamVisibilityProxy | undefined;
let world: World;

beforeAll(async () => {
  moto = await startMoto({ quarantineV4: false });
  // Behind the same proxy as the shared moto (global-setup.ts): an IAM change becomes visible to a
  // concurrent read as late as AWS makes it, so the read beside the early disable sees Active.
  proxy = await new IamVisibilityProxy(moto.endpoint).start();
  useMoto(proxy.endpoint); // lkr resolves its clients from the environment
  world = await new World(proxy.endpoint).create();
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe("the default quarantine policy V4, where the partition does not have it", () => {
  it("attaches V3 instead, records that V3 is the one attached, and a release detaches exactly V3", async () => {
    const handler = localRespondHandler(world);
    const alice = await world.user("nov4");
    const key = alice.keys[0] as string;
    const result = await handler(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: alice.name }),
    );

    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await world.keyStatuses(alice.name)).toEqual({ [key]: "Inactive" });
    expect((await world.userState(alice.name)).attached).toEqual([V3, world.sessionDenyPolicyArn]);
    const id = `${ACCOUNT_ID}-${key}`;
    const incident = await world.incident(id);
    expect(incident?.actions.find((a) => a.kind === "attach-quarantine-policy")).toMatchObject({
      outcome: "done",
      undo: { policyArn: V3 },
      detail: `${V4} does not exist here (NoSuchEntity): ${V3} attached`,
    });
    expect(await checkIncidentInvariant(world, { quarantinePolicyArn: V3 })).toEqual([]);

    const run = await lkrAgainst(world, ["release", id, "--reason", "drill of the fallback", "--yes"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await world.keyStatuses(alice.name)).toEqual({ [key]: "Active" });
    expect(await world.userState(alice.name)).toEqual({ attached: [], inline: [], tags: {} });
  });
});
