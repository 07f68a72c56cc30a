import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import * as z from "zod/mini";
import {
  type ContainmentCheck,
  ContainmentCheckSchema,
  type ContainmentCheckStore,
} from "../core/investigation/confirmation.js";
import { IncidentNotFoundError } from "../core/investigation/errors.js";
import type {
  InvestigationState,
  InvestigationStore,
  InvestigationWrite,
  RecordOutcome,
  StoredIncident,
} from "../core/investigation/ports.js";
import {
  conditionFailureOf,
  getItem,
  incidentFromItem,
  updateIfAllowed,
  updateItem,
} from "./dynamodb-support.js";

/** The investigation attributes of an incident item, read back through a schema like the rest of it. */
const StateSchema = z.looseObject({
  incidentId: z.string(),
  investigationFingerprint: z.optional(z.string()),
  investigationLastEventAt: z.optional(z.string()),
  investigatedContainment: z.optional(z.string()),
});

function stateOf(item: Record<string, unknown>): InvestigationState {
  const parsed = StateSchema.parse(item);
  return {
    fingerprint: parsed.investigationFingerprint,
    lastEventAt: parsed.investigationLastEventAt,
    ...(parsed.investigatedContainment === undefined
      ? {}
      : { investigatedContainment: parsed.investigatedContainment }),
  };
}

/**
 * The investigation on the incident item: `investigation` (the summary), the fingerprint of the
 * activity it describes and the time of its newest call. Each write is one conditional UpdateItem,
 * so of two runs that saw the same activity exactly one sends the follow-up.
 */
export class DynamoDbInvestigationStore implements InvestigationStore, ContainmentCheckStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async getState(incidentId: string): Promise<InvestigationState | undefined> {
    const item = await getItem(
      this.client,
      this.tableName,
      incidentId,
      "incidentId, investigationFingerprint, investigationLastEventAt",
    );
    return item ? stateOf(item) : undefined;
  }

  async getIncident(incidentId: string): Promise<StoredIncident | undefined> {
    const item = await getItem(this.client, this.tableName, incidentId);
    return item ? { incident: incidentFromItem(item), state: stateOf(item) } : undefined;
  }

  async markInvestigated(incidentId: string, containmentId: string): Promise<void> {
    try {
      await updateItem(this.client, this.tableName, incidentId, {
        update: "SET investigatedContainment = :c",
        condition: "attribute_exists(incidentId)",
        names: {},
        values: { ":c": containmentId },
      });
    } catch (error) {
      if (conditionFailureOf(error) === undefined) throw error;
      throw new IncidentNotFoundError(incidentId, { cause: error });
    }
  }

  async record(write: InvestigationWrite): Promise<RecordOutcome> {
    try {
      await updateItem(this.client, this.tableName, write.incidentId, {
        update:
          "SET investigation = :summary, investigationFingerprint = :fp, " +
          "investigationLastEventAt = :last, investigatedAt = :now",
        // New activity only, and never older activity over newer (two runs racing).
        condition:
          "attribute_exists(incidentId) AND " +
          "(attribute_not_exists(investigationFingerprint) OR investigationFingerprint <> :fp) AND " +
          "(attribute_not_exists(investigationLastEventAt) OR investigationLastEventAt <= :last)",
        names: {},
        values: {
          ":summary": write.summary,
          ":fp": write.fingerprint,
          ":last": write.lastEventAt,
          ":now": write.now,
        },
        returnOldOnConditionFailure: true,
      });
      return "recorded";
    } catch (error) {
      const failure = conditionFailureOf(error);
      if (failure === undefined) throw error;
      if (failure.Item === undefined) {
        // The incident vanished between getState and now: nothing to attach the summary to.
        throw new IncidentNotFoundError(write.incidentId, { cause: error });
      }
      const current = stateOf(unmarshall(failure.Item));
      return current.fingerprint === write.fingerprint ? "unchanged" : "stale";
    }
  }

  async lastCheck(incidentId: string): Promise<ContainmentCheck | undefined> {
    const item = await getItem(this.client, this.tableName, incidentId, "incidentId, containmentCheck");
    const parsed = ContainmentCheckSchema.safeParse(item?.containmentCheck);
    return parsed.success ? parsed.data : undefined;
  }

  /** The check's result; `confirmedAt` only while the last check held (a later one that did not removes it). */
  async recordCheck(incidentId: string, check: ContainmentCheck): Promise<void> {
    try {
      await updateItem(this.client, this.tableName, incidentId, {
        update: check.held
          ? "SET containmentCheck = :check, confirmedAt = :at"
          : "SET containmentCheck = :check REMOVE confirmedAt",
        condition: "attribute_exists(incidentId)",
        names: {},
        values: check.held ? { ":check": check, ":at": check.checkedAt } : { ":check": check },
      });
    } catch (error) {
      if (conditionFailureOf(error) === undefined) throw error;
      throw new IncidentNotFoundError(incidentId, { cause: error });
    }
  }

  async release(incidentId: string, fingerprint: string, previous: InvestigationState): Promise<void> {
    const set: string[] = [];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ":fp": fingerprint };
    if (previous.fingerprint !== undefined) {
      set.push("investigationFingerprint = :prevFp");
      values[":prevFp"] = previous.fingerprint;
    } else {
      remove.push("investigationFingerprint");
    }
    if (previous.lastEventAt !== undefined) {
      set.push("investigationLastEventAt = :prevLast");
      values[":prevLast"] = previous.lastEventAt;
    } else {
      remove.push("investigationLastEventAt");
    }
    const expression = [
      set.length > 0 ? `SET ${set.join(", ")}` : "",
      remove.length > 0 ? `REMOVE ${remove.join(", ")}` : "",
    ]
      .filter((part) => part !== "")
      .join(" ");
    // Only our own claim: a later run that recorded newer activity keeps its own.
    await updateIfAllowed(this.client, this.tableName, incidentId, {
      update: expression,
      condition: "investigationFingerprint = :fp",
      names: {},
      values,
    });
  }
}
