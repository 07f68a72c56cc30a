import { DetachUserPolicyCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { guardDutyEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, World } from "../../local/world.js";
import { checkIncidentInvariant } from "../support/invariant.js";

const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";

let world: World;

beforeAll(async () => {
  world = await new World(inject("motoEndpoint")).create();
});

describe("checkIncidentInvariant", () => {
  it("holds for a contained key, and names each lie once IAM no longer matches the record", async () => {
    const user = await world.user("liar");
    const key = user.keys[0] as string;
    const id = `${ACCOUNT_ID}-${key}`;
    await localRespondHandler(world, { logLevel: "SILENT" })(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }),
    );
    expect(await checkIncidentInvariant(world)).toEqual([]);

    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: user.name, AccessKeyId: key, Status: "Active" }),
    );
    await world.iam.send(new DetachUserPolicyCommand({ UserName: user.name, PolicyArn: QUARANTINE }));
    expect(await checkIncidentInvariant(world)).toEqual([
      `${id}: status contained and its actions say ${QUARANTINE} is on user ${user.name}, but it is not attached`,
      `${id}: status contained, but key ${key} is Active`,
    ]);
  });
});
