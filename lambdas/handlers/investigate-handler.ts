import { Logger } from "@aws-lambda-powertools/logger";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../adapters/cloudtrail.js";
import { DynamoDbInvestigationStore } from "../adapters/dynamodb-investigations.js";
import { EventBridgePersistencePublisher } from "../adapters/eventbridge-persistence.js";
import { IamRoleTrustReader } from "../adapters/iam-role-trust.js";
import { EventBridgeConfirmationScheduler } from "../adapters/scheduler.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { MemberAccounts } from "../adapters/sts-member-accounts.js";
import { describeError, InvalidEventError } from "../core/errors.js";
import { DEFAULT_TOP_N, type InvestigateConfig } from "../core/investigation/config.js";
import {
  type ConfirmOutcome,
  confirmContainment,
  isConfirmRequest,
  parseConfirmRequest,
} from "../core/investigation/confirmation.js";
import { parseContainedEvent } from "../core/investigation/contained-event.js";
import { IncompleteInvestigationError } from "../core/investigation/errors.js";
import {
  type ContainedDeps,
  type InvestigateSettings,
  investigateContainedIncident,
} from "../core/investigation/investigate.js";
import { accountOfIncident, MemberAccountUnreachableError, NoMemberRoleError } from "../core/organization.js";
import { logTo, SERVICE_NAME } from "./wiring.js";

/** Time kept back from the Lambda timeout to store the summary and send the alert. */
const RESERVE_MS = 90_000;

/** The AWS clients, clock and logger the investigate function runs with. */
export interface InvestigateClients {
  /** The CloudTrail client of a region; one per region, reused. */
  readonly cloudTrailFor: (region: string) => CloudTrailClient;
  /** STS of the home account, for member accounts' roles; called once, on the first member account. */
  readonly sts?: () => STSClient;
  /** The CloudTrail client of a region of a member account, with the member role's credentials. */
  readonly memberCloudTrailFor?: (
    credentials: AwsCredentialIdentityProvider,
    region: string,
  ) => CloudTrailClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  /** Persistence found goes on the responder's bus (EVENT_BUS_NAME). @default a client with default configuration */
  readonly eventBridge?: EventBridgeClient | undefined;
  /** iam:GetRole only: a changed trust policy's diff. @default a client with default configuration */
  readonly iam?: IAMClient | undefined;
  /** The one-time schedules that check a containment later. @default a client with default configuration */
  readonly scheduler?: SchedulerClient | undefined;
  /** The function the schedules invoke, when the invocation does not say (local runs; Lambda's context does). */
  readonly functionArn?: string | undefined;
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
  /** Persistence findings handed over to the respond function. */
  readonly persistence?: number;
  /** When the containment check is due. */
  readonly checkAt?: string | undefined;
}

/** What the scheduled containment check found (`kind`), for the incident. */
export type ConfirmResult = ConfirmOutcome & { readonly incidentId: string };

export type InvestigateHandler = (
  event: unknown,
  context?: { getRemainingTimeInMillis?: () => number; invokedFunctionArn?: string },
) => Promise<InvestigateResult | ConfirmResult>;

/**
 * The CloudTrail of the incident's account: the home account's own, or a member account's through
 * the member role (credentials cached per account for their lifetime); one activity source per
 * account, so each is paced at CloudTrail's rate of its own account.
 */
function activityByAccount(config: InvestigateConfig, clients: InvestigateClients) {
  const home = new CloudTrailActivitySource({ clientFor: clients.cloudTrailFor });
  const members = new MemberAccounts({
    roleName: config.memberRoleName,
    sts: clients.sts ?? (() => new STSClient({})),
    sessionName: SERVICE_NAME,
  });
  const sources = new Map<string, CloudTrailActivitySource>();
  return async (accountId: string | undefined, homeAccount: string | undefined) => {
    if (accountId === undefined || homeAccount === undefined || !members.isMember(accountId, homeAccount))
      return home;
    const credentials = await members.credentialsFor(accountId, homeAccount);
    let source = sources.get(accountId);
    if (source === undefined) {
      const memberClient =
        clients.memberCloudTrailFor ?? ((c, region) => new CloudTrailClient({ region, credentials: c }));
      const regional = new Map<string, CloudTrailClient>();
      source = new CloudTrailActivitySource({
        clientFor: (region) => {
          let client = regional.get(region);
          if (client === undefined) {
            client = memberClient(credentials, region);
            regional.set(region, client);
          }
          return client;
        },
      });
      sources.set(accountId, source);
    }
    return source;
  };
}

