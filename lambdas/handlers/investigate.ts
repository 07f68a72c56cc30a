import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../adapters/cloudtrail.js";
import { DynamoDbInvestigationStore } from "../adapters/dynamodb-investigations.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { describeError, InvalidEventError } from "../core/errors.js";
import { DEFAULT_TOP_N, parseInvestigateConfig } from "../core/investigation/config.js";
import { parseContainedEvent } from "../core/investigation/contained-event.js";
import { IncompleteInvestigationError } from "../core/investigation/errors.js";
import { type InvestigateSettings, investigateIncident } from "../core/investigation/investigate.js";

// Cold start: configuration once (a bad value fails here, naming the variable), clients once.
const config = parseInvestigateConfig(process.env);
const logger = new Logger({
  serviceName: "leaked-key-responder",
  persistentKeys: { function: "investigate" },
});
const settings: InvestigateSettings = {
  regions: config.regions,
  window: { lookbackHours: config.lookbackHours, maxLookbackDays: config.maxLookbackDays },
  maxSessionKeys: config.maxSessionKeys,
  topN: DEFAULT_TOP_N,
};
const activity = new CloudTrailActivitySource({ clientFor: cloudTrailClientFactory() });
const store = new DynamoDbInvestigationStore(new DynamoDBClient({}), config.incidentTableName);
const alerts = new SnsAlertPublisher(new SNSClient({}), config.alertTopicArn);
const log = {
  info: (message: string, fields: Record<string, unknown> = {}) => logger.info(message, fields),
  warn: (message: string, fields: Record<string, unknown> = {}) => logger.warn(message, fields),
  error: (message: string, fields: Record<string, unknown> = {}) => logger.error(message, fields),
};

/** Time kept back from the Lambda timeout to store the summary and send the alert. */
const RESERVE_MS = 90_000;

export interface InvestigateResult {
  readonly status: "alerted" | "unchanged" | "stale";
  readonly incidentId: string;
  readonly totalCalls: number;
  readonly flagged: readonly string[];
  readonly complete: boolean;
}

/**
 * EventBridge `Incident Contained` → what did the key do? Invalid event: InvalidEventError is
 * thrown (retried, then the DLQ keeps it). Searches that fail transiently are reported in the
 * follow-up, then the invocation fails so Lambda retries it.
 */
export async function handler(
  event: unknown,
  context?: { getRemainingTimeInMillis?: () => number },
): Promise<InvestigateResult> {
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
  const { detail } = input;
  const keys = {
    incidentId: detail.incidentId,
    accessKeyId: detail.accessKeyId,
    sourceEventId: input.eventId,
  };
  logger.appendKeys(keys);
  try {
    const remaining = context?.getRemainingTimeInMillis;
    const outcome = await investigateIncident(detail, settings, {
      activity,
      store,
      alerts,
      log,
      now: () => new Date(),
      shouldStop: () => remaining !== undefined && remaining() < RESERVE_MS,
    });
    if (outcome.retryableFailures.length > 0) {
      throw new IncompleteInvestigationError(detail.incidentId, outcome.retryableFailures);
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
}
