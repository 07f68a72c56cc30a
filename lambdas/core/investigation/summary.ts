import { RISK_CATEGORIES, type RiskCategory, riskOf } from "./high-risk.js";
import type { ApiCall, MintedKey } from "./record.js";
import { type CountEntry, TopCounter, type TopList } from "./top-counter.js";

/** A call worth pointing at: when, what, where, with which key. */
export interface CallRef {
  readonly at: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly sourceIp: string;
}

/** All calls of one high-risk event name, folded. */
export interface FlaggedCalls {
  readonly eventName: string;
  readonly category: RiskCategory;
  readonly count: number;
  readonly errors: number;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly regions: readonly CountEntry[];
  /** What the successful calls touched (failed calls touched nothing), at most MAX_RESOURCES. */
  readonly resources: readonly string[];
  /** Further distinct resources not listed. */
  readonly moreResources: number;
}

export interface SessionKey extends MintedKey {
  /** Calls made with the session key (0 when it was not looked up). */
  readonly calls: number;
  readonly followed: boolean;
}

/** One LookupEvents search: one key in one region. */
export interface SearchRecord {
  readonly region: string;
  readonly accessKeyId: string;
  readonly pages: number;
  readonly events: number;
  readonly status: "complete" | "failed" | "stopped";
  readonly error?: string;
  /** The failure may pass on a retry (throttling, 5xx, network). */
  readonly retryable?: boolean;
}

/** What the key did, bounded in size whatever the volume (it is stored on the incident and mailed). */
export interface ActivitySummary {
  readonly version: 1;
  readonly accessKeyId: string;
  readonly window: { readonly start: string; readonly end: string; readonly basis: string };
  readonly regions: readonly string[];
  readonly totalCalls: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Records whose CloudTrailEvent could not be read; counted from LookupEvents' outer fields. */
  readonly unparsedRecords: number;
  readonly firstCall: CallRef | undefined;
  readonly lastCall: CallRef | undefined;
  readonly byEventName: TopList;
  readonly byRegion: TopList;
  readonly bySourceIp: TopList;
  readonly byUserAgent: TopList;
  readonly byErrorCode: TopList;
  readonly byAccessKey: TopList;
  readonly flagged: readonly FlaggedCalls[];
  readonly sessionKeys: readonly SessionKey[];
  /** Session keys seen but not looked up (over the limit, or minted by a session key: one level only). */
  readonly sessionKeysNotFollowed: number;
  readonly searches: readonly SearchRecord[];
  /** Every search ran to its last page. */
  readonly complete: boolean;
}

export const MAX_RESOURCES = 10;
/** Session keys remembered (an attacker looping on AssumeRole mints one per call); further ones are only counted. */
export const MAX_SESSION_KEYS_TRACKED = 100;

interface FlaggedState {
  category: RiskCategory;
  count: number;
  errors: number;
  firstAt: string;
  lastAt: string;
  regions: TopCounter;
  resources: Set<string>;
  moreResources: number;
}

function refOf(call: ApiCall): CallRef {
  return {
    at: call.eventTime,
    eventId: call.eventId,
    eventName: call.eventName,
    region: call.region,
    accessKeyId: call.accessKeyId,
    sourceIp: call.sourceIp,
  };
}

function byMintTime(a: MintedKey, b: MintedKey): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.accessKeyId < b.accessKeyId ? -1 : 1;
}

/** Orders calls by time, then event id, so "first" and "last" do not depend on page order. */
function isBefore(a: CallRef, b: CallRef): boolean {
  return a.at < b.at || (a.at === b.at && a.eventId < b.eventId);
}

/**
 * Folds API calls into an ActivitySummary as pages stream in: memory stays bounded by the
 * counters' capacity, not by the number of calls.
 */
export class ActivityAggregator {
  private total = 0;
  private failedCount = 0;
  private unparsed = 0;
  private first: CallRef | undefined;
  private last: CallRef | undefined;
  private readonly eventNames = new TopCounter();
  private readonly regionCounts = new TopCounter();
  private readonly sourceIps = new TopCounter();
  private readonly userAgents = new TopCounter();
  private readonly errorCodes = new TopCounter();
  private readonly accessKeys = new TopCounter();
  private readonly flaggedByName = new Map<string, FlaggedState>();
  /** Every session key seen minted, with the key that minted it. */
  private readonly minted = new Map<string, { key: MintedKey; mintedBy: string }>();
  private readonly callsByKey = new Map<string, number>();
  private readonly searchRecords: SearchRecord[] = [];
  private mintedUntracked = 0;

  constructor(private readonly investigatedKey: string) {}

