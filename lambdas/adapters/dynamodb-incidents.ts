import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { ActionRecord, Incident } from "../core/incident.js";
import type { IncidentStore, SignalWrite } from "../core/ports.js";
import { call } from "./aws-errors.js";
import { conditionFailureOf, getIncidentItem, incidentFromItem, names } from "./dynamodb-support.js";

/** Incidents in one DynamoDB table, key `incidentId`; every write is a single conditional UpdateItem. */
export class DynamoDbIncidentStore implements IncidentStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(incidentId: string): Promise<Incident | undefined> {
    const item = await getIncidentItem(this.client, this.tableName, incidentId);
    return item ? incidentFromItem(item) : undefined;
  }

  async recordSignal(write: SignalWrite): Promise<void> {
    const values = {
      ":account": write.accountId,
      ":key": write.accessKeyId,
      ":principal": write.principal,
      ":severity": write.severity,
      ":status": write.status,
      ":mode": write.mode,
      ":sample": write.sample,
      ":now": write.now,
      ":empty": [],
      ":signal": [write.signal],
      ":actions": write.actions,
    };
    try {
      await call("dynamodb:UpdateItem", () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall({ incidentId: write.incidentId }),
            // Every attribute through a #name: several (status, mode, sample, ...) are reserved words.
            UpdateExpression:
              "SET #accountId = :account, #accessKeyId = :key, #principal = :principal, #severity = :severity, " +
              `#status = ${write.statusIfNew ? "if_not_exists(#status, :status)" : ":status"}, ` +
              "#mode = :mode, #sample = :sample, #updatedAt = :now, " +
              "#createdAt = if_not_exists(#createdAt, :now), " +
              "#signals = list_append(if_not_exists(#signals, :empty), :signal), " +
              "#actions = list_append(if_not_exists(#actions, :empty), :actions) " +
              "ADD #signalIds :sid",
            ConditionExpression: "attribute_not_exists(#signalIds) OR NOT contains(#signalIds, :sidValue)",
            ExpressionAttributeNames: names(
              "accountId",
              "accessKeyId",
              "principal",
              "severity",
              "status",
              "mode",
              "sample",
              "updatedAt",
              "createdAt",
              "signals",
              "actions",
              "signalIds",
            ),
            ExpressionAttributeValues: {
              ...marshall(values, { removeUndefinedValues: true, convertEmptyValues: false }),
              ":sid": { SS: [write.signal.signalId] },
              ":sidValue": { S: write.signal.signalId },
            },
          }),
        ),
      );
    } catch (error) {
      if (conditionFailureOf(error) === undefined) throw error;
      // A retry of a signal already on record: keep the record, add what this attempt did.
      await this.update(write.incidentId, write.actions, write.now, {
        ...(write.statusIfNew ? {} : { status: write.status }),
      });
    }
  }

  appendActions(
    incidentId: string,
    actions: readonly ActionRecord[],
    now: string,
    completedSignalId?: string,
  ): Promise<void> {
    return this.update(incidentId, actions, now, { completedSignalId });
  }

  private async update(
    incidentId: string,
    actions: readonly ActionRecord[],
    now: string,
    options: { status?: string; completedSignalId?: string | undefined },
  ) {
    const { status, completedSignalId } = options;
    const values: Record<string, unknown> = { ":now": now, ":empty": [], ":actions": actions };
    if (status !== undefined) values[":status"] = status;
    const set = ["#updatedAt = :now", "#actions = list_append(if_not_exists(#actions, :empty), :actions)"];
    if (status !== undefined) set.push("#status = :status");
    await call("dynamodb:UpdateItem", () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ incidentId }),
          UpdateExpression: `SET ${set.join(", ")}${completedSignalId !== undefined ? " ADD #completed :completed" : ""}`,
          ConditionExpression: "attribute_exists(#incidentId)",
          ExpressionAttributeNames: {
            ...names("updatedAt", "actions", "incidentId", ...(status !== undefined ? ["status"] : [])),
            ...(completedSignalId !== undefined ? { "#completed": "completedSignalIds" } : {}),
          },
          ExpressionAttributeValues: {
            ...marshall(values, { removeUndefinedValues: true }),
            ...(completedSignalId !== undefined ? { ":completed": { SS: [completedSignalId] } } : {}),
          },
        }),
      ),
    );
  }

  async claimAlert(incidentId: string, signalId: string): Promise<boolean> {
    try {
      await call("dynamodb:UpdateItem", () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall({ incidentId }),
            UpdateExpression: "ADD #alerted :sid",
            ConditionExpression: "attribute_exists(#incidentId) AND NOT contains(#alerted, :sidValue)",
            ExpressionAttributeNames: { "#alerted": "alertedSignalIds", "#incidentId": "incidentId" },
            ExpressionAttributeValues: { ":sid": { SS: [signalId] }, ":sidValue": { S: signalId } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (conditionFailureOf(error) !== undefined) return false;
      throw error;
    }
  }

  async releaseAlertClaim(incidentId: string, signalId: string): Promise<void> {
    await call("dynamodb:UpdateItem", () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ incidentId }),
          UpdateExpression: "DELETE #alerted :sid",
          ExpressionAttributeNames: { "#alerted": "alertedSignalIds" },
          ExpressionAttributeValues: { ":sid": { SS: [signalId] } },
        }),
      ),
    );
  }
}
