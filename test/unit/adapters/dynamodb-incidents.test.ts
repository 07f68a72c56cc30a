import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoDbIncidentStore } from "../../../lambdas/adapters/dynamodb-incidents.js";
import { IncidentItemFullError } from "../../../lambdas/core/errors.js";
import type { SignalWrite } from "../../../lambdas/core/ports.js";

const dynamo = mockClient(DynamoDBClient);
const store = new DynamoDbIncidentStore(new DynamoDBClient({ region: "us-east-1" }), "incidents");
const ID = "123456789012-AKIAIOSFODNN7EXAMPLE";
const conditionFailed = () => new ConditionalCheckFailedException({ message: "condition", $metadata: {} });

const write: SignalWrite = {
  incidentId: ID,
  accountId: "123456789012",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  principal: { type: "user", name: "alice" },
  severity: "high",
  status: "contained",
  statusIfNew: false,
  basis: { exists: true, version: 3 },
  keepSignalOnIncident: true,
  signalAlreadyRecorded: false,
  opens: false,
  mode: "enforce",
  sample: false,
  signal: {
    signalId: "guardduty:f1",
    source: "guardduty",
    signal: "t",
    severity: "high",
    title: "t",
    observedAt: "t",
    receivedAt: "t",
    sourceEventId: "e",
    region: "us-east-1",
    evidence: {},
    decision: "contain",
    reasons: [],
  },
  actions: [],
  now: "2026-11-28T12:00:00.000Z",
};

function updates() {
  return dynamo.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
}

beforeEach(() => dynamo.reset());