  add(call: ApiCall): void {
    this.total += 1;
    if (!call.parsed) this.unparsed += 1;
    if (call.errorCode !== undefined) {
      this.failedCount += 1;
      this.errorCodes.add(call.errorCode);
    }
    this.eventNames.add(call.eventName);
    this.regionCounts.add(call.region);
    this.sourceIps.add(call.sourceIp);
    this.userAgents.add(call.userAgent);
    this.accessKeys.add(call.accessKeyId);
    this.callsByKey.set(call.accessKeyId, (this.callsByKey.get(call.accessKeyId) ?? 0) + 1);
    if (call.eventTime !== "") {
      const ref = refOf(call);
      if (this.first === undefined || isBefore(ref, this.first)) this.first = ref;
      if (this.last === undefined || isBefore(this.last, ref)) this.last = ref;
    }
    const category = riskOf(call.eventName);
    if (category !== undefined) this.flag(call, category);
    // One level deep: only keys minted by the investigated key itself are followed.
    if (call.minted !== undefined && !this.minted.has(call.minted.accessKeyId)) {
      if (this.minted.size < MAX_SESSION_KEYS_TRACKED) {
        this.minted.set(call.minted.accessKeyId, { key: call.minted, mintedBy: call.accessKeyId });
      } else {
        this.mintedUntracked += 1;
      }
    }
  }

  private flag(call: ApiCall, category: RiskCategory): void {
    let state = this.flaggedByName.get(call.eventName);
    if (state === undefined) {
      state = {
        category,
        count: 0,
        errors: 0,
        firstAt: call.eventTime,
        lastAt: call.eventTime,
        regions: new TopCounter(64),
        resources: new Set(),
        moreResources: 0,
      };
      this.flaggedByName.set(call.eventName, state);
    }
    state.count += 1;
    if (call.errorCode !== undefined) state.errors += 1;
    if (call.eventTime !== "" && (state.firstAt === "" || call.eventTime < state.firstAt))
      state.firstAt = call.eventTime;
    if (call.eventTime > state.lastAt) state.lastAt = call.eventTime;
    state.regions.add(call.region);
    if (call.errorCode !== undefined) return;
    for (const resource of call.resources) {
      if (state.resources.has(resource)) continue;
      if (state.resources.size < MAX_RESOURCES) state.resources.add(resource);
      else state.moreResources += 1;
    }
  }

  /** Session keys minted by the investigated key, in the order they were minted. */
  sessionKeysToFollow(): MintedKey[] {
    return [...this.minted.values()]
      .filter((m) => m.mintedBy === this.investigatedKey)
      .map((m) => m.key)
      .sort(byMintTime);
  }

  recordSearch(search: SearchRecord): void {
    this.searchRecords.push(search);
  }

  summary(input: {
    window: ActivitySummary["window"];
    regions: readonly string[];
    followed: ReadonlySet<string>;
    topN: number;
  }): ActivitySummary {
    const flagged = [...this.flaggedByName.entries()]
      .map(([eventName, s]) => ({
        eventName,
        category: s.category,
        count: s.count,
        errors: s.errors,
        firstAt: s.firstAt,
        lastAt: s.lastAt,
        regions: s.regions.top(64).top,
        resources: [...s.resources],
        moreResources: s.moreResources,
      }))
      .sort(
        (a, b) =>
          RISK_CATEGORIES.indexOf(a.category) - RISK_CATEGORIES.indexOf(b.category) ||
          b.count - a.count ||
          (a.eventName < b.eventName ? -1 : 1),
      );
    const sessionKeys: SessionKey[] = [];
    let notFollowed = this.mintedUntracked;
    for (const key of [...this.minted.values()].map((m) => m.key).sort(byMintTime)) {
      const followed = input.followed.has(key.accessKeyId);
      if (!followed) notFollowed += 1;
      sessionKeys.push({ ...key, calls: this.callsByKey.get(key.accessKeyId) ?? 0, followed });
    }
    return {
      version: 1,
      accessKeyId: this.investigatedKey,
      window: input.window,
      regions: [...input.regions],
      totalCalls: this.total,
      succeeded: this.total - this.failedCount,
      failed: this.failedCount,
      unparsedRecords: this.unparsed,
      firstCall: this.first,
      lastCall: this.last,
      byEventName: this.eventNames.top(input.topN),
      byRegion: this.regionCounts.top(input.topN),
      bySourceIp: this.sourceIps.top(input.topN),
      byUserAgent: this.userAgents.top(input.topN),
      byErrorCode: this.errorCodes.top(input.topN),
      byAccessKey: this.accessKeys.top(input.topN),
      flagged,
      sessionKeys,
      sessionKeysNotFollowed: notFollowed,
      searches: [...this.searchRecords],
      complete: this.searchRecords.every((s) => s.status === "complete"),
    };
  }
}

/**
 * What the activity looks like, in one string: a repeated event with the same fingerprint has
 * nothing new to say. Count + newest call + searches that did not complete.
 */
export function activityFingerprint(summary: ActivitySummary): string {
  const last = summary.lastCall;
  const incomplete = summary.searches
    .filter((s) => s.status !== "complete")
    .map((s) => `${s.region}/${s.accessKeyId}`)
    .sort();
  return [
    summary.totalCalls,
    last?.at ?? "-",
    last?.eventId ?? "-",
    incomplete.length > 0 ? `incomplete:${incomplete.join(",")}` : "complete",
  ].join("|");
}
