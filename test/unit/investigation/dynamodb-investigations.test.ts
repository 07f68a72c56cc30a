import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoDbInvestigationStore } from "../../../lambdas/adapters/dynamodb-investigations.js";
import { IncidentNotFoundError } from "../../../lambdas/core/investigation/errors.js";
import { ActivityAggregator } from "../../../lambdas/core/investigation/summary.js";
import { storedIncident } from "./support.js";

const ddb = mockClient(DynamoDBClient);
const TABLE = "incidents";
const INCIDENT = "123456789012-AKIAR7ISFR69YWROPYAN";
const summary = new ActivityAggregator("AKIAR7ISFR69YWROPYAN").summary({
  window: {
    start: "2024-07-29T14:00:00.000Z",
    end: "2024-08-01T14:05:00.000Z",
    basis: "lookback-before-detection",
  },
  regions: ["us-east-1"],
  followed: new Set(),
  topN: 10,
});
const write = {
  incidentId: INCIDENT,
  summary,
  fingerprint: "0|-|-|complete",
  lastEventAt: "",
  now: "2024-08-01T14:06:00.000Z",
};

function conditionFailed(item?: Record<string, unknown>) {
  return new ConditionalCheckFailedException({
    message: "The conditional request failed",
    $metadata: { httpStatusCode: 400 },
    ...(item ? { Item: marshall(item) } : {}),
  });
}

describe("DynamoDbInvestigationStore", () => {
  const store = new DynamoDbInvestigationStore(new DynamoDBClient({ region: "us-east-1" }), TABLE);
  beforeEach(() => ddb.reset());

  it("reads the whole incident, typed, and the investigation state on it, with one consistent GetItem", async () => {
    const incident = storedIncident("AKIAR7ISFR69YWROPYAN", "2024-08-01T14:00:00.000Z");
    ddb.on(GetItemCommand).resolves({
      Item: marshall({ ...incident, investigationFingerprint: "fp", investigatedContainment: "c@t" }),
    });
    expect(await store.getIncident(INCIDENT)).toEqual({
      incident: expect.objectContaining({
        incidentId: INCIDENT,
        status: "contained",
        signals: incident.signals,
      }),
      state: { fingerprint: "fp", lastEventAt: undefined, investigatedContainment: "c@t" },
    });
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { incidentId: { S: INCIDENT } },
      ConsistentRead: true,
    });
  });

  it("marks a containment investigated with one conditional UpdateItem touching only that attribute", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.markInvestigated(INCIDENT, "guardduty:f@2024-08-01T14:00:00.000Z");
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { incidentId: { S: INCIDENT } },
      UpdateExpression: "SET investigatedContainment = :c",
      ConditionExpression: "attribute_exists(incidentId)",
      ExpressionAttributeValues: { ":c": { S: "guardduty:f@2024-08-01T14:00:00.000Z" } },
    });
  });

  it("marking an incident that vanished is IncidentNotFoundError", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.markInvestigated(INCIDENT, "c@t")).rejects.toThrow(IncidentNotFoundError);
  });

  it("reads the recorded fingerprint with one consistent, projected GetItem", async () => {
    ddb.on(GetItemCommand).resolves({
      Item: marshall({
        incidentId: INCIDENT,
        investigationFingerprint: "3|2024-08-01T13:40:02.000Z|e1|complete",
        investigationLastEventAt: "2024-08-01T13:40:02.000Z",
      }),
    });
    expect(await store.getState(INCIDENT)).toEqual({
      fingerprint: "3|2024-08-01T13:40:02.000Z|e1|complete",
      lastEventAt: "2024-08-01T13:40:02.000Z",
    });
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { incidentId: { S: INCIDENT } },
      ConsistentRead: true,
      ProjectionExpression: "incidentId, investigationFingerprint, investigationLastEventAt",
    });
  });

  it("says there is no incident when the item is absent, and no fingerprint when never investigated", async () => {
    ddb
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: marshall({ incidentId: INCIDENT }) });
    expect(await store.getState(INCIDENT)).toBeUndefined();
    expect(await store.getState(INCIDENT)).toEqual({ fingerprint: undefined, lastEventAt: undefined });
  });

  it("records the summary and fingerprint in one UpdateItem conditional on the incident and on new activity", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    expect(await store.record(write)).toBe("recorded");
    const input = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      Key: { incidentId: { S: INCIDENT } },
      UpdateExpression:
        "SET investigation = :summary, investigationFingerprint = :fp, investigationLastEventAt = :last, investigatedAt = :now",
      ConditionExpression:
        "attribute_exists(incidentId) AND " +
        "(attribute_not_exists(investigationFingerprint) OR investigationFingerprint <> :fp) AND " +
        "(attribute_not_exists(investigationLastEventAt) OR investigationLastEventAt <= :last)",
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    expect(input?.ExpressionAttributeValues?.[":fp"]).toEqual({ S: "0|-|-|complete" });
    expect(input?.ExpressionAttributeValues?.[":last"]).toEqual({ S: "" });
    expect(input?.ExpressionAttributeValues?.[":summary"]?.M?.totalCalls).toEqual({ N: "0" });
  });

  it("answers unchanged when the same fingerprint is already recorded", async () => {
    ddb
      .on(UpdateItemCommand)
      .rejects(conditionFailed({ incidentId: INCIDENT, investigationFingerprint: write.fingerprint }));
    expect(await store.record(write)).toBe("unchanged");
  });

  it("answers stale when newer activity is already recorded", async () => {
    ddb.on(UpdateItemCommand).rejects(
      conditionFailed({
        incidentId: INCIDENT,
        investigationFingerprint: "9|2024-08-01T14:00:00.000Z|e9|complete",
        investigationLastEventAt: "2024-08-01T14:00:00.000Z",
      }),
    );
    expect(await store.record(write)).toBe("stale");
  });

  it("throws IncidentNotFoundError when the incident is gone", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.record(write)).rejects.toThrow(IncidentNotFoundError);
  });

  it("releases its own claim back to the previous state, or removes it", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.release(INCIDENT, "5|t|e|complete", { fingerprint: "3|s|d|complete", lastEventAt: "s" });
    await store.release(INCIDENT, "5|t|e|complete", { fingerprint: undefined, lastEventAt: undefined });
    const [first, second] = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(first).toEqual({
      TableName: TABLE,
      Key: { incidentId: { S: INCIDENT } },
      UpdateExpression: "SET investigationFingerprint = :prevFp, investigationLastEventAt = :prevLast",
      ConditionExpression: "investigationFingerprint = :fp",
      ExpressionAttributeValues: {
        ":fp": { S: "5|t|e|complete" },
        ":prevFp": { S: "3|s|d|complete" },
        ":prevLast": { S: "s" },
      },
    });
    expect(second).toMatchObject({
      UpdateExpression: "REMOVE investigationFingerprint, investigationLastEventAt",
      ConditionExpression: "investigationFingerprint = :fp",
      ExpressionAttributeValues: { ":fp": { S: "5|t|e|complete" } },
    });
  });

  it("leaves a newer claim alone when releasing", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(
      store.release(INCIDENT, "5|t|e|complete", { fingerprint: undefined, lastEventAt: undefined }),
    ).resolves.toBeUndefined();
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });
});