describe("DynamoDbIncidentStore", () => {
  it("records a containment in one UpdateItem conditional on the version it was planned from, which it bumps; then the signal's own item", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    expect(await store.recordSignal(write)).toBe("recorded");
    const [incident, signal] = updates();
    expect(incident).toMatchObject({
      TableName: "incidents",
      Key: { incidentId: { S: ID } },
      ConditionExpression: "#version = :expectedVersion",
    });
    expect(incident?.ExpressionAttributeValues?.[":expectedVersion"]).toEqual({ N: "3" });
    expect(incident?.UpdateExpression).toContain("#version = if_not_exists(#version, :zero) + :one");
    expect(incident?.UpdateExpression).toContain("#status = :status,");
    expect(incident?.UpdateExpression).toContain(
      "#signals = list_append(if_not_exists(#signals, :empty), :signal)",
    );
    expect(incident?.UpdateExpression).toContain("ADD #signalCount :one");
    // The severity of an existing incident is never set here: it only rises, through raiseSeverity.
    expect(incident?.UpdateExpression).toContain("#severity = if_not_exists(#severity, :severity)");
    expect(signal).toMatchObject({
      Key: { incidentId: { S: `${ID}#signal#guardduty:f1` } },
      UpdateExpression: "SET #itemType = :type, #signalId = :sid, #signal = :signal, #recordedAt = :now",
    });
  });

  it("answers conflict, writing nothing more, when the incident changed since it was read", async () => {
    dynamo.on(UpdateItemCommand).rejects(conditionFailed());
    expect(await store.recordSignal(write)).toBe("conflict");
    expect(updates()).toHaveLength(1);
  });

  it("conditions a new incident on its absence, a record of an older version on having no version, and a contained one on still being contained", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.recordSignal({ ...write, basis: { exists: false, version: undefined } });
    await store.recordSignal({ ...write, basis: { exists: true, version: undefined } });
    await store.recordSignal({ ...write, basis: { exists: true, version: 7, stillContained: true } });
    expect(
      updates()
        .filter((_, i) => i % 2 === 0)
        .map((u) => u.ConditionExpression),
    ).toEqual([
      "attribute_not_exists(#incidentId)",
      "attribute_exists(#incidentId) AND attribute_not_exists(#version)",
      "#status = :contained",
    ]);
  });

  it("never overwrites a status with a notification's (if_not_exists), and a notification has no version condition", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.recordSignal({ ...write, status: "notified", statusIfNew: true, basis: undefined });
    expect(updates()[0]?.UpdateExpression).toContain("#status = if_not_exists(#status, :status),");
    expect(updates()[0]?.ConditionExpression).toBeUndefined();
  });

  it("on a retry of a signal already recorded, adds its actions without the signal or its count again", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.recordSignal({ ...write, signalAlreadyRecorded: true, keepSignalOnIncident: false });
    expect(updates()[0]?.UpdateExpression).not.toContain("#signals");
    expect(updates()[0]?.UpdateExpression).not.toContain("#signalCount");
  });

  it("claims a signal unless completed or held by a live claim of another attempt, and says which", async () => {
    dynamo
      .on(UpdateItemCommand)
      .resolvesOnce({
        Attributes: marshall({ incidentId: `${ID}#signal#s`, signalId: "s", claimOwner: "me" }),
      })
      .rejects(conditionFailed());
    dynamo
      .on(GetItemCommand)
      .resolvesOnce({ Item: marshall({ incidentId: `${ID}#signal#s`, signalId: "s", completedAt: "t" }) })
      .resolves({ Item: marshall({ incidentId: `${ID}#signal#s`, signalId: "s", claimOwner: "other" }) });
    expect(await store.claimSignal(ID, "s", "me", "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z")).toEqual({
      kind: "claimed",
      recorded: false,
    });
    expect(await store.claimSignal(ID, "s", "me", "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z")).toEqual({
      kind: "completed",
    });
    expect(await store.claimSignal(ID, "s", "me", "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z")).toEqual({
      kind: "in-progress",
    });
    expect(updates()[0]).toMatchObject({
      Key: { incidentId: { S: `${ID}#signal#s` } },
      ConditionExpression:
        "attribute_not_exists(#completedAt) AND (attribute_not_exists(#claimOwner) OR #claimOwner = :owner OR #claimExpiresAt < :now)",
      ReturnValues: "ALL_NEW",
    });
  });

  it("says a claim taken over from an attempt that recorded the signal finds it recorded (read in the claim's own write)", async () => {
    const signal = { signalId: "s", source: "guardduty" };
    dynamo.on(UpdateItemCommand).resolves({
      Attributes: marshall({ incidentId: `${ID}#signal#s`, signalId: "s", claimOwner: "me", signal }),
    });
    expect(await store.claimSignal(ID, "s", "me", "2026-01-01T00:02:00Z", "2026-01-01T00:03:30Z")).toEqual({
      kind: "claimed",
      recorded: true,
    });
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it("remembers on the signal's item that it opened the containment, and claims its Incident Contained once", async () => {
    dynamo
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .resolvesOnce({})
      .resolvesOnce({})
      .rejects(conditionFailed());
    await store.recordSignal({ ...write, opens: true });
    expect(updates()[1]?.UpdateExpression).toContain("#opened = :opened");
    expect(await store.claimEmit(ID, "guardduty:f1", "now")).toBe(true);
    expect(await store.claimEmit(ID, "guardduty:f1", "now")).toBe(false);
    expect(updates()[2]).toMatchObject({
      Key: { incidentId: { S: `${ID}#signal#guardduty:f1` } },
      ConditionExpression: "attribute_not_exists(#emittedAt)",
    });
  });

  it("raises the severity only over a lower rank (or, on records without one, a lower severity)", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.raiseSeverity(ID, "high", "now");
    await store.raiseSeverity(ID, "low", "now");
    expect(updates()).toHaveLength(1);
    expect(updates()[0]?.ConditionExpression).toBe(
      "attribute_exists(#incidentId) AND (#severityRank < :rank OR (attribute_not_exists(#severityRank) AND #severity IN (:lower0, :lower1)))",
    );
    expect(updates()[0]?.ExpressionAttributeValues).toMatchObject({
      ":rank": { N: "2" },
      ":lower0": { S: "low" },
      ":lower1": { S: "medium" },
    });
  });

  it("claims an alert once per signal, on the signal's item: true for the first caller, false when the condition fails", async () => {
    dynamo.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store.claimAlert(ID, "guardduty:f1")).toBe(true);
    expect(await store.claimAlert(ID, "guardduty:f1")).toBe(false);
    expect(updates()[0]).toMatchObject({
      Key: { incidentId: { S: `${ID}#signal#guardduty:f1` } },
      ConditionExpression: "attribute_not_exists(#alertedAt)",
    });
  });

  it("marks a signal complete, on its own item with all its actions, only when asked", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.appendActions(ID, [], "now");
    await store.appendActions(ID, [], "now", { signalId: "guardduty:f1", actions: [] });
    expect(updates().map((u) => u.Key?.incidentId?.S)).toEqual([ID, `${ID}#signal#guardduty:f1`]);
    expect(updates()[1]?.UpdateExpression).toContain("#completedAt = :now");
  });

  it("maps DynamoDB's item size limit to IncidentItemFullError, never a retry", async () => {
    const tooBig = Object.assign(new Error("Item size to update has exceeded the maximum allowed size"), {
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
    dynamo.on(UpdateItemCommand).rejects(tooBig);
    await expect(store.appendActions(ID, [], "now")).rejects.toThrow(IncidentItemFullError);
  });

  it("reads an incident consistently and turns its string sets into sorted arrays", async () => {
    dynamo.on(GetItemCommand).resolves({
      Item: marshall({
        incidentId: ID,
        accountId: "123456789012",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        status: "contained",
        severity: "high",
        principal: { type: "user", name: "alice" },
        createdAt: "t",
        updatedAt: "t",
        mode: "enforce",
        sample: false,
        signalIds: new Set(["b", "a"]),
        alertedSignalIds: new Set(["a"]),
        signals: [],
        actions: [],
      }),
    });
    const incident = await store.get(ID);
    expect(incident).toMatchObject({ signalIds: ["a", "b"], alertedSignalIds: ["a"], status: "contained" });
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: "incidents",
      Key: { incidentId: { S: ID } },
      ConsistentRead: true,
    });
  });
});
