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

/** What the incident remembers of the last investigation that was alerted. */
export interface InvestigationState {
  readonly fingerprint: string | undefined;
  readonly lastEventAt: string | undefined;
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
  /** Stores the summary and its fingerprint unless that fingerprint is already recorded. */
  record(write: InvestigationWrite): Promise<RecordOutcome>;
  /** Puts the previous state back when the alert could not be sent, so a retry sends it. */
  release(incidentId: string, fingerprint: string, previous: InvestigationState): Promise<void>;
}
