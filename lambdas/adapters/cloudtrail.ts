import {
  CloudTrailClient,
  type Event,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from "@aws-sdk/client-cloudtrail";
import { TransientAwsError } from "../core/errors.js";
import type { ActivitySource } from "../core/investigation/ports.js";
import type { LookupEventRecord } from "../core/investigation/record.js";
import { call } from "./aws-errors.js";

/** LookupEvents answers about 2 requests per second per account and region. */
export const LOOKUP_EVENTS_MIN_INTERVAL_MS = 500;
/** The largest page LookupEvents returns. */
export const LOOKUP_EVENTS_PAGE_SIZE = 50;

export interface CloudTrailActivityOptions {
  /** The client for a region; one per region, reused. */
  readonly clientFor: (region: string) => CloudTrailClient;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds clock for pacing. */
  readonly now?: () => number;
  readonly minIntervalMs?: number;
  /** Attempts per request when throttled (or another transient failure), the first included. */
  readonly maxAttempts?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** In [0, 1): spreads retries of concurrent invocations apart. */
  readonly random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One CloudTrailClient per region, built with default configuration: credentials, retries and
 * endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDTRAIL) come from the environment.
 */
export function cloudTrailClientFactory(): (region: string) => CloudTrailClient {
  const clients = new Map<string, CloudTrailClient>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = new CloudTrailClient({ region });
      clients.set(region, client);
    }
    return client;
  };
}

/** The SDK's LookupEvents `Event` as core reads it. */
export function toLookupEventRecord(event: Event): LookupEventRecord {
  return {
    eventId: event.EventId,
    eventName: event.EventName,
    eventTime: event.EventTime,
    eventSource: event.EventSource,
    accessKeyId: event.AccessKeyId,
    username: event.Username,
    resources: (event.Resources ?? []).map((r) => ({ type: r.ResourceType, name: r.ResourceName })),
    cloudTrailEvent: event.CloudTrailEvent,
  };
}

/**
 * CloudTrail event history through LookupEvents: pages followed to the end, requests paced to
 * at most one per `minIntervalMs` per region (shared by every search in that region), and
 * throttling answered with exponential backoff instead of failure, up to `maxAttempts`.
 */
export class CloudTrailActivitySource implements ActivitySource {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly random: () => number;
  /** Per region: the earliest time the next request may start. */
  private readonly nextSlot = new Map<string, number>();

  constructor(private readonly options: CloudTrailActivityOptions) {
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? LOOKUP_EVENTS_MIN_INTERVAL_MS;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 20_000;
    this.random = options.random ?? Math.random;
  }

  async *pages(
    region: string,
    accessKeyId: string,
    start: string,
    end: string,
  ): AsyncGenerator<readonly LookupEventRecord[]> {
    let nextToken: string | undefined;
    do {
      const out = await this.lookUp(region, {
        LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: accessKeyId }],
        StartTime: new Date(start),
        EndTime: new Date(end),
        MaxResults: LOOKUP_EVENTS_PAGE_SIZE,
        NextToken: nextToken,
      });
      yield (out.Events ?? []).map(toLookupEventRecord);
      nextToken = out.NextToken || undefined;
    } while (nextToken !== undefined);
  }

  /** Waits for the region's next request slot and takes it. */
  private async pace(region: string): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot.get(region) ?? 0);
    this.nextSlot.set(region, slot + this.minIntervalMs);
    if (slot > now) await this.sleep(slot - now);
  }

  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  private async lookUp(region: string, input: LookupEventsCommandInput) {
    const client = this.options.clientFor(region);
    for (let attempt = 1; ; attempt += 1) {
      await this.pace(region);
      try {
        return await call("cloudtrail:LookupEvents", () => client.send(new LookupEventsCommand(input)));
      } catch (error) {
        if (!(error instanceof TransientAwsError) || attempt >= this.maxAttempts) throw error;
        await this.sleep(this.backoffMs(attempt));
      }
    }
  }
}
