import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { type AuditRecord, AuditRecordSchema, LATEST_AUDIT_ID } from "../core/audit/digest.js";
import type { AuditStore, ExposureHistory } from "../core/audit/ports.js";
import { TransientAwsError } from "../core/errors.js";
import { incidentIdOf } from "../core/incident.js";
import { call } from "./aws-errors.js";
import { getItem } from "./dynamodb-support.js";

/** BatchGetItem takes 100 keys at most. */
const BATCH = 100;
const MAX_UNPROCESSED_ROUNDS = 5;

/** The incidents of keys, read by their deterministic ids (`<account>-<key>`) in batches of 100. */
export class DynamoDbExposureHistory implements ExposureHistory {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async incidentsOf(accountId: string, accessKeyIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    const ids = [...new Set(accessKeyIds)];
    for (let i = 0; i < ids.length; i += BATCH) {
      let keys: Record<string, AttributeValue>[] = ids
        .slice(i, i + BATCH)
        .map((id) => marshall({ incidentId: incidentIdOf(accountId, id) }));
      for (let round = 0; keys.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) {
          throw new TransientAwsError("dynamodb:BatchGetItem", { cause: new Error("keys left unprocessed") });
        }
        const out = await call("dynamodb:BatchGetItem", () =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: keys,
                  ProjectionExpression: "#id, #key",
                  ExpressionAttributeNames: { "#id": "incidentId", "#key": "accessKeyId" },
                },
              },
            }),
          ),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const { incidentId, accessKeyId } = unmarshall(item) as {
            incidentId: string;
            accessKeyId?: string;
          };
          const key = accessKeyId ?? incidentId.slice(accountId.length + 1);
          found.set(key, [...(found.get(key) ?? []), incidentId]);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }
}

/** Audit records in the incident table: `audit#<date>` per day and `audit#latest`, never in the status index. */
export class DynamoDbAuditStore implements AuditStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async previous(): Promise<AuditRecord | undefined> {
    const item = await getItem(this.client, this.tableName, LATEST_AUDIT_ID);
    return item === undefined ? undefined : AuditRecordSchema.parse(item);
  }

  async record(record: AuditRecord): Promise<void> {
    for (const item of [record, { ...record, incidentId: LATEST_AUDIT_ID }]) {
      await call("dynamodb:PutItem", () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: marshall(item, { removeUndefinedValues: true }),
          }),
        ),
      );
    }
  }
}
