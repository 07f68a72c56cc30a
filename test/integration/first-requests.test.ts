import { beforeAll, describe, expect, inject, it } from "vitest";
import { recordAwsCalls } from "../../bench/aws-call-log.js";
import { guardDutyEvent, trustedAdvisorEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { World } from "../../local/world.js";

let world: World;
const wire = recordAwsCalls();

beforeAll(async () => {
  world = await new World(inject("motoEndpoint")).create();
});

/** The operations of the requests the handler sent, in the order it created them on the wire. */
async function firstRequestsOf(
  name: string,
  event: (key: string, user: string) => unknown,
): Promise<string[]> {
  const user = await world.user(name);
  const key = user.keys[0] as string;
  // Each call builds a new container: its first invocation is a cold one.
  const handler = localRespondHandler(world);
  wire.reset();
  await handler(event(key, user.name));
  expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Inactive" });
  return wire.calls.map((c) => c.operation);
}

describe("the first requests of a containment, on the wire (real SDK clients)", () => {
  it("send the key's status read and the disable first, then the other reads of the round trip", async () => {
    const sent = await firstRequestsOf("first-requests-gd", (key, user) =>
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user }),
    );
    expect(sent.slice(0, 2)).toEqual(["ListAccessKeys", "UpdateAccessKey"]);
    expect(sent.slice(2, 5).sort()).toEqual(["GetItem", "GetItem", "ListUserTags"]);
  });

  it("send the reads first and the disable after them when the user's exempt tag must be read first", async () => {
    const user = await world.user("first-requests-tag");
    const key = user.keys[0] as string;
    const handler = localRespondHandler(world, { env: { HONOR_EXEMPT_TAG: "true" } });
    wire.reset();
    await handler(trustedAdvisorEvent("exposed-access-keys-error.json", { key, user: user.name }));
    const sent = wire.calls.map((c) => c.operation);
    expect(sent.slice(0, 4).sort()).toEqual(["GetItem", "GetItem", "ListAccessKeys", "ListUserTags"]);
    expect(sent.indexOf("UpdateAccessKey")).toBeGreaterThan(3);
  });

  it("send the key's status read and the disable first for a Trusted Advisor item too", async () => {
    const sent = await firstRequestsOf("first-requests-ta", (key, user) =>
      trustedAdvisorEvent("exposed-access-keys-error.json", { key, user }),
    );
    expect(sent.slice(0, 2)).toEqual(["ListAccessKeys", "UpdateAccessKey"]);
  });
});
