import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { DynamoDbAuditStore } from "../adapters/dynamodb-audit.js";
import { DynamoDbHoneyKeys } from "../adapters/dynamodb-honey.js";
import { DynamoDbIncidentStore } from "../adapters/dynamodb-incidents.js";
import { EventBridgePublisher } from "../adapters/eventbridge-events.js";
import { IamAdapter } from "../adapters/iam.js";
import { LambdaRoleSessionRevoker, NoRoleRevokerInAccount } from "../adapters/lambda-role-revoker.js";
import { OrganizationsPlacement } from "../adapters/organizations.js";
import { PowertoolsMetricsSink } from "../adapters/powertools-metrics.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { MemberAccounts } from "../adapters/sts-member-accounts.js";
import { type AccountPlacement, extraTopicsFor, needsPlacement } from "../core/alert-routes.js";
import { unannouncedBecause } from "../core/audit/enforcement.js";
import type { RespondConfig } from "../core/config.js";
import { METRICS } from "../core/contract.js";
import { describeError, InvalidEventError } from "../core/errors.js";
import type { Exposure } from "../core/exposure.js";
import { type HoneyUseOutcome, handleHoneyUse } from "../core/honeykey/handle-use.js";
import { DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS, DEFAULT_HONEY_PATH } from "../core/honeykey/model.js";
import { honeyUseCandidateOf } from "../core/honeykey/use.js";
import type { Log } from "../core/log.js";
import { emfCount } from "../core/metrics.js";
import { memberSessionDenyPolicyArn } from "../core/organization.js";
import type {
  AlertPublisher,
  IamPort,
  IamPortFor,
  RoleSessionRevoker,
  RoleSessionRevokerFor,
} from "../core/ports.js";
import { quarantinePolicyArnsOf } from "../core/quarantine-fallback.js";
import { exposuresOfAwsQuarantine } from "../core/respond/aws-quarantine.js";
import { type ExposureOutcome, type RespondDeps, respondToExposure } from "../core/respond/respond.js";
import { exposuresOfDetached } from "../core/respond/tamper.js";
import { failureMetricsOf, type MetricsSink, responseMetricsOf } from "../core/response-metrics.js";
import type { AwsQuarantine } from "../core/sources/aws-quarantine.js";
import type { PolicyDetached, TagNotice } from "../core/sources/iam-watch.js";
import { type QueuedEvent, queueBatchOf, queuedEventOf } from "../core/sources/queue-batch.js";
import { type NormalizeOptions, normalizeEvent } from "../core/sources/registry.js";
import { renderTagNotice } from "../core/tag-notice.js";
import { dryRunCommand } from "./warm-sdk.js";
import { WarmSockets } from "./warm-sockets.js";
import { logTo, type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

/** The AWS clients, clock and logger the respond function runs with. */
export interface RespondClients {
  /** IAM of the function's own account. */
  readonly iam: IAMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
  /** Lambda, to invoke the role-session revoker (ROLE_SESSION_REVOKER_FUNCTION). */
  readonly lambda: LambdaClient;
  /** The revoker itself, in place of invoking the function (the local drill and tests run it in-process). */
  readonly roleSessionRevoker?: RoleSessionRevoker | undefined;
  /** A member account's revoker, in place of invoking the function with the account (the local drill and tests). */
  readonly memberRoleSessionRevoker?: ((accountId: string) => RoleSessionRevoker) | undefined;
  /** STS for member-account roles; called once, on the first event for another account. */
  readonly sts: () => STSClient;
  /** Organizations, for alert routes by OU or account tag; called once, on the first such route. */
  readonly organizations?: () => OrganizationsClient;
  /** IAM of another account with the assumed role's credentials; called once per account. */
  readonly memberIam: (credentials: AwsCredentialIdentityProvider) => IAMClient;
  readonly now: () => Date;
  /** Where each handled signal's metrics go (the dashboard's). @default Powertools Metrics */
  readonly metrics?: MetricsSink | undefined;
  /** The function's logger; the handler adds the response mode as a persistent key. */
  readonly logger: Logger;
  /** The HTTP agents of IAM and DynamoDB, which can open their first connections during init. */
  readonly sockets?: { readonly iam: WarmSockets; readonly dynamodb: WarmSockets } | undefined;
}

export interface RespondResult {
  readonly status: "ignored" | "handled";
  readonly outcomes: readonly ExposureOutcome[];
  /** Alerts about responder tags changed by another caller (nothing changed). */
  readonly notices?: number;
  /** A call made with a honey key: what was done (recorded; alerted or in cooldown). */
  readonly honey?: HoneyUseOutcome;
  /** For a batch of the informational queue: the messages to retry (Lambda's partial batch response). */
  readonly batchItemFailures?: readonly { readonly itemIdentifier: string }[];
}

export type RespondHandler = (
  event: unknown,
  context?: { invokedFunctionArn?: string },
) => Promise<RespondResult>;

/** Every client built with `sdk` (`{}` in Lambda: default configuration), the real clock, one logger. */
export function respondClients(sdk: SdkClientConfig = {}): RespondClients {
  const sockets = { iam: new WarmSockets(), dynamodb: new WarmSockets() };
  const agents = (s: WarmSockets) => ({ requestHandler: { httpAgent: s.http, httpsAgent: s.https } });
  return {
    iam: new IAMClient({ ...sdk, ...agents(sockets.iam) }),
    dynamodb: new DynamoDBClient({ ...sdk, ...agents(sockets.dynamodb) }),
    sns: new SNSClient({ ...sdk }),
    eventBridge: new EventBridgeClient({ ...sdk }),
    lambda: new LambdaClient({ ...sdk }),
    sts: () => new STSClient({ ...sdk }),
    organizations: () => new OrganizationsClient({ ...sdk }),
    memberIam: (credentials) => new IAMClient({ ...sdk, credentials }),
    now: () => new Date(),
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new PowertoolsMetricsSink(),
    sockets,
  };
}

/**
 * Does during init what the first request would otherwise do after handler entry: each client's
 * credentials, region, endpoint variant, retry and user-agent settings resolved (each a provider the
 * client memoizes; some read the shared config files), and IAM's and DynamoDB's first command
 * run through their middleware without being sent (dryRunCommand). Best effort: a failure here is
 * left for the first request to meet and report, as it would have without the warm-up.
 */
export async function warmRespondClients(clients: RespondClients): Promise<void> {
  await Promise.all(
    [clients.iam, clients.dynamodb, clients.sns, clients.eventBridge].map(async (client) => {
      const c = client.config;
      await Promise.all([
        c.credentials(),
        c.region(),
        c.useFipsEndpoint(),
        c.useDualstackEndpoint(),
        c.maxAttempts(),
        c.retryStrategy(),
        c.userAgentAppId(),
      ]).catch(() => undefined);
    }),
  );
  // The first requests after handler entry are IAM's and DynamoDB's: their first command's cost is paid here.
  await Promise.all([
    dryRunCommand(clients.iam, new ListAccessKeysCommand({})),
    dryRunCommand(
      clients.dynamodb,
      new GetItemCommand({ TableName: "dry-run", Key: { incidentId: { S: "dry-run" } } }),
    ),
  ]);
}

/** How respond reads a signal with these settings: its GuardDuty policy, and what the tamper watch knows. */
export function normalizeOptionsOf(config: RespondConfig): NormalizeOptions {
  return {
    guardDutyPolicy: config.guardDutyPolicy,
    watch: {
      // The fallback (V3 where V4 does not exist) is a fence policy too.
      fencePolicyArns: [
        ...quarantinePolicyArnsOf(config.quarantinePolicyArn),
        config.sessionDenyPolicyArn,
      ].filter((arn): arn is string => arn !== undefined),
      responderRoleArns: config.responderRoleArns,
      responderRoleNames: config.memberRoleName === undefined ? [] : [config.memberRoleName],
      memberRoleName: config.memberRoleName,
    },
  };
}

/** The function's own account, from its ARN; unknown when invoked without a Lambda context. */
function homeAccountOf(context: { invokedFunctionArn?: string } | undefined): string | undefined {
  return context?.invokedFunctionArn?.split(":")[4];
}

/**
 * IAM for an account: the home account's client, or one per member account through the role
 * MEMBER_ROLE_NAME, its credentials assumed on first use and cached for their lifetime. An account
 * whose member role cannot be assumed (outside the Organization) fails the lookup: the key is only
 * reported, nothing is changed there.
 */
function memberAccountIam(members: MemberAccounts, clients: RespondClients) {
  const homeIam = new IamAdapter(clients.iam);
  const memberIam = new Map<string, IamPort>();
  return (homeAccount: string | undefined): IamPortFor =>
    async (accountId: string): Promise<IamPort> => {
      if (homeAccount === undefined || !members.isMember(accountId, homeAccount)) return homeIam;
      const credentials = await members.credentialsFor(accountId, homeAccount);
      let iam = memberIam.get(accountId);
      if (iam === undefined) {
        iam = new IamAdapter(clients.memberIam(credentials));
        memberIam.set(accountId, iam);
      }
      return iam;
    };
}

/** The settings for a key of an account: in a member account, its own deny-only session policy (the member stack's). */
function settingsForAccount(config: RespondConfig, members: MemberAccounts) {
  return (accountId: string, homeAccount: string | undefined): RespondConfig =>
    members.isMember(accountId, homeAccount) && config.memberRoleName !== undefined
      ? { ...config, sessionDenyPolicyArn: memberSessionDenyPolicyArn(accountId, config.memberRoleName) }
      : config;
}

/**
 * The role-session revoker for an account: the function (or the in-process one given); for a member
 * account, the same function told the account (it acts there through the member stack's revoker
 * role), only where a member role is configured.
 */
function roleRevokers(config: RespondConfig, clients: RespondClients) {
  const fn = config.roleSessionRevokerFunction;
  const home: RoleSessionRevoker =
    clients.roleSessionRevoker ??
    (fn === undefined
      ? new NoRoleRevokerInAccount("this account (ROLE_SESSION_REVOKER_FUNCTION unset)")
      : new LambdaRoleSessionRevoker(clients.lambda, fn));
  const member = (accountId: string): RoleSessionRevoker => {
    if (config.memberRoleName === undefined) return new NoRoleRevokerInAccount(accountId);
    if (clients.memberRoleSessionRevoker !== undefined) return clients.memberRoleSessionRevoker(accountId);
    return fn === undefined
      ? new NoRoleRevokerInAccount(accountId)
      : new LambdaRoleSessionRevoker(clients.lambda, fn, accountId);
  };
  return (homeAccount: string | undefined): RoleSessionRevokerFor =>
    (accountId: string) =>
      homeAccount === undefined || accountId === homeAccount ? home : member(accountId);
}

/**
 * The alerts of a key of an account: the central topic always, and the extra topics its account,
 * OUs or account tags are routed to (best effort: an extra topic that fails is logged, never retried).
 * Where the account's place in the Organization cannot be read, its account routes still apply.
 */
function routedAlerts(config: RespondConfig, clients: RespondClients, central: AlertPublisher, log: Log) {
  const routes = config.alertRoutes ?? [];
  let placement: OrganizationsPlacement | undefined;
  return async (accountId: string): Promise<AlertPublisher> => {
    if (routes.length === 0) return central;
    let where: AccountPlacement | undefined;
    if (needsPlacement(routes) && clients.organizations !== undefined) {
      placement ??= new OrganizationsPlacement(clients.organizations());
      where = await placement.placementOf(accountId).catch((error: unknown) => {
        log.warn("account placement unknown: account routes only", {
          accountId,
          error: describeError(error),
        });
        return undefined;
      });
    }
    const extra = extraTopicsFor(routes, accountId, where).map(
      (topicArn) => [topicArn, new SnsAlertPublisher(clients.sns, topicArn)] as const,
    );
    if (extra.length === 0) return central;
    return {
      publish: async (alert) => {
        await central.publish(alert);
        for (const [topicArn, publisher] of extra) {
          await publisher.publish(alert).catch((error: unknown) => {
            log.error("routed alert not sent", { topicArn, error: describeError(error) });
          });
        }
      },
    };
  };
}

/** The keys each detached fence policy held (read from its principal's tags); failures are collected. */
async function exposuresOfAllDetached(
  detached: readonly PolicyDetached[],
  iamFor: IamPortFor,
  alertsFor: (accountId: string) => Promise<AlertPublisher>,
  log: Log,
  failures: unknown[],
): Promise<Exposure[]> {
  const exposures: Exposure[] = [];
  for (const d of detached) {
    try {
      exposures.push(...(await exposuresOfDetached(d, iamFor, log, await alertsFor(d.accountId))));
    } catch (error) {
      log.error("tamper not handled", { error: describeError(error) });
      failures.push(error);
    }
  }
  return exposures;
}

/** AWS's quarantines that name no key: the user's keys say which to contain or fence; failures are collected. */
async function exposuresOfAllQuarantined(
  quarantined: readonly AwsQuarantine[],
  iamFor: IamPortFor,
  log: Log,
  failures: unknown[],
): Promise<Exposure[]> {
  const exposures: Exposure[] = [];
  for (const q of quarantined) {
    try {
      exposures.push(...(await exposuresOfAwsQuarantine(q, iamFor, log)));
    } catch (error) {
      log.error("AWS quarantine not handled", { error: describeError(error) });
      failures.push(error);
    }
  }
  return exposures;
}

/** One high alert per responder tag changed by another caller; nothing is changed. Failures are collected. */
async function alertNotices(
  notices: readonly TagNotice[],
  config: RespondConfig,
  alerts: AlertPublisher,
  log: Log,
  failures: unknown[],
): Promise<void> {
  for (const notice of notices) {
    log.warn("responder tag changed by another caller", { ...notice });
    await alerts.publish(renderTagNotice(notice, config.honorExemptTag)).catch((error: unknown) => {
      failures.push(error);
    });
  }
}

/**
 * EventBridge → respond, directly (containment signals) or through the informational queue (a
 * batch of SQS messages, each an EventBridge event). Unsupported source: warn and return. Malformed event of a known
 * source: InvalidEventError is thrown, so EventBridge retries and then its DLQ keeps the event.
 * Every key of the event is handled even when one fails; the invocation then fails as a whole.
 *
 * One call is one Lambda container: the member-account clients and the alerts sent while the
 * incident table was unreachable are kept in it across invocations.
 */
export function createRespondHandler(config: RespondConfig, clients: RespondClients): RespondHandler {
  const logger = clients.logger;
  logger.appendPersistentKeys({ mode: config.mode });
  const members = new MemberAccounts({
    roleName: config.memberRoleName,
    sts: clients.sts,
    sessionName: SERVICE_NAME,
  });
  const iamForAccount = memberAccountIam(members, clients);
  const settingsFor = settingsForAccount(config, members);
  const revokerForAccount = roleRevokers(config, clients);
  const deps: Omit<RespondDeps, "iamFor" | "roleRevokerFor"> = {
    incidents: new DynamoDbIncidentStore(clients.dynamodb, config.incidentTableName),
    alerts: new SnsAlertPublisher(clients.sns, config.alertTopicArn, config.chatTopicArn),
    events: new EventBridgePublisher(clients.eventBridge, config.eventBusName),
    now: clients.now,
    // Lambda usually retries a failed asynchronous invocation in the same warm container.
    unrecordedAlerts: new Set<string>(),
    settings: config,
    log: logTo(logger),
    newAttemptId: randomUUID,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // The next macrotask: the SDK builds, signs and writes a request in microtasks and ticks.
    afterSent: () => new Promise((resolve) => setImmediate(resolve)),
  };

  const alertsFor = routedAlerts(config, clients, deps.alerts, deps.log);
  const auditRecords = new DynamoDbAuditStore(clients.dynamodb, config.incidentTableName);
  /**
   * Why an audit enforcement signal is not acted on (undefined: it is backed by the stored
   * announcement). Anyone the responder's bus admits could send one; the audit's record cannot be
   * forged that way. A read failure throws: the signal is retried.
   */
  const unbackedAuditSignal = async (exposure: Exposure): Promise<string | undefined> => {
    if (exposure.source !== "audit") return undefined;
    const principal = exposure.principal.type === "user" ? exposure.principal.name : undefined;
    return unannouncedBecause(
      { accountId: exposure.accountId, accessKeyId: exposure.accessKeyId, userName: principal },
      await auditRecords.previous(),
      clients.now(),
    );
  };

  const normalizeOptions = normalizeOptionsOf(config);

  const honeyPath = config.honeyKeyPath ?? DEFAULT_HONEY_PATH;
  const honeyDeps = {
    store: new DynamoDbHoneyKeys(clients.dynamodb, config.incidentTableName),
    alerts: deps.alerts,
    now: clients.now,
    cooldownSeconds: config.honeyAlertCooldownSeconds ?? DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS,
    log: deps.log,
  };

  /**
   * A CloudTrail call by a user under the honey path: a honey key's use when the table holds its
   * record (recorded and alerted, never contained); undefined otherwise (the event goes on as usual).
   */
  const handleHoneyCandidate = async (event: unknown): Promise<RespondResult | undefined> => {
    const use = honeyUseCandidateOf(event, honeyPath);
    if (use === undefined) return undefined;
    const honey = await handleHoneyUse(use, honeyDeps);
    if (honey.kind !== "not-honey") return { status: "handled", outcomes: [], honey };
    logger.warn("call by a user under the honey path with no honey record", {
      accessKeyId: use.accessKeyId,
      userArn: use.userArn,
      call: use.call,
    });
    return undefined;
  };

  const handleEvent: RespondHandler = async (event, context) => {
    logger.debug("event", { event });
    let normalized: ReturnType<typeof normalizeEvent>;
    try {
      const honey = await handleHoneyCandidate(event);
      if (honey !== undefined) return honey;
      normalized = normalizeEvent(event, normalizeOptions);
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
    const { detached, notices, quarantined } = normalized;
    if (
      normalized.exposures.length === 0 &&
      detached.length === 0 &&
      notices.length === 0 &&
      quarantined.length === 0
    ) {
      logger.info("no exposed key in event", {
        source: normalized.envelope.source,
        sourceEventId: normalized.envelope.id,
      });
      return { status: "ignored", outcomes: [] };
    }
    const iamFor = iamForAccount(homeAccountOf(context));
    const roleRevokerFor = revokerForAccount(homeAccountOf(context));
    const failures: unknown[] = [];
    const exposures = [
      ...normalized.exposures,
      ...(await exposuresOfAllDetached(detached, iamFor, alertsFor, deps.log, failures)),
      ...(await exposuresOfAllQuarantined(quarantined, iamFor, deps.log, failures)),
    ];
    await alertNotices(notices, config, deps.alerts, deps.log, failures);
    const outcomes: ExposureOutcome[] = [];
    for (const exposure of exposures) {
      const keys = {
        accessKeyId: exposure.accessKeyId,
        source: exposure.source,
        sourceEventId: exposure.sourceEventId,
        incidentId: `${exposure.accountId}-${exposure.accessKeyId}`,
      };
      logger.appendKeys(keys);
      try {
        const unbacked = await unbackedAuditSignal(exposure);
        if (unbacked !== undefined) {
          logger.warn("audit enforcement signal ignored", {
            reason: unbacked,
            ...emfCount(METRICS.ignoredAuditSignals, clients.now()),
          });
          outcomes.push({ incidentId: keys.incidentId, decision: "ignore", actions: [], alerted: false });
          continue;
        }
        const outcome = await respondToExposure(exposure, {
          ...deps,
          alerts: await alertsFor(exposure.accountId),
          settings: settingsFor(exposure.accountId, homeAccountOf(context)),
          iamFor,
          roleRevokerFor,
        });
        outcomes.push(outcome);
        clients.metrics?.record(responseMetricsOf(exposure, outcome));
        if (exposure.source === "drill" && outcome.decision === "ignore") {
          logger.warn("drill ignored: not a drill canary", {
            principal: exposure.principal,
            ...emfCount(METRICS.ignoredDrills, clients.now()),
          });
        }
      } catch (error) {
        logger.error("response failed", { error: describeError(error) });
        clients.metrics?.record(failureMetricsOf(exposure));
        failures.push(error);
      } finally {
        logger.removeKeys(Object.keys(keys));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} keys not fully handled`);
    return { status: "handled", outcomes, notices: notices.length };
  };

  /**
   * A batch of the informational queue: each message is one EventBridge event, handled as if it
   * had been invoked alone; the ones that fail are reported back, so only they are retried (and
   * after three receives they go to the DLQ).
   */
  const handleBatch = async (
    messages: readonly QueuedEvent[],
    context: Parameters<RespondHandler>[1],
  ): Promise<RespondResult> => {
    const outcomes: ExposureOutcome[] = [];
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const message of messages) {
      try {
        outcomes.push(...(await handleEvent(queuedEventOf(message), context)).outcomes);
      } catch (error) {
        logger.error("queued event failed", { messageId: message.messageId, error: describeError(error) });
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }
    return { status: "handled", outcomes, batchItemFailures };
  };

  return async (event, context) => {
    const batch = queueBatchOf(event);
    return batch === undefined ? handleEvent(event, context) : handleBatch(batch, context);
  };
}
