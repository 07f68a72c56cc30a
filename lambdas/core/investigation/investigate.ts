import { describeError, TransientAwsError } from "../errors.js";
import type { Log } from "../log.js";
import type { AlertPublisher } from "../ports.js";
import { handOverPersistence, type PersistenceDeps } from "./close-persistence.js";
import { type ConfirmationScheduler, confirmationScheduleOf } from "./confirmation.js";
import type { ContainedDetail } from "./contained-event.js";
import { containmentToInvestigate } from "./containment.js";
import { IncidentNotFoundError } from "./errors.js";
import { PersistenceCollector } from "./persistence.js";
import type { ActivitySource, InvestigationState, InvestigationStore, RecordOutcome } from "./ports.js";
import { type LookupEventRecord, toApiCall } from "./record.js";
import { renderInvestigationAlert } from "./render.js";
import { ActivityAggregator, type ActivitySummary, activityFingerprint } from "./summary.js";
import { type InvestigationWindow, investigationWindow, type WindowSettings } from "./window.js";

export interface InvestigateSettings {
  /** Regions to search, us-east-1 first (IAM and STS calls are only recorded there). */
  readonly regions: readonly string[];
  readonly window: WindowSettings;
  /** Session keys minted with the key that are looked up too (one level deep). */
  readonly maxSessionKeys: number;
  /** Entries per top-N list. */
  readonly topN: number;
}

/** The investigation logs through the core's one logging interface. */
export type InvestigationLog = Log;

export interface CollectDeps {
  readonly activity: ActivitySource;
  readonly log: InvestigationLog;
  /** True once the invocation must stop searching (its time is running out). */
  readonly shouldStop: () => boolean;
  /** Sees every event found, with the region searched (the persistence collector). */
  readonly observe?: ((event: LookupEventRecord, region: string) => void) | undefined;
}

export interface InvestigateDeps extends CollectDeps {
  readonly store: InvestigationStore;
  readonly alerts: AlertPublisher;
  readonly now: () => Date;
}

export interface InvestigationOutcome {
  /** "alerted": new activity recorded and the follow-up sent; otherwise nothing was sent. */
  readonly status: "alerted" | Exclude<RecordOutcome, "recorded">;
  readonly incidentId: string;
  readonly fingerprint: string;
  readonly summary: ActivitySummary;
  /** Searches that failed in a way a retry may fix (`region/key`). */
  readonly retryableFailures: readonly string[];
}

/**
 * Looks up the key in every region, then each session key it minted (one level deep), folding
 * pages into the summary as they arrive. A search that fails is recorded on the summary, and the
 * others go on: what was found is worth reporting.
 */
export async function collectActivity(
  accessKeyId: string,
  window: InvestigationWindow,
  settings: InvestigateSettings,
  deps: CollectDeps,
): Promise<ActivitySummary> {
  const aggregator = new ActivityAggregator(accessKeyId);
  const search = async (region: string, key: string): Promise<void> => {
    let pages = 0;
    let events = 0;
    if (deps.shouldStop()) {
      aggregator.recordSearch({ region, accessKeyId: key, pages, events, status: "stopped" });
      return;
    }
    try {
      for await (const page of deps.activity.pages(region, key, window.start, window.end)) {
        pages += 1;
        events += page.length;
        for (const event of page) {
          aggregator.add(toApiCall(event, { region, accessKeyId: key }));
          deps.observe?.(event, region);
        }
        if (deps.shouldStop()) {
          deps.log.warn("search stopped: time budget", { region, searchedKey: key, pages, events });
          aggregator.recordSearch({ region, accessKeyId: key, pages, events, status: "stopped" });
          return;
        }
      }
      aggregator.recordSearch({ region, accessKeyId: key, pages, events, status: "complete" });
    } catch (error) {
      deps.log.error("search failed", { region, searchedKey: key, pages, error: describeError(error) });
      aggregator.recordSearch({
        region,
        accessKeyId: key,
        pages,
        events,
        status: "failed",
        error: describeError(error),
        retryable: error instanceof TransientAwsError,
      });
    }
  };

  // Regions in parallel (LookupEvents is limited per region); keys one after another within a region.
  await Promise.all(settings.regions.map((region) => search(region, accessKeyId)));
  const sessionKeys = aggregator
    .sessionKeysToFollow()
    .slice(0, settings.maxSessionKeys)
    .map((k) => k.accessKeyId);
  if (sessionKeys.length > 0) deps.log.info("following session keys", { sessionKeys });
  await Promise.all(
    settings.regions.map(async (region) => {
      for (const key of sessionKeys) await search(region, key);
    }),
  );
  return aggregator.summary({
    window,
    regions: settings.regions,
    followed: new Set(sessionKeys),
    topN: settings.topN,
  });
}

/**
 * Incident Contained → what did the key do? Searches CloudTrail, stores the summary on the
 * incident and sends the follow-up alert, once per distinct activity: a repeated event with the
 * same activity sends nothing.
 */
