import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { IAMClient, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { motoClientConfig, World } from "../../local/world.js";
import { RaceProxy } from "../support/race-proxy.js";

let world: World;
let proxy: RaceProxy;
let dynamo: DynamoDBClient;
let iam: IAMClient;

beforeAll(async () => {
  world = await new World(inject("motoEndpoint")).create();
  proxy = await new RaceProxy(inject("motoEndpoint")).start();
  dynamo = new DynamoDBClient({ ...motoClientConfig(proxy.endpoint) });
  iam = new IAMClient({ ...motoClientConfig(proxy.endpoint) });
});

afterAll(async () => {
  await proxy.stop();
});

afterEach(() => {
  proxy.releaseAll();
});

const key = (id: string) => ({ incidentId: { S: id } });

/** Appends `value` to the item's list `log` (an UpdateItem list_append, as the incident store does). */
function append(id: string, value: string) {
  return dynamo.send(
    new UpdateItemCommand({
      TableName: world.tableName,
      Key: key(id),
      UpdateExpression: "SET #log = list_append(if_not_exists(#log, :empty), :v)",
      ExpressionAttributeNames: { "#log": "log" },
      ExpressionAttributeValues: { ":empty": { L: [] }, ":v": { L: [{ S: value }] } },
    }),
  );
}

async function logOf(id: string): Promise<string[]> {
  const out = await world.dynamo.send(
    new GetItemCommand({ TableName: world.tableName, Key: key(id), ConsistentRead: true }),
  );
  return (out.Item?.log?.L ?? []).map((v) => v.S ?? "");
}

describe("the race proxy in front of moto", () => {
  it("applies concurrent writes to one item one at a time, in arrival order: no append is lost", async () => {
    const id = `serial-${world.suffix}`;
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await Promise.all(values.map((v) => append(id, v)));
    const log = await logOf(id);
    expect([...log].sort()).toEqual([...values].sort());
    // The order DynamoDB applied them is the order they reached the proxy.
    const arrived = proxy.seen.filter((s) => s.items.some((i) => i.includes(id))).length;
    expect(arrived).toBe(values.length);
  });

  it("finds a PutItem's item through the table's key schema and queues it with UpdateItems of that item", async () => {
    const id = `put-${world.suffix}`;
    await dynamo.send(
      new PutItemCommand({ TableName: world.tableName, Item: { ...key(id), log: { L: [] } } }),
    );
    const [put] = proxy.seen.filter((s) => s.operation === "PutItem").slice(-1);
    expect(put?.items).toEqual([`${world.tableName} {"incidentId":{"S":"${id}"}}`]);
  });

  it("holds a chosen write until released; a later write to the same item goes first", async () => {
    const id = `hold-${world.suffix}`;
    const held = proxy.hold({ operation: "UpdateItem", match: (body) => body.includes('"first"') });
    const first = append(id, "first");
    await held.arrived;
    await append(id, "second");
    expect(await logOf(id)).toEqual(["second"]);
    held.release();
    await first;
    expect(await logOf(id)).toEqual(["second", "first"]);
  });

  it("holds an IAM Query-protocol call matched on its body: the key stays as it was until released", async () => {
    const user = await world.user("held");
    const accessKeyId = user.keys[0] as string;
    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: user.name, AccessKeyId: accessKeyId, Status: "Inactive" }),
    );
    const held = proxy.hold({
      operation: "UpdateAccessKey",
      match: (body) => body.includes("Status=Active"),
    });
    const reactivate = iam.send(
      new UpdateAccessKeyCommand({ UserName: user.name, AccessKeyId: accessKeyId, Status: "Active" }),
    );
    await held.arrived;
    expect(await world.keyStatuses(user.name)).toEqual({ [accessKeyId]: "Inactive" });
    held.release();
    await reactivate;
    expect(await world.keyStatuses(user.name)).toEqual({ [accessKeyId]: "Active" });
    expect(proxy.seen.filter((s) => s.operation === "UpdateAccessKey").map((s) => s.held)).toEqual([true]);
  });

  it("says so when the request to hold never comes, instead of leaving the test waiting", async () => {
    const held = proxy.hold({ operation: ["DetachUserPolicy", "DetachRolePolicy"], withinMs: 50 });
    await expect(held.arrived).rejects.toThrow(
      "race proxy: no DetachUserPolicy/DetachRolePolicy request to hold arrived within 50 ms",
    );
  });

  it("leaves an item as it was when an UpdateItem is refused for exceeding 400 KB, as DynamoDB does", async () => {
    const id = `size-${world.suffix}`;
    const big = "x".repeat(100_000);
    await append(id, big);
    await append(id, big);
    const before = await logOf(id);
    const restored = proxy.restored;
    await expect(
      dynamo.send(
        new UpdateItemCommand({
          TableName: world.tableName,
          Key: key(id),
          UpdateExpression: "SET #other = :o, #log = list_append(#log, :v)",
          ExpressionAttributeNames: { "#log": "log", "#other": "other" },
          ExpressionAttributeValues: { ":v": { L: [{ S: big }] }, ":o": { S: "changed" } },
        }),
      ),
    ).rejects.toThrow(/Item size to update has exceeded the maximum allowed size/);
    expect(proxy.restored).toBe(restored + 1);
    expect(await logOf(id)).toEqual(before);
    const item = await world.dynamo.send(
      new GetItemCommand({ TableName: world.tableName, Key: key(id), ConsistentRead: true }),
    );
    expect(item.Item?.other).toBeUndefined();
  });
});