/**
 * Every client built with default configuration (credentials, region and endpoints such as
 * AWS_ENDPOINT_URL_CLOUDTRAIL from the environment), the real clock, one logger.
 */
export function investigateClients(): InvestigateClients {
  return {
    cloudTrailFor: cloudTrailClientFactory(),
    sts: () => new STSClient({}),
    memberCloudTrailFor: (credentials, region) => new CloudTrailClient({ region, credentials }),
    dynamodb: new DynamoDBClient({}),
    sns: new SNSClient({}),
    eventBridge: new EventBridgeClient({}),
    iam: new IAMClient({}),
    scheduler: new SchedulerClient({}),
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
  const activityFor = activityByAccount(config, clients);
  const store = new DynamoDbInvestigationStore(clients.dynamodb, config.incidentTableName);
  const alerts = new SnsAlertPublisher(clients.sns, config.alertTopicArn, config.chatTopicArn);
  const log = logTo(logger);
  const persistence =
    config.eventBusName === undefined
      ? undefined
      : {
          publisher: new EventBridgePersistencePublisher(
            clients.eventBridge ?? new EventBridgeClient({}),
            config.eventBusName,
          ),
          roles: new IamRoleTrustReader(clients.iam ?? new IAMClient({})),
        };
  /** The function the schedules invoke: this one (from the invocation's context). */
  let functionArn = clients.functionArn;
  const schedule = config.schedule;
  const confirmation: ContainedDeps["confirmation"] =
    schedule === undefined
      ? undefined
      : {
          afterMinutes: config.confirmAfterMinutes,
          scheduler: new EventBridgeConfirmationScheduler(
            clients.scheduler ?? new SchedulerClient({}),
            () => {
              if (functionArn === undefined)
                throw new Error("no function ARN to schedule the containment check on");
              return { ...schedule, functionArn };
            },
          ),
        };

  const confirm = async (event: unknown): Promise<ConfirmResult> => {
    const request = parseConfirmRequest(event);
    logger.appendKeys({ incidentId: request.incidentId });
    try {
      // The key's own account (a member account through its role); unreachable: thrown, so
      // Scheduler retries and then dead-letters the check.
      const activity = await activityFor(accountOfIncident(request.incidentId), functionArn?.split(":")[4]);
      const outcome = await confirmContainment(
        request,
        { regions: config.regions, maxCalls: DEFAULT_TOP_N * 5 },
        { activity, store, alerts, log, now: clients.now },
      );
      logger.info("containment check", {
        outcome: outcome.kind,
        ...("reason" in outcome ? { reason: outcome.reason } : {}),
      });
      return { ...outcome, incidentId: request.incidentId };
    } catch (error) {
      logger.error("containment check failed", { error: describeError(error) });
      throw error;
    } finally {
      logger.removeKeys(["incidentId"]);
    }
  };

  return async (event, context) => {
    logger.debug("event", { event });
    functionArn = context?.invokedFunctionArn ?? functionArn;
    if (isConfirmRequest(event)) return confirm(event);
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
      const accountId = accountOfIncident(input.incidentId);
      let activity: CloudTrailActivitySource;
      try {
        activity = await activityFor(accountId, context?.invokedFunctionArn?.split(":")[4]);
      } catch (error) {
        if (!(error instanceof MemberAccountUnreachableError || error instanceof NoMemberRoleError))
          throw error;
        logger.warn("member account unreachable: not investigated", {
          accountId,
          error: describeError(error),
        });
        const reason = error.message;
        return {
          status: "skipped",
          incidentId: input.incidentId,
          reason,
          totalCalls: 0,
          flagged: [],
          complete: false,
        };
      }
      const outcome = await investigateContainedIncident(input.incidentId, settings, {
        activity,
        store,
        alerts,
        log,
        now: clients.now,
        shouldStop: () => remaining !== undefined && remaining() < RESERVE_MS,
        persistence,
        confirmation,
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
        ...(persistence === undefined ? {} : { persistence: outcome.persistence }),
        ...(outcome.checkAt === undefined ? {} : { checkAt: outcome.checkAt }),
      };
    } catch (error) {
      logger.error("investigation failed", { error: describeError(error) });
      throw error;
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };
}