export async function investigateIncident(
  detail: ContainedDetail,
  settings: InvestigateSettings,
  deps: InvestigateDeps,
  known?: InvestigationState,
): Promise<InvestigationOutcome> {
  const { incidentId } = detail;
  const state = known ?? (await deps.store.getState(incidentId));
  if (state === undefined) throw new IncidentNotFoundError(incidentId);

  const window = investigationWindow(detail, deps.now(), settings.window);
  deps.log.info("investigation started", { window, regions: settings.regions });
  const summary = await collectActivity(detail.accessKeyId, window, settings, deps);
  const fingerprint = activityFingerprint(summary);
  const retryableFailures = summary.searches
    .filter((s) => s.status === "failed" && s.retryable === true)
    .map((s) => `${s.region}/${s.accessKeyId}`);
  const result = { incidentId, fingerprint, summary, retryableFailures };
  deps.log.info("activity summarised", {
    totalCalls: summary.totalCalls,
    flagged: summary.flagged.map((f) => `${f.eventName}x${f.count}`),
    sessionKeys: summary.sessionKeys.length,
    complete: summary.complete,
    fingerprint,
  });

  if (fingerprint === state.fingerprint) {
    deps.log.info("no new activity since the last follow-up", { fingerprint });
    return { status: "unchanged", ...result };
  }
  const recorded = await deps.store.record({
    incidentId,
    summary,
    fingerprint,
    lastEventAt: summary.lastCall?.at ?? "",
    now: deps.now().toISOString(),
  });
  if (recorded === "unchanged" || recorded === "stale") {
    deps.log.info("follow-up not sent", { reason: recorded, fingerprint });
    return { status: recorded, ...result };
  }
  try {
    await deps.alerts.publish(renderInvestigationAlert({ detail, summary, fingerprint }));
  } catch (error) {
    deps.log.error("follow-up alert not sent", { error: describeError(error) });
    await deps.store.release(incidentId, fingerprint, state).catch((releaseError: unknown) => {
      deps.log.error("investigation claim not released", { error: describeError(releaseError) });
    });
    throw error;
  }
  deps.log.info("follow-up alert sent", { fingerprint });
  return { status: "alerted", ...result };
}

/** What the investigation of a containment does besides the follow-up (absent: not done). */
export interface ContainedDeps extends InvestigateDeps {
  /** Persistence found is handed over to the respond function. */
  readonly persistence?: Omit<PersistenceDeps, "log"> | undefined;
  /** The containment is checked again this many minutes after it began (a one-time schedule). */
  readonly confirmation?:
    | { readonly scheduler: ConfirmationScheduler; readonly afterMinutes: number }
    | undefined;
}

/** What became of an `Incident Contained` event: investigated, or skipped and why. */
export type ContainedOutcome =
  | ({
      readonly kind: "investigated";
      readonly containmentId: string;
      /** Persistence findings handed over to the respond function. */
      readonly persistence: number;
      /** When the containment check is due (undefined: no check scheduled). */
      readonly checkAt: string | undefined;
    } & InvestigationOutcome)
  | { readonly kind: "skipped"; readonly incidentId: string; readonly reason: string };

/**
 * Incident Contained (its incident id only) → the stored incident → investigate it if it is
 * contained and this containment was not investigated yet. The containment is marked investigated
 * only when no search needs a retry, so a retried invocation searches again.
 */
export async function investigateContainedIncident(
  incidentId: string,
  settings: InvestigateSettings,
  deps: ContainedDeps,
): Promise<ContainedOutcome> {
  const stored = await deps.store.getIncident(incidentId);
  if (stored === undefined) throw new IncidentNotFoundError(incidentId);
  const verdict = containmentToInvestigate(stored.incident, stored.state.investigatedContainment);
  if (verdict.kind === "skip") {
    deps.log.info("investigation skipped", { reason: verdict.reason });
    return { kind: "skipped", incidentId, reason: verdict.reason };
  }
  const { detail } = verdict;
  let checkAt: string | undefined;
  if (deps.confirmation !== undefined) {
    // First, and fast: whatever the search finds, the containment is checked again later.
    const schedule = confirmationScheduleOf(
      incidentId,
      verdict.containmentId,
      detail.containedAt,
      deps.confirmation.afterMinutes,
      deps.now(),
    );
    const result = await deps.confirmation.scheduler.schedule(schedule);
    checkAt = schedule.at.toISOString();
    deps.log.info("containment check scheduled", { schedule: schedule.name, at: checkAt, result });
  }
  const collector = new PersistenceCollector({
    incidentId,
    accountId: detail.accountId,
    leakedKeyId: detail.accessKeyId,
  });
  const outcome = await investigateIncident(
    detail,
    settings,
    { ...deps, observe: (event, region) => collector.add(event, region) },
    stored.state,
  );
  const findings = collector.findings();
  if (deps.persistence !== undefined && findings.length > 0) {
    await handOverPersistence(incidentId, findings, { ...deps.persistence, log: deps.log });
  }
  if (outcome.retryableFailures.length === 0) {
    await deps.store.markInvestigated(incidentId, verdict.containmentId);
  }
  return {
    kind: "investigated",
    containmentId: verdict.containmentId,
    persistence: deps.persistence === undefined ? 0 : findings.length,
    checkAt,
    ...outcome,
  };
}
