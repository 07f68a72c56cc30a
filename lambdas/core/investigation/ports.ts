import type { Incident } from "../incident.js";
import type { LookupEventRecord } from "./record.js";
import type { ActivitySummary } from "./summary.js";

/** CloudTrail event history, as the investigation needs it. */
export interface ActivitySource {
  /**
   * Every page of LookupEvents for one access key in one region between `start` and `end`
   * (ISO times), to the last page. Paced and retried by the implementation; a failure that
   * outlasts its retries is thrown as a typed error.
   */
  pages(
    region: string,
    accessKeyId: string,
    start: string,
    end: string,
  ): AsyncIterable<readonly LookupEventRecord[]>;
}

/**
 * The incident item's attributes the investigation may write (its key included): the investigate
 * role's UpdateItem is limited to exactly these (`dynamodb:Attributes`), so it can never change
 * an incident's status, actions or anything the responder recorded.
 */
export const INVESTIGATION_WRITE_ATTRIBUTES = [
  "incidentId",
  "investigation",
  "investigationFingerprint",
  "investigationLastEventAt",
  "investigatedAt",
  "investigatedContainment",
  "containmentCheck",
  "confirmedAt",
] as const;

/** What the incident remembers of the last investigation that was alerted. */
export interface InvestigationState {
  readonly fingerprint: string | undefined;
  readonly lastEventAt: string | undefined;
  /** The containment last investigated to the end (containment.ts); absent until one was. */
  readonly investigatedContainment?: string | undefined;
}

/** The stored incident, typed, and the investigation's state on it. */
export interface StoredIncident {
  readonly incident: Incident;
  readonly state: InvestigationState;
}

export interface InvestigationWrite {
  readonly incidentId: string;
  readonly summary: ActivitySummary;
  readonly fingerprint: string;
  /** Time of the newest call, "" when there was none. */
  readonly lastEventAt: string;
  readonly now: string;
}

/**
 * "recorded": this caller owns the follow-up alert; "unchanged": the same activity is already
 * recorded (a repeated event, or a concurrent run won); "stale": a run that saw newer activity
 * recorded first.
 */
export type RecordOutcome = "recorded" | "unchanged" | "stale";

/** The investigation's slice of the incident item. */
export interface InvestigationStore {
  /** The state on the incident; undefined when there is no such incident. */
  getState(incidentId: string): Promise<InvestigationState | undefined>;
  /** The whole incident (one consistent read) and that state; undefined when there is no such incident. */
  getIncident(incidentId: string): Promise<StoredIncident | undefined>;
  /** Records that this containment was investigated to the end: a later event for it is skipped. */
  markInvestigated(incidentId: string, containmentId: string): Promise<void>;
  /** Stores the summary and its fingerprint unless that fingerprint is already recorded. */
  record(write: InvestigationWrite): Promise<RecordOutcome>;
  /** Puts the previous state back when the alert could not be sent, so a retry sends it. */
  release(incidentId: string, fingerprint: string, previous: InvestigationState): Promise<void>;
}
