import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type ActionRecord,
  type Incident,
  type IncidentBasis,
  type SignalState,
  SignalStateSchema,
} from "../core/incident.js";
import type { IncidentStore, SignalClaim, SignalWrite } from "../core/ports.js";
import { type FenceTarget, SEVERITY_ORDER, type Severity, severityRank } from "../core/vocabulary.js";
import {
  conditionFailureOf,
  fenceItemKey,
  getItem,
  ITEM_TYPE,
  incidentFromItem,
  names,
  signalItemKey,
  updateIfAllowed,
  updateItem,
} from "./dynamodb-support.js";

/** The condition that a write planned from `basis` still holds: the incident is as it was read. */
function basisCondition(basis: IncidentBasis): { condition: string; values: Record<string, unknown> } {
  if (!basis.exists) return { condition: "attribute_not_exists(#incidentId)", values: {} };
  if (basis.stillContained)
    return { condition: "#status = :contained", values: { ":contained": "contained" } };
  if (basis.version === undefined) {
    return { condition: "attribute_exists(#incidentId) AND attribute_not_exists(#version)", values: {} };
  }
  return { condition: "#version = :expectedVersion", values: { ":expectedVersion": basis.version } };
}

/**
 * Incidents in one DynamoDB table, key `incidentId`: the incident item (bounded: its first signals,
 * the actions a release needs, counts) and one item per signal (claim, completion, alert, record).
 * Every write is a single conditional UpdateItem.
 */
