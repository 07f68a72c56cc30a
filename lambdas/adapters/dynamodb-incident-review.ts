import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AUDIT_RECORD_PREFIX } from "../core/audit/digest.js";
import { STATUS_INDEX } from "../core/contract.js";
import type { ActionRecord, Incident, IncidentStatus } from "../core/incident.js";
import { IncidentChangedError } from "../core/release/errors.js";
import type { CloseWrite, IncidentReviewStore } from "../core/release/ports.js";
import type { FenceTarget } from "../core/vocabulary.js";
import { call } from "./aws-errors.js";
import { DynamoDbIncidentStore } from "./dynamodb-incidents.js";
import {
  fenceItemKey,
  getItem,
  INCIDENTS_ONLY,
  ITEM_TYPE,
  incidentFromItem,
  names,
  updateIfAllowed,
  updateItem,
} from "./dynamodb-support.js";

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
    return this.store.getWithSignals(incidentId);
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

  /** Every page of a Query or Scan, each item through the incident schema. */
  private async pages(
    operation: "dynamodb:Query" | "dynamodb:Scan",
    page: (start: Record<string, AttributeValue> | undefined) => Promise<{
      Items?: Record<string, AttributeValue>[];
      LastEvaluatedKey?: Record<string, AttributeValue>;
    }>,
  ): Promise<Incident[]> {
    const incidents: Incident[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await call(operation, () => page(start));
      incidents.push(...(out.Items ?? []).map((item) => incidentFromItem(unmarshall(item))));
      start = out.LastEvaluatedKey;
    } while (start);
    return incidents;
  }

  private queryStatus(status: IncidentStatus, since: string | undefined): Promise<Incident[]> {
    return this.pages("dynamodb:Query", (start) =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: STATUS_INDEX,
          KeyConditionExpression: `#status = :status${since ? " AND #updatedAt >= :since" : ""}`,
          ExpressionAttributeNames: { "#status": "status", ...(since ? { "#updatedAt": "updatedAt" } : {}) },
          ExpressionAttributeValues: marshall({ ":status": status, ...(since ? { ":since": since } : {}) }),
          ScanIndexForward: false,
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /**
   * Incidents only: the signal and fence items beside them carry `itemType`, and audit records
   * (`audit#...`) share the table too; both are left out.
   */
  private scan(since: string | undefined, accessKeyId: string | undefined): Promise<Incident[]> {
    const filters = [INCIDENTS_ONLY, "NOT begins_with(#incidentId, :auditPrefix)"];
    const attributeNames: Record<string, string> = names(ITEM_TYPE, "incidentId");
    const values: Record<string, string> = { ":auditPrefix": AUDIT_RECORD_PREFIX };
    if (since) {
      filters.push("#updatedAt >= :since");
      Object.assign(attributeNames, names("updatedAt"));
      values[":since"] = since;
    }
    if (accessKeyId) {
      filters.push("#accessKeyId = :key");
      Object.assign(attributeNames, names("accessKeyId"));
      values[":key"] = accessKeyId;
    }
    return this.pages("dynamodb:Scan", (start) =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ExclusiveStartKey: start,
          FilterExpression: filters.join(" AND "),
          ExpressionAttributeNames: attributeNames,
          ExpressionAttributeValues: marshall(values),
        }),
      ),
    );
  }

  async beginRelease(
    incidentId: string,
    from: IncidentStatus,
    version: number | undefined,
    now: string,
  ): Promise<number> {
    const next = (version ?? 0) + 1;
    const moved = await updateIfAllowed(this.client, this.tableName, incidentId, {
      update: "SET #status = :releasing, #version = :next, #updatedAt = :now",
      condition: `attribute_exists(#incidentId) AND #status = :from AND ${version === undefined ? "attribute_not_exists(#version)" : "#version = :version"}`,
      names: names("incidentId", "status", "version", "updatedAt"),
      values: {
        ":releasing": "releasing",
        ":next": next,
        ":now": now,
        ":from": from,
        ...(version === undefined ? {} : { ":version": version }),
      },
    });
    if (!moved) throw new IncidentChangedError(incidentId);
    return next;
  }

  async beginReactivation(incidentId: string, version: number, until: string, now: string): Promise<number> {
    const moved = await updateIfAllowed(this.client, this.tableName, incidentId, {
      update: "SET #reactivatingUntil = :until, #version = :next, #updatedAt = :now",
      condition: "#status = :releasing AND #version = :version",
      names: names("reactivatingUntil", "version", "updatedAt", "status"),
      values: {
        ":until": until,
        ":next": version + 1,
        ":now": now,
        ":releasing": "releasing",
        ":version": version,
      },
    });
    if (!moved) throw new IncidentChangedError(incidentId);
    return version + 1;
  }

  async endReactivation(incidentId: string, version: number, now: string): Promise<void> {
    const ended = await updateIfAllowed(this.client, this.tableName, incidentId, {
      update: "SET #updatedAt = :now REMOVE #reactivatingUntil",
      condition: "#status = :releasing AND #version = :version",
      names: names("reactivatingUntil", "updatedAt", "status", "version"),
      values: { ":now": now, ":releasing": "releasing", ":version": version },
    });
    if (!ended) throw new IncidentChangedError(incidentId);
  }

  /**
   * One UpdateItem: status, version, updatedAt, the actions and the release record appended —
   * only while the incident still has the status and the version that were read.
   */
  async recordClose(write: CloseWrite): Promise<void> {
    const version = write.expectedVersion;
    const written = await updateIfAllowed(this.client, this.tableName, write.incidentId, {
      update:
        "SET #status = :status, #version = :next, #updatedAt = :now, " +
        "#actions = list_append(if_not_exists(#actions, :empty), :actions)" +
        (write.release ? ", #releases = list_append(if_not_exists(#releases, :empty), :release)" : ""),
      condition: `attribute_exists(#incidentId) AND #status = :expected AND ${version === undefined ? "attribute_not_exists(#version)" : "#version = :version"}`,
      names: names(
        "incidentId",
        "status",
        "version",
        "updatedAt",
        "actions",
        ...(write.release ? ["releases"] : []),
      ),
      values: {
        ":status": write.status,
        ":expected": write.expectedStatus,
        ":next": (version ?? 0) + 1,
        ":now": write.now,
        ":empty": [],
        ":actions": write.actions,
        ...(version === undefined ? {} : { ":version": version }),
        ...(write.release ? { ":release": [write.release] } : {}),
      },
    });
    if (!written) throw new IncidentChangedError(write.incidentId);
  }

  holdFence(accountId: string, target: FenceTarget, incidentId: string): Promise<void> {
    return this.store.holdFence(accountId, target, incidentId);
  }

  async leaveFence(accountId: string, target: FenceTarget, incidentId: string): Promise<readonly string[]> {
    const out = await updateItem(this.client, this.tableName, fenceItemKey(accountId, target), {
      update: "SET #itemType = :type DELETE #holders :holder",
      names: names(ITEM_TYPE, "holders"),
      values: { ":type": "fence" },
      rawValues: { ":holder": { SS: [incidentId] } },
      returnValues: "ALL_NEW",
    });
    return holdersOf(out.Attributes ? unmarshall(out.Attributes) : undefined);
  }

  async fenceHolders(accountId: string, target: FenceTarget): Promise<readonly string[]> {
    return holdersOf(await getItem(this.client, this.tableName, fenceItemKey(accountId, target)));
  }
}

function holdersOf(item: Record<string, unknown> | undefined): string[] {
  const holders = item?.holders;
  if (holders instanceof Set) return [...holders].map(String).sort();
  return Array.isArray(holders) ? holders.map(String).sort() : [];
}
