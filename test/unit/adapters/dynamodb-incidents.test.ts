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
  it("records a signal once, in one conditional UpdateItem that sets the status", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.recordSignal(write);
    const [input] = updates();
    expect(input).toMatchObject({
      TableName: "incidents",
      Key: { incidentId: { S: ID } },
      ConditionExpression: "attribute_not_exists(#signalIds) OR NOT contains(#signalIds, :sidValue)",
    });
    expect(input?.UpdateExpression).toContain("#status = :status,");
    expect(input?.UpdateExpression).toContain("ADD #signalIds :sid");
    expect(input?.ExpressionAttributeValues?.[":sid"]).toEqual({ SS: ["guardduty:f1"] });
  });

  it("never overwrites a status with a notification's (if_not_exists)", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.recordSignal({ ...write, status: "notified", statusIfNew: true });
    expect(updates()[0]?.UpdateExpression).toContain("#status = if_not_exists(#status, :status),");
  });

  it("on a signal already recorded, keeps the record and adds only the actions (and the status when it may set it)", async () => {
    dynamo.on(UpdateItemCommand).rejectsOnce(conditionFailed()).resolves({});
    await store.recordSignal(write);
    const second = updates()[1];
    expect(second?.UpdateExpression).toBe(
      "SET #updatedAt = :now, #actions = list_append(if_not_exists(#actions, :empty), :actions), #status = :status",
    );
    expect(second?.ConditionExpression).toBe("attribute_exists(#incidentId)");
    dynamo.reset();
    dynamo.on(UpdateItemCommand).rejectsOnce(conditionFailed()).resolves({});
    await store.recordSignal({ ...write, statusIfNew: true });
    expect(updates()[1]?.UpdateExpression).not.toContain("#status");
  });

  it("claims an alert once: true for the first caller, false when the condition fails", async () => {
    dynamo.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store.claimAlert(ID, "guardduty:f1")).toBe(true);
    expect(await store.claimAlert(ID, "guardduty:f1")).toBe(false);
    expect(updates()[0]).toMatchObject({
      UpdateExpression: "ADD #alerted :sid",
      ConditionExpression: "attribute_exists(#incidentId) AND NOT contains(#alerted, :sidValue)",
    });
  });

  it("marks a signal complete only when asked", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.appendActions(ID, [], "now");
    await store.appendActions(ID, [], "now", "guardduty:f1");
    expect(updates().map((u) => u.UpdateExpression?.includes("ADD #completed :completed"))).toEqual([
      false,
      true,
    ]);
    expect(updates()[1]?.ExpressionAttributeValues?.[":completed"]).toEqual({ SS: ["guardduty:f1"] });
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
