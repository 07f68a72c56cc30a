import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import {
  HONEY_ITEM_TYPE,
  type HoneyKeyRecord,
  HoneyKeyRecordSchema,
  honeyItemKey,
} from "../core/honeykey/model.js";
import type { HoneyKeyStore, HoneyUserDirectory } from "../core/honeykey/ports.js";
import type { HoneyUse } from "../core/honeykey/use.js";
import { call } from "./aws-errors.js";
import { getItem, ITEM_TYPE, names, updateIfAllowed, updateItem } from "./dynamodb-support.js";

/**
 * Honey key items of the incident table, beside the incidents (each carries `itemType`, no
 * `status`, so incident listings and the status index skip them):
 * - `honeykeys`: the index, a string set of every honey key id ever planted (read with GetItem:
 *   nobody needs Scan);
 * - `honeykey#<key>`: the record (placement, user, state, last use, alert cooldown per source IP);
 * - `honeykey#<key>#use#<CloudTrail event id>`: one per use.
 */
export const HONEY_INDEX_KEY = "honeykeys";

export function honeyUseItemKey(accessKeyId: string, eventId: string): string {
  return `${honeyItemKey(accessKeyId)}#use#${eventId}`;
}

export class DynamoDbHoneyKeys implements HoneyKeyStore, HoneyUserDirectory {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Writes a new record (never over an existing one) and lists its key in the index. */
  async create(record: HoneyKeyRecord): Promise<void> {
    await call("dynamodb:PutItem", () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(
            {
              incidentId: honeyItemKey(record.accessKeyId),
              [ITEM_TYPE]: HONEY_ITEM_TYPE,
              alertedIps: {},
              ...record,
            },
            { removeUndefinedValues: true },
          ),
          ConditionExpression: "attribute_not_exists(incidentId)",
        }),
      ),
    );
    await updateItem(this.client, this.tableName, HONEY_INDEX_KEY, {
      update: "SET #itemType = :type ADD #keys :key",
      names: names(ITEM_TYPE, "keys"),
      values: { ":type": "honeykey-index" },
      rawValues: { ":key": { SS: [record.accessKeyId] } },
    });
  }

  async get(accessKeyId: string): Promise<HoneyKeyRecord | undefined> {
    const item = await getItem(this.client, this.tableName, honeyItemKey(accessKeyId));
    return item === undefined ? undefined : HoneyKeyRecordSchema.parse(item);
  }

  async list(): Promise<HoneyKeyRecord[]> {
    const index = await getItem(this.client, this.tableName, HONEY_INDEX_KEY);
    const keys = Array.isArray(index?.keys) ? (index.keys as string[]) : [];
    const records = await Promise.all(keys.map((key) => this.get(key)));
    return records.filter((r): r is HoneyKeyRecord => r !== undefined);
  }

  async honeyUsers(): Promise<Set<string>> {
    return new Set((await this.list()).map((r) => `${r.accountId}/${r.userName}`));
  }

  /** Retired or rotated: the key is Inactive (the caller made it so). */
  async setState(
    accessKeyId: string,
    state: "retired" | "rotated",
    at: string,
    replacedBy?: string,
  ): Promise<void> {
    await updateItem(this.client, this.tableName, honeyItemKey(accessKeyId), {
      update: `SET #state = :state, #retiredAt = :at${replacedBy ? ", #replacedBy = :by" : ""}`,
      condition: "attribute_exists(incidentId)",
      names: names("state", "retiredAt", "replacedBy"),
      values: { ":state": state, ":at": at, ":by": replacedBy },
    });
  }

  /** A pending `lkr honeykey test`: uses carrying this nonce until `until` alert whatever the cooldown. */
  async startTest(accessKeyId: string, nonce: string, until: string): Promise<void> {
    await updateItem(this.client, this.tableName, honeyItemKey(accessKeyId), {
      update: "SET #testNonce = :nonce, #testUntil = :until",
      condition: "attribute_exists(incidentId)",
      names: names("testNonce", "testUntil"),
      values: { ":nonce": nonce, ":until": until },
    });
  }

  async recordUse(use: HoneyUse, now: string): Promise<"new" | "seen"> {
    // UpdateItem, not PutItem: the respond role may only read and update items.
    const first = await updateIfAllowed(
      this.client,
      this.tableName,
      honeyUseItemKey(use.accessKeyId, use.eventId),
      {
        update: "SET #itemType = :type, #recordedAt = :now, #use = :use",
        condition: "attribute_not_exists(incidentId)",
        names: names(ITEM_TYPE, "recordedAt", "use"),
        values: { ":type": "honeykey-use", ":now": now, ":use": use },
      },
    );
    if (!first) return "seen";
    const key = honeyItemKey(use.accessKeyId);
    await updateItem(this.client, this.tableName, key, {
      update: "ADD #uses :one",
      condition: "attribute_exists(incidentId)",
      names: names("uses"),
      values: { ":one": 1 },
    });
    // The latest use by CloudTrail's time (deliveries come out of order): what the safety net compares last-used with.
    await updateIfAllowed(this.client, this.tableName, key, {
      update: "SET #lastUse = :use",
      condition: "attribute_not_exists(#lastUse) OR #lastUse.#eventTime <= :time",
      names: names("lastUse", "eventTime"),
      values: {
        ":use": {
          eventId: use.eventId,
          eventTime: use.eventTime,
          sourceIp: use.sourceIp,
          userAgent: use.userAgent,
          region: use.region,
          call: use.call,
        },
        ":time": use.eventTime,
      },
    });
    return "new";
  }

  async claimAlert(
    accessKeyId: string,
    sourceIp: string,
    eventId: string,
    now: string,
    cutoff: string,
  ): Promise<boolean> {
    return updateIfAllowed(this.client, this.tableName, honeyItemKey(accessKeyId), {
      update: "SET #alertedIps.#ip = :claim",
      condition: "attribute_not_exists(#alertedIps.#ip) OR #alertedIps.#ip.#at < :cutoff",
      names: { ...names("alertedIps", "at"), "#ip": sourceIp },
      values: { ":claim": { at: now, eventId }, ":cutoff": cutoff },
    });
  }

  async releaseAlert(accessKeyId: string, sourceIp: string, eventId: string): Promise<void> {
    await updateIfAllowed(this.client, this.tableName, honeyItemKey(accessKeyId), {
      update: "REMOVE #alertedIps.#ip",
      condition: "#alertedIps.#ip.#eventId = :eventId",
      names: { ...names("alertedIps", "eventId"), "#ip": sourceIp },
      values: { ":eventId": eventId },
    });
  }

  async markAlerted(use: HoneyUse, at: string): Promise<void> {
    const key = honeyItemKey(use.accessKeyId);
    await updateItem(this.client, this.tableName, key, {
      update: "SET #lastAlert = :alert",
      condition: "attribute_exists(incidentId)",
      names: names("lastAlert"),
      values: { ":alert": { eventId: use.eventId, at, sourceIp: use.sourceIp, userAgent: use.userAgent } },
    });
    await updateIfAllowed(this.client, this.tableName, key, {
      update: "SET #lastUse.#alertedAt = :at",
      condition: "#lastUse.#eventId = :eventId",
      names: names("lastUse", "alertedAt", "eventId"),
      values: { ":at": at, ":eventId": use.eventId },
    });
  }

  async markLastUsedSeen(accessKeyId: string, lastUsed: string): Promise<void> {
    await updateItem(this.client, this.tableName, honeyItemKey(accessKeyId), {
      update: "SET #lastUsedSeen = :at",
      condition: "attribute_exists(incidentId)",
      names: names("lastUsedSeen"),
      values: { ":at": lastUsed },
    });
  }
}
