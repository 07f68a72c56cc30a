import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { type Incident, IncidentSchema } from "../core/incident.js";
import { call } from "./aws-errors.js";
import { upgradeLegacyIncident } from "./dynamodb-legacy.js";

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

/** One incident item by id, read consistently, as plain JavaScript; undefined when there is none. */
export async function getIncidentItem(
  client: DynamoDBClient,
  tableName: string,
  incidentId: string,
  projection?: string,
): Promise<Record<string, unknown> | undefined> {
  const out = await call("dynamodb:GetItem", () =>
    client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: marshall({ incidentId }),
        ConsistentRead: true,
        ...(projection ? { ProjectionExpression: projection } : {}),
      }),
    ),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
}

/**
 * An incident item through the incident schema, the one place a stored incident becomes typed:
 * string sets come back as sorted arrays, and records of older versions are upgraded first.
 */
export function incidentFromItem(item: Record<string, unknown>): Incident {
  const plain = Object.fromEntries(
    Object.entries(item).map(([k, v]) => [k, v instanceof Set ? [...v].map(String).sort() : v]),
  );
  return IncidentSchema.parse(
    upgradeLegacyIncident({ signalIds: [], alertedSignalIds: [], signals: [], actions: [], ...plain }),
  );
}