export class DynamoDbIncidentStore implements IncidentStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(incidentId: string): Promise<Incident | undefined> {
    const item = await getItem(this.client, this.tableName, incidentId);
    return item ? incidentFromItem(item) : undefined;
  }

  /**
   * The incident with what the items of the signals it keeps say: which were alerted and which
   * completed (the incident item itself keeps no per-signal list, so it stays bounded). For review.
   */
  async getWithSignals(incidentId: string): Promise<Incident | undefined> {
    const incident = await this.get(incidentId);
    if (incident === undefined) return undefined;
    const states = await Promise.all(incident.signals.map((s) => this.getSignal(incidentId, s.signalId)));
    const ids = (pick: (state: SignalState) => string | undefined) =>
      states.flatMap((state) => (state && pick(state) !== undefined ? [state.signalId] : []));
    const union = (a: readonly string[] | undefined, b: readonly string[]) =>
      [...new Set([...(a ?? []), ...b])].sort();
    return {
      ...incident,
      alertedSignalIds: union(
        incident.alertedSignalIds,
        ids((state) => state.alertedAt),
      ),
      completedSignalIds: union(
        incident.completedSignalIds,
        ids((state) => state.completedAt),
      ),
    };
  }

  async getSignal(incidentId: string, signalId: string): Promise<SignalState | undefined> {
    const item = await getItem(this.client, this.tableName, signalItemKey(incidentId, signalId));
    return item ? SignalStateSchema.parse(item) : undefined;
  }

  async claimSignal(
    incidentId: string,
    signalId: string,
    owner: string,
    now: string,
    until: string,
  ): Promise<SignalClaim> {
    try {
      const out = await updateItem(this.client, this.tableName, signalItemKey(incidentId, signalId), {
        update: "SET #itemType = :type, #signalId = :sid, #claimOwner = :owner, #claimExpiresAt = :until",
        // Unclaimed, or claimed by this attempt, or by one whose claim ran out; never once completed.
        condition:
          "attribute_not_exists(#completedAt) AND (attribute_not_exists(#claimOwner) OR #claimOwner = :owner OR #claimExpiresAt < :now)",
        names: names(ITEM_TYPE, "signalId", "claimOwner", "claimExpiresAt", "completedAt"),
        values: { ":type": "signal", ":sid": signalId, ":owner": owner, ":until": until, ":now": now },
        // The item as this claim left it: whether an attempt before (one that handed the claim back,
        // or whose claim ran out) recorded the signal already, read atomically with the takeover.
        returnValues: "ALL_NEW",
      });
      return { kind: "claimed", recorded: out.Attributes?.signal !== undefined };
    } catch (error) {
      if (conditionFailureOf(error) === undefined) throw error;
    }
    const state = await this.getSignal(incidentId, signalId);
    return { kind: state?.completedAt !== undefined ? "completed" : "in-progress" };
  }

  async releaseSignalClaim(incidentId: string, signalId: string, owner: string): Promise<void> {
    await updateIfAllowed(this.client, this.tableName, signalItemKey(incidentId, signalId), {
      update: "REMOVE #claimOwner, #claimExpiresAt",
      condition: "#claimOwner = :owner",
      names: names("claimOwner", "claimExpiresAt"),
      values: { ":owner": owner },
    });
  }

  async recordSignal(write: SignalWrite): Promise<"recorded" | "conflict"> {
    const set = [
      "#accountId = :account",
      "#accessKeyId = :key",
      "#principal = :principal",
      // Only a new incident takes the signal's severity; an existing one only rises (raiseSeverity).
      "#severity = if_not_exists(#severity, :severity)",
      `#status = ${write.statusIfNew ? "if_not_exists(#status, :status)" : ":status"}`,
      "#mode = :mode",
      "#sample = :sample",
      "#updatedAt = :now",
      "#createdAt = if_not_exists(#createdAt, :now)",
      "#actions = list_append(if_not_exists(#actions, :empty), :actions)",
    ];
    if (write.keepSignalOnIncident)
      set.push("#signals = list_append(if_not_exists(#signals, :empty), :signal)");
    const basis = write.basis && basisCondition(write.basis);
    // Counted up in place: a containment of a contained incident holds on the status, not the version.
    if (write.basis) set.push("#version = if_not_exists(#version, :zero) + :one");
    const recorded = await updateIfAllowed(this.client, this.tableName, write.incidentId, {
      // A retry of a signal already on record adds its actions (and status), not the signal again.
      update: `SET ${set.join(", ")}${write.signalAlreadyRecorded ? "" : " ADD #signalCount :one"}`,
      ...(basis ? { condition: basis.condition } : {}),
      names: names(
        ...(basis ? ["incidentId"] : []),
        "accountId",
        "accessKeyId",
        "principal",
        "severity",
        "status",
        "mode",
        "sample",
        "updatedAt",
        "createdAt",
        "actions",
        ...(write.signalAlreadyRecorded ? [] : ["signalCount"]),
        ...(write.keepSignalOnIncident ? ["signals"] : []),
        ...(write.basis ? ["version"] : []),
      ),
      values: {
        ":account": write.accountId,
        ":key": write.accessKeyId,
        ":principal": write.principal,
        ":severity": write.severity,
        ":status": write.status,
        ":mode": write.mode,
        ":sample": write.sample,
        ":now": write.now,
        ":empty": [],
        ":actions": write.actions,
        ":one": 1,
        ...(write.keepSignalOnIncident ? { ":signal": [write.signal] } : {}),
        ...(write.basis ? { ":zero": 0 } : {}),
        ...basis?.values,
      },
    });
    if (!recorded) return "conflict";
    await updateItem(this.client, this.tableName, signalItemKey(write.incidentId, write.signal.signalId), {
      update: `SET #itemType = :type, #signalId = :sid, #signal = :signal, #recordedAt = :now${write.opens ? ", #opened = :opened" : ""}`,
      names: names(ITEM_TYPE, "signalId", "signal", "recordedAt", "opened"),
      values: {
        ":type": "signal",
        ":sid": write.signal.signalId,
        ":signal": write.signal,
        ":now": write.now,
        ":opened": true,
      },
    });
    return "recorded";
  }

  async raiseSeverity(incidentId: string, severity: Severity, now: string): Promise<void> {
    const lower = SEVERITY_ORDER.slice(0, severityRank(severity));
    if (lower.length === 0) return; // nothing is lower than low
    await updateIfAllowed(this.client, this.tableName, incidentId, {
      update: "SET #severity = :severity, #severityRank = :rank, #updatedAt = :now",
      // A rank that is lower; on records without a rank (older versions, or never raised), a lower severity.
      condition: `attribute_exists(#incidentId) AND (#severityRank < :rank OR (attribute_not_exists(#severityRank) AND #severity IN (${lower.map((_, i) => `:lower${i}`).join(", ")})))`,
      names: names("incidentId", "severity", "severityRank", "updatedAt"),
      values: {
        ":severity": severity,
        ":rank": severityRank(severity),
        ":now": now,
        ...Object.fromEntries(lower.map((s, i) => [`:lower${i}`, s])),
      },
    });
  }

  async appendActions(
    incidentId: string,
    actions: readonly ActionRecord[],
    now: string,
    completed?: { readonly signalId: string; readonly actions: readonly ActionRecord[] },
  ): Promise<void> {
    if (actions.length > 0 || completed === undefined) {
      await updateItem(this.client, this.tableName, incidentId, {
        update: "SET #updatedAt = :now, #actions = list_append(if_not_exists(#actions, :empty), :actions)",
        condition: "attribute_exists(#incidentId)",
        names: names("updatedAt", "actions", "incidentId"),
        values: { ":now": now, ":empty": [], ":actions": actions },
      });
    }
    if (completed !== undefined) await this.completeSignal(incidentId, completed, now);
  }

  async appendToContainment(
    incidentId: string,
    actions: readonly ActionRecord[],
    now: string,
  ): Promise<"recorded" | "conflict"> {
    const recorded = await updateIfAllowed(this.client, this.tableName, incidentId, {
      update: "SET #updatedAt = :now, #actions = list_append(if_not_exists(#actions, :empty), :actions)",
      condition: "#status = :contained",
      names: names("updatedAt", "actions", "status"),
      values: { ":now": now, ":empty": [], ":actions": actions, ":contained": "contained" },
    });
    return recorded ? "recorded" : "conflict";
  }

  private async completeSignal(
    incidentId: string,
    completed: { readonly signalId: string; readonly actions: readonly ActionRecord[] },
    now: string,
  ): Promise<void> {
    await updateItem(this.client, this.tableName, signalItemKey(incidentId, completed.signalId), {
      update:
        "SET #itemType = :type, #signalId = :sid, #completedAt = :now, #actions = :actions REMOVE #claimOwner, #claimExpiresAt",
      names: names(ITEM_TYPE, "signalId", "completedAt", "actions", "claimOwner", "claimExpiresAt"),
      values: { ":type": "signal", ":sid": completed.signalId, ":now": now, ":actions": completed.actions },
    });
  }

  claimEmit(incidentId: string, signalId: string, now: string): Promise<boolean> {
    return updateIfAllowed(this.client, this.tableName, signalItemKey(incidentId, signalId), {
      update: "SET #emittedAt = :now",
      condition: "attribute_not_exists(#emittedAt)",
      names: names("emittedAt"),
      values: { ":now": now },
    });
  }

  async releaseEmitClaim(incidentId: string, signalId: string): Promise<void> {
    await updateItem(this.client, this.tableName, signalItemKey(incidentId, signalId), {
      update: "REMOVE #emittedAt",
      names: names("emittedAt"),
    });
  }

  async claimAlert(incidentId: string, signalId: string): Promise<boolean> {
    return updateIfAllowed(this.client, this.tableName, signalItemKey(incidentId, signalId), {
      update: "SET #itemType = :type, #signalId = :sid, #alertedAt = :now",
      condition: "attribute_not_exists(#alertedAt)",
      names: names(ITEM_TYPE, "signalId", "alertedAt"),
      values: { ":type": "signal", ":sid": signalId, ":now": new Date().toISOString() },
    });
  }

  async releaseAlertClaim(incidentId: string, signalId: string): Promise<void> {
    await updateItem(this.client, this.tableName, signalItemKey(incidentId, signalId), {
      update: "REMOVE #alertedAt",
      names: names("alertedAt"),
    });
  }

  async holdFence(accountId: string, target: FenceTarget, incidentId: string): Promise<void> {
    await updateItem(this.client, this.tableName, fenceItemKey(accountId, target), {
      update: "SET #itemType = :type ADD #holders :holder",
      names: names(ITEM_TYPE, "holders"),
      values: { ":type": "fence" },
      rawValues: { ":holder": { SS: [incidentId] } },
    });
  }
}
