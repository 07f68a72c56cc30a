import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AwsCallError, IncidentItemFullError } from "../core/errors.js";
import { type Incident, IncidentSchema } from "../core/incident.js";
import type { FenceTarget } from "../core/vocabulary.js";
import { call } from "./aws-errors.js";
import { upgradeLegacyIncident } from "./dynamodb-legacy.js";

/**
 * The incident table's items: the incident itself (key `<account>-<key id>`), one item per
 * signal (`<incident>#signal#<signal id>`: its claim, completion, alert and record) and one per
 * fenced principal (`fence#<account>#<user|role>#<name>`: the incidents holding its quarantine).
 * Child items carry `itemType` and no `status`, so the status index and incident listings skip them.
 */
export const ITEM_TYPE = "itemType";

export function signalItemKey(incidentId: string, signalId: string): string {
  return `${incidentId}#signal#${signalId}`;
}

export function fenceItemKey(accountId: string, target: FenceTarget): string {
  return `fence#${accountId}#${target.type}#${target.name}`;
}

/** The ConditionalCheckFailedException behind an error (thrown as is, or as the cause of a typed error). */
export function conditionFailureOf(error: unknown): ConditionalCheckFailedException | undefined {
  if (error instanceof ConditionalCheckFailedException) return error;
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof ConditionalCheckFailedException ? cause : undefined;
}

/** `#name` → name for each attribute an expression uses (several, like status and mode, are reserved words). */
export function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
}

const ITEM_FULL = /item size (to update )?has exceeded/i;

/** One UpdateItem on the item with this key. */
export interface ItemUpdate {
  readonly update: string;
  readonly condition?: string;
  readonly names: Record<string, string>;
  /** Plain values, marshalled here. */
  readonly values?: Record<string, unknown>;
  /** Values already in DynamoDB's form (string sets). */
  readonly rawValues?: Record<string, AttributeValue>;
  readonly returnValues?: "ALL_NEW";
  readonly returnOldOnConditionFailure?: boolean;
}

/**
 * The one UpdateItem of every store: through `call()`, with DynamoDB's item size limit as the
 * typed IncidentItemFullError (a fixed condition: never retried).
 */
export async function updateItem(
  client: DynamoDBClient,
  tableName: string,
  key: string,
  input: ItemUpdate,
): Promise<UpdateItemCommandOutput> {
  // DynamoDB refuses names and values an expression does not use: pass exactly those it uses.
  const expressions = `${input.update} ${input.condition ?? ""}`;
  const used = <T>(entries: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(entries).filter(([k]) => new RegExp(`${k}(?!\\w)`).test(expressions)));
  const attributeNames = used(input.names);
  const values = used({
    ...(input.values
      ? marshall(input.values, { removeUndefinedValues: true, convertEmptyValues: false })
      : {}),
    ...input.rawValues,
  });
  try {
    return await call("dynamodb:UpdateItem", () =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall({ incidentId: key }),
          UpdateExpression: input.update,
          ...(input.condition ? { ConditionExpression: input.condition } : {}),
          ...(Object.keys(attributeNames).length > 0 ? { ExpressionAttributeNames: attributeNames } : {}),
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ...(input.returnValues ? { ReturnValues: input.returnValues } : {}),
          ...(input.returnOldOnConditionFailure ? { ReturnValuesOnConditionCheckFailure: "ALL_OLD" } : {}),
        }),
      ),
    );
  } catch (error) {
    if (error instanceof AwsCallError && ITEM_FULL.test(describeCause(error))) {
      throw new IncidentItemFullError(key, { cause: error });
    }
    throw error;
  }
}

function describeCause(error: AwsCallError): string {
  return error.cause instanceof Error ? error.cause.message : String(error.cause);
}

/** An UpdateItem whose failed condition is an answer: false then, true when it was written. */
export async function updateIfAllowed(
  client: DynamoDBClient,
  tableName: string,
  key: string,
  input: ItemUpdate,
): Promise<boolean> {
  try {
    await updateItem(client, tableName, key, input);
    return true;
  } catch (error) {
    if (conditionFailureOf(error) !== undefined) return false;
    throw error;
  }
}

/** One item by key, read consistently, as plain JavaScript (string sets as sorted arrays); undefined when there is none. */
export async function getItem(
  client: DynamoDBClient,
  tableName: string,
  key: string,
  projection?: string,
): Promise<Record<string, unknown> | undefined> {
  const out = await call("dynamodb:GetItem", () =>
    client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: marshall({ incidentId: key }),
        ConsistentRead: true,
        ...(projection ? { ProjectionExpression: projection } : {}),
      }),
    ),
  );
  return out.Item ? plainItem(unmarshall(out.Item)) : undefined;
}

/** String sets come back from unmarshall as Sets: sorted arrays are what the schemas read. */
export function plainItem(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(item).map(([k, v]) => [k, v instanceof Set ? [...v].map(String).sort() : v]),
  );
}

/**
 * An incident item through the incident schema, the one place a stored incident becomes typed:
 * records of older versions are upgraded first.
 */
export function incidentFromItem(item: Record<string, unknown>): Incident {
  return IncidentSchema.parse(
    upgradeLegacyIncident({
      signalIds: [],
      alertedSignalIds: [],
      signals: [],
      actions: [],
      ...plainItem(item),
    }),
  );
}

/** Scans and queries see child items too: this keeps incidents only. */
export const INCIDENTS_ONLY = `attribute_not_exists(#${ITEM_TYPE})`;
