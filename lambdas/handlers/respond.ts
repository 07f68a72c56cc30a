import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDbIncidentStore } from "../adapters/dynamodb-incidents.js";
import { EventBridgePublisher } from "../adapters/eventbridge-events.js";
import { IamAdapter } from "../adapters/iam.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { assumedRoleCredentials } from "../adapters/sts.js";
import { parseRespondConfig } from "../core/config.js";
import { AwsCallError, describeError, InvalidEventError } from "../core/errors.js";
import type { IamPort } from "../core/ports.js";
import { type ExposureOutcome, respondToExposure } from "../core/respond/respond.js";
import { normalizeEvent } from "../core/sources/registry.js";

// Cold start: configuration once (a bad value fails here, naming the variable), clients once.
const config = parseRespondConfig(process.env);
const logger = new Logger({ serviceName: "leaked-key-responder", persistentKeys: { mode: config.mode } });
const homeIam = new IamAdapter(new IAMClient({}));
const memberIam = new Map<string, IamPort>();
let sts: STSClient | undefined;

const deps = {
  incidents: new DynamoDbIncidentStore(new DynamoDBClient({}), config.incidentTableName),
  alerts: new SnsAlertPublisher(new SNSClient({}), config.alertTopicArn),
  events: new EventBridgePublisher(new EventBridgeClient({}), config.eventBusName),
  now: () => new Date(),
  // Lambda usually retries a failed asynchronous invocation in the same warm container.
  unrecordedAlerts: new Set<string>(),
  settings: config,
  log: {
    info: (message: string, fields: Record<string, unknown> = {}) => logger.info(message, fields),
    warn: (message: string, fields: Record<string, unknown> = {}) => logger.warn(message, fields),
    error: (message: string, fields: Record<string, unknown> = {}) => logger.error(message, fields),
  },
};

/** The function's own account, from its ARN; unknown when invoked without a Lambda context. */
function homeAccountOf(context: { invokedFunctionArn?: string } | undefined): string | undefined {
  return context?.invokedFunctionArn?.split(":")[4];
}

function iamForAccount(homeAccount: string | undefined) {
  return async (accountId: string): Promise<IamPort> => {
    if (homeAccount === undefined || accountId === homeAccount) return homeIam;
    const roleName = config.memberRoleName;
    if (roleName === undefined) {
      throw new AwsCallError("sts:AssumeRole", "MemberRoleNotConfigured", {
        cause: new Error(
          `event for account ${accountId}, responder in ${homeAccount}, MEMBER_ROLE_NAME unset`,
        ),
      });
    }
    let iam = memberIam.get(accountId);
    if (iam === undefined) {
      sts ??= new STSClient({});
      const roleArn = `arn:aws:iam::${accountId}:role/${roleName}`;
      iam = new IamAdapter(
        new IAMClient({ credentials: assumedRoleCredentials(sts, roleArn, "leaked-key-responder") }),
      );
      memberIam.set(accountId, iam);
    }
    return iam;
  };
}

export interface RespondResult {
  readonly status: "ignored" | "handled";
  readonly outcomes: readonly ExposureOutcome[];
}

/**
 * EventBridge → respond. Unsupported source: warn and return. Malformed event of a known
 * source: InvalidEventError is thrown, so EventBridge retries and then its DLQ keeps the event.
 * Every key of the event is handled even when one fails; the invocation then fails as a whole.
 */
export async function handler(
  event: unknown,
  context?: { invokedFunctionArn?: string },
): Promise<RespondResult> {
  logger.debug("event", { event });
  let normalized: ReturnType<typeof normalizeEvent>;
  try {
    normalized = normalizeEvent(event, { guardDutyPolicy: config.guardDutyPolicy });
  } catch (error) {
    if (error instanceof InvalidEventError) {
      logger.error("invalid event", { source: error.source, issues: error.issues, error: error.message });
    }
    throw error;
  }
  if (normalized.kind === "unsupported") {
    logger.warn("unsupported event", { source: normalized.source, detailType: normalized.detailType });
    return { status: "ignored", outcomes: [] };
  }
  if (normalized.exposures.length === 0) {
    logger.info("no exposed key in event", {
      source: normalized.envelope.source,
      sourceEventId: normalized.envelope.id,
    });
    return { status: "ignored", outcomes: [] };
  }
  const iamFor = iamForAccount(homeAccountOf(context));
  const outcomes: ExposureOutcome[] = [];
  const failures: unknown[] = [];
  for (const exposure of normalized.exposures) {
    const keys = {
      accessKeyId: exposure.accessKeyId,
      source: exposure.source,
      sourceEventId: exposure.sourceEventId,
      incidentId: `${exposure.accountId}-${exposure.accessKeyId}`,
    };
    logger.appendKeys(keys);
    try {
      outcomes.push(await respondToExposure(exposure, { ...deps, iamFor }));
    } catch (error) {
      logger.error("response failed", { error: describeError(error) });
      failures.push(error);
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} keys not fully handled`);
  return { status: "handled", outcomes };
}
