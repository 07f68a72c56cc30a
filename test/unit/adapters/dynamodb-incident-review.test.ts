import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoDbIncidentReview } from "../../../lambdas/adapters/dynamodb-incident-review.js";
import { IncidentChangedError } from "../../../lambdas/core/release/errors.js";

const dynamo = mockClient(DynamoDBClient);
const review = new DynamoDbIncidentReview(new DynamoDBClient({ region: "us-east-1" }), "incidents");
const ID = "123456789012-AKIAIOSFODNN7EXAMPLE";
const NOW = "2026-11-28T13:00:00.000Z";
const UNTIL = "2026-11-28T13:00:10.000Z";
const conditionFailed = () => new ConditionalCheckFailedException({ message: "condition", $metadata: {} });
const updates = () => dynamo.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);

beforeEach(() => dynamo.reset());

describe("DynamoDbIncidentReview: a release's reactivation window", () => {
  it("opens it with one conditional write on the release's own status and version, bumping the version", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    expect(await review.beginReactivation(ID, 4, UNTIL, NOW)).toBe(5);
    expect(updates()).toEqual([
      {
        TableName: "incidents",
        Key: { incidentId: { S: ID } },
        UpdateExpression: "SET #reactivatingUntil = :until, #version = :next, #updatedAt = :now",
        ConditionExpression: "#status = :releasing AND #version = :version",
        ExpressionAttributeNames: {
          "#reactivatingUntil": "reactivatingUntil",
          "#version": "version",
          "#updatedAt": "updatedAt",
          "#status": "status",
        },
        ExpressionAttributeValues: {
          ":until": { S: UNTIL },
          ":next": { N: "5" },
          ":now": { S: NOW },
          ":releasing": { S: "releasing" },
          ":version": { N: "4" },
        },
      },
    ]);
  });

  it("closes it on the same condition, leaving the version as it is", async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await review.endReactivation(ID, 5, NOW);
    expect(updates()[0]).toMatchObject({
      UpdateExpression: "SET #updatedAt = :now REMOVE #reactivatingUntil",
      ConditionExpression: "#status = :releasing AND #version = :version",
      ExpressionAttributeValues: {
        ":now": { S: NOW },
        ":releasing": { S: "releasing" },
        ":version": { N: "5" },
      },
    });
  });

  it("says the incident changed (a signal contained the key) when either condition fails", async () => {
    dynamo.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(review.beginReactivation(ID, 4, UNTIL, NOW)).rejects.toBeInstanceOf(IncidentChangedError);
    await expect(review.endReactivation(ID, 5, NOW)).rejects.toBeInstanceOf(IncidentChangedError);
  });
});
