import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AUDIT_RECORD_PREFIX } from "../core/audit/digest.js";
import { STATUS_INDEX } from "../core/contract.js";
import type { ActionRecord, Incident, IncidentStatus } from "../core/incident.js";
import { IncidentChangedError } from "../core/release/errors.js";
import type { CloseWrite, IncidentReviewStore } from "../core/release/ports.js";
import { call } from "./aws-errors.js";
import { DynamoDbIncidentStore } from "./dynamodb-incidents.js";
import { conditionFailureOf, incidentFromItem } from "./dynamodb-support.js";

export interface IncidentQuery {
  /** Only these statuses (one Query on the status index each); all when undefined (a Scan). */
  readonly statuses?: readonly IncidentStatus[];
  /** Only incidents updated at or after this ISO instant. */
  readonly updatedSince?: string;
}

/** The operator's view of the incident table: list, read, and close with a conditional write. */
export class DynamoDbIncidentReview implements IncidentReviewStore {
  private readonly store: DynamoDbIncidentStore;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.store = new DynamoDbIncidentStore(client, tableName);
  }

  get(incidentId: string): Promise<Incident | undefined> {
    return this.store.get(incidentId);
  }

  appendActions(incidentId: string, actions: readonly ActionRecord[], now: string): Promise<void> {
    return this.store.appendActions(incidentId, actions, now);
  }

  async list(query: IncidentQuery = {}): Promise<Incident[]> {
    if (query.statuses === undefined) return this.scan(query.updatedSince, undefined);
    const pages = await Promise.all(query.statuses.map((s) => this.queryStatus(s, query.updatedSince)));
    return pages.flat();
  }

  /** Incidents about one access key (one per account that reported it). */
  findByAccessKey(accessKeyId: string): Promise<Incident[]> {
    return this.scan(undefined, accessKeyId);
  }

  private async queryStatus(status: IncidentStatus, since: string | undefined): Promise<Incident[]> {
    const incidents: Incident[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await call("dynamodb:Query", () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: STATUS_INDEX,
            KeyConditionExpression: `#status = :status${since ? " AND #updatedAt >= :since" : ""}`,
            ExpressionAttributeNames: {
              "#status": "status",
              ...(since ? { "#updatedAt": "updatedAt" } : {}),
            },
            ExpressionAttributeValues: marshall({ ":status": status, ...(since ? { ":since": since } : {}) }),
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        ),
      );
      incidents.push(...(page.Items ?? []).map((item) => incidentFromItem(unmarshall(item))));
      start = page.LastEvaluatedKey;
    } while (start);
    return incidents;
  }

  private async scan(since: string | undefined, accessKeyId: string | undefined): Promise<Incident[]> {
    // Audit records share the table (`audit#...`): they are not incidents.
    const filters: string[] = ["NOT begins_with(#incidentId, :auditPrefix)"];
    const names: Record<string, string> = { "#incidentId": "incidentId" };
    const values: Record<string, string> = { ":auditPrefix": AUDIT_RECORD_PREFIX };
    if (since) {
      filters.push("#updatedAt >= :since");
      names["#updatedAt"] = "updatedAt";
      values[":since"] = since;
    }
    if (accessKeyId) {
      filters.push("#accessKeyId = :key");
      names["#accessKeyId"] = "accessKeyId";
      values[":key"] = accessKeyId;
    }
    const incidents: Incident[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await call("dynamodb:Scan", () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            ExclusiveStartKey: start,
            FilterExpression: filters.join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: marshall(values),
          }),
        ),
      );
      incidents.push(...(page.Items ?? []).map((item) => incidentFromItem(unmarshall(item))));
      start = page.LastEvaluatedKey;
    } while (start);
    return incidents;
  }

  /**
   * One UpdateItem: status, updatedAt, the actions and the release record appended — only while
   * the incident still has the status and the number of actions that were read.
   */
  async recordClose(write: CloseWrite): Promise<void> {
    const countCondition =
      write.expectedActionCount === 0
        ? "(attribute_not_exists(#actions) OR size(#actions) = :count)"
        : "size(#actions) = :count";
    const values: Record<string, unknown> = {
      ":status": write.status,
      ":expected": write.expectedStatus,
      ":count": write.expectedActionCount,
      ":now": write.now,
      ":empty": [],
      ":actions": write.actions,
    };
    if (write.release) values[":release"] = [write.release];
    try {
      await call("dynamodb:UpdateItem", () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall({ incidentId: write.incidentId }),
            UpdateExpression:
              "SET #status = :status, #updatedAt = :now, " +
              "#actions = list_append(if_not_exists(#actions, :empty), :actions)" +
              (write.release ? ", #releases = list_append(if_not_exists(#releases, :empty), :release)" : ""),
            ConditionExpression: `attribute_exists(#incidentId) AND #status = :expected AND ${countCondition}`,
            ExpressionAttributeNames: {
              "#incidentId": "incidentId",
              "#status": "status",
              "#updatedAt": "updatedAt",
              "#actions": "actions",
              ...(write.release ? { "#releases": "releases" } : {}),
            },
            ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
          }),
        ),
      );
    } catch (error) {
      if (conditionFailureOf(error) !== undefined)
        throw new IncidentChangedError(write.incidentId, { cause: error });
      throw error;
    }
  }
}
