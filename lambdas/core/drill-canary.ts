import type { ContainmentKind, Incident } from "./incident.js";

/** What containing a drill canary's (long-term) key records: a role's revoke-sessions never occurs. */
const CANARY_CONTAINMENT_KINDS: readonly ContainmentKind[] = [
  "disable-key",
  "attach-quarantine-policy",
  "attach-session-deny-policy",
  "tag-principal",
];

import { DRILL_TAG } from "./plan.js";
import { DRILL_DETAIL_TYPE, DRILL_SOURCE, type DrillDetail, drillToExposures } from "./sources/drill.js";

/**
 * The drill: a canary user with no permissions and one key, tagged as a drill canary, and a drill
 * event naming that key. The responder contains it like a leaked key; the drill watches it happen.
 * Pure: ids, clock and randomness come in as arguments.
 */
export const CANARY_PATH = "/leaked-key-responder/drill/";
export const CANARY_TAGS: Readonly<Record<string, string>> = { [DRILL_TAG]: "true" };

/** `20261128T120000Z-1a2b3c`: sortable, unique enough, valid in a user name. */
export function drillIdOf(now: Date, random: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return `${stamp}-${random.replace(/[^a-z0-9]/gi, "").slice(0, 8)}`;
}

/** IAM user names are at most 64 characters of `[\w+=,.@-]`. */
export function canaryUserNameOf(drillId: string): string {
  return `lkr-drill-${drillId}`.slice(0, 64);
}

export interface DrillEventEntry {
  readonly source: string;
  readonly detailType: string;
  readonly detail: DrillDetail;
}

export function drillEventOf(detail: DrillDetail): DrillEventEntry {
  return { source: DRILL_SOURCE, detailType: DRILL_DETAIL_TYPE, detail };
}

/** The signal id the responder gives this drill event: the same parser computes it. */
export function drillSignalIdOf(detail: DrillDetail, accountId: string, region: string): string {
  const [exposure] = drillToExposures({
    id: `drill-${detail.drillId}`,
    "detail-type": DRILL_DETAIL_TYPE,
    source: DRILL_SOURCE,
    account: accountId,
    time: new Date(0).toISOString(),
    region,
    detail,
  });
  if (!exposure) throw new Error("drill event yields no exposure");
  return exposure.signalId;
}

export interface DrillProgress {
  readonly keyStatus: "Active" | "Inactive" | "absent" | "unknown";
  readonly incident: boolean;
  readonly alerted: boolean;
  /** Every containment action of the drill signal is on the incident. */
  readonly recorded: boolean;
  readonly done: boolean;
}

/** Where the drill stands: done once the key is Inactive and the incident and its alert exist. */
export function drillProgressOf(
  keyStatus: DrillProgress["keyStatus"],
  incident: Incident | undefined,
  signalId: string,
): DrillProgress {
  const alerted = incident?.alertedSignalIds.includes(signalId) ?? false;
  const kinds = new Set<string>(
    (incident?.actions ?? []).filter((a) => a.signalId === signalId).map((a) => a.kind),
  );
  const recorded = CANARY_CONTAINMENT_KINDS.every((k) => kinds.has(k));
  return {
    keyStatus,
    incident: incident !== undefined,
    alerted,
    recorded,
    done: keyStatus === "Inactive" && incident !== undefined && alerted && recorded,
  };
}

/** Milliseconds from handler entry to the disable-key call, as the incident records them (the responder's clock). */
export function responderLatencyOf(incident: Incident, signalId: string): number | undefined {
  const signal = incident.signals.find((s) => s.signalId === signalId);
  const disable = incident.actions.find((a) => a.signalId === signalId && a.kind === "disable-key");
  if (!signal || !disable) return undefined;
  const ms = Date.parse(disable.at) - Date.parse(signal.receivedAt);
  return Number.isFinite(ms) ? ms : undefined;
}
