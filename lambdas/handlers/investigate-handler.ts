import { Logger } from "@aws-lambda-powertools/logger";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../adapters/cloudtrail.js";
import { DynamoDbInvestigationStore } from "../adapters/dynamodb-investigations.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { describeError, InvalidEventError } from "../core/errors.js";
import { DEFAULT_TOP_N, type InvestigateConfig } from "../core/investigation/config.js";
import { parseContainedEvent } from "../core/investigation/contained-event.js";
import { IncompleteInvestigationError } from "../core/investigation/errors.js";
import { type InvestigateSettings, investigateContainedIncident } from "../core/investigation/investigate.js";
import { logTo, SERVICE_NAME } from "./wiring.js";

/** Time kept back from the Lambda timeout to store the summary and send the alert. */
const RESERVE_MS = 90_000;

/** The AWS clients, clock and logger the investigate function runs with. */
export interface InvestigateClients {
  /** The CloudTrail client of a region; one per region, reused. */
  readonly cloudTrailFor: (region: string) => CloudTrailClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface InvestigateResult {
  /** "skipped": not contained, or this containment was investigated already (`reason` says which). */
  readonly status: "alerted" | "unchanged" | "stale" | "skipped";
  readonly incidentId: string;
  readonly reason?: string;
  readonly totalCalls: number;
  readonly flagged: readonly string[];
  readonly complete: boolean;
}

export type InvestigateHandler = (
  event: unknown,
  context?: { getRemainingTimeInMillis?: () => number },
) => Promise<InvestigateResult>;

/**
 * Every client built with default configuration (credentials, region and endpoints such as
 * AWS_ENDPOINT_URL_CLOUDTRAIL from the environment), the real clock, one logger.
 */
export function investigateClients(): InvestigateClients {
  return {
    cloudTrailFor: cloudTrailClientFactory(),
    dynamodb: new DynamoDBClient({}),
    sns: new SNSClient({}),
    now: () => new Date(),
    logger: new Logger({ serviceName: SERVICE_NAME, persistentKeys: { function: "investigate" } }),
  };
}

/**
 * EventBridge `Incident Contained` (on the responder's own bus) → its incident id → the stored
 * incident → what did the key do? Skipped unless contained and not yet investigated for this
 * containment. Invalid event: InvalidEventError is
 * thrown (retried, then the DLQ keeps it). Searches that fail transiently are reported in the
 * follow-up, then the invocation fails so Lambda retries it.
 */
export function createInvestigateHandler(
  config: InvestigateConfig,
  clients: InvestigateClients,
): InvestigateHandler {
  const { logger } = clients;
  const settings: InvestigateSettings = {
    regions: config.regions,
    window: { lookbackHours: config.lookbackHours, maxLookbackDays: config.maxLookbackDays },
    maxSessionKeys: config.maxSessionKeys,
    topN: DEFAULT_TOP_N,
  };
  const activity = new CloudTrailActivitySource({ clientFor: clients.cloudTrailFor });
  const store = new DynamoDbInvestigationStore(clients.dynamodb, config.incidentTableName);
  const alerts = new SnsAlertPublisher(clients.sns, config.alertTopicArn, config.chatTopicArn);
  const log = logTo(logger);

  return async (event, context) => {
    logger.debug("event", { event });
    let input: ReturnType<typeof parseContainedEvent>;
    try {
      input = parseContainedEvent(event);
    } catch (error) {
      if (error instanceof InvalidEventError) {
        logger.error("invalid event", { source: error.source, issues: error.issues, error: error.message });
      }
      throw error;
    }
    const keys = { incidentId: input.incidentId, sourceEventId: input.eventId };
    logger.appendKeys(keys);
    try {
      const remaining = context?.getRemainingTimeInMillis;
      const outcome = await investigateContainedIncident(input.incidentId, settings, {
        activity,
        store,
        alerts,
        log,
        now: clients.now,
        shouldStop: () => remaining !== undefined && remaining() < RESERVE_MS,
      });
      if (outcome.kind === "skipped") {
        const { incidentId, reason } = outcome;
        return { status: "skipped", incidentId, reason, totalCalls: 0, flagged: [], complete: true };
      }
      if (outcome.retryableFailures.length > 0) {
        throw new IncompleteInvestigationError(outcome.incidentId, outcome.retryableFailures);
      }
      return {
        status: outcome.status,
        incidentId: outcome.incidentId,
        totalCalls: outcome.summary.totalCalls,
        flagged: outcome.summary.flagged.map((f) => f.eventName),
        complete: outcome.summary.complete,
      };
    } catch (error) {
      logger.error("investigation failed", { error: describeError(error) });
      throw error;
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };
}
