import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { DynamoDbAuditStore, DynamoDbExposureHistory } from "../adapters/dynamodb-audit.js";
import { DynamoDbHoneyKeys } from "../adapters/dynamodb-honey.js";
import { EventBridgeEnforcementSignals } from "../adapters/eventbridge-enforcement.js";
import { IamCredentialReportSource, IamKeyDirectory, type ReportPolling } from "../adapters/iam-audit.js";
import { activeAccountsOf } from "../adapters/organizations-accounts.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { MemberAccounts } from "../adapters/sts-member-accounts.js";
import { type OrganizationAccounts, runScheduledAudit } from "../core/audit/audit.js";
import { type AuditConfig, DEFAULT_AUDIT_CONCURRENCY, DEFAULT_TOP_FINDINGS } from "../core/audit/config.js";
import { describeError } from "../core/errors.js";
import { logTo, type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

/** The AWS clients, clock and logger the audit function runs with. */
export interface AuditClients {
  readonly iam: IAMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  /** The responder's bus (EVENT_BUS_NAME): enforcement signals. */
  readonly eventBridge: EventBridgeClient;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Organization deployments: STS of the home account (the member roles are assumed with it). */
  readonly sts?: () => STSClient;
  /** Organization deployments: ListAccounts. */
  readonly organizations?: () => OrganizationsClient;
  /** IAM of a member account, as its member role. */
  readonly memberIam?: (credentials: AwsCredentialIdentityProvider) => IAMClient;
  /** How the credential report is polled (tests shorten the waits). */
  readonly polling?: ReportPolling;
}

export interface AuditResult {
  readonly auditId: string;
  readonly findings: number;
  readonly newFindings: number;
  readonly alerted: boolean;
  /** Keys handed to the respond function to disable (enforcement). */
  readonly enforced: number;
}

export type AuditHandler = (event: unknown) => Promise<AuditResult>;

/** Every client built with `sdk` (default configuration in Lambda), the real clock, one logger. */
export function auditClients(sdk: SdkClientConfig = {}): AuditClients {
  return {
    iam: new IAMClient({ ...sdk }),
    dynamodb: new DynamoDBClient({ ...sdk }),
    sns: new SNSClient({ ...sdk }),
    eventBridge: new EventBridgeClient({ ...sdk }),
    sts: () => new STSClient({ ...sdk }),
    organizations: () => new OrganizationsClient({ ...sdk }),
    memberIam: (credentials) => new IAMClient({ ...sdk, credentials }),
    now: () => new Date(),
    logger: new Logger({ serviceName: SERVICE_NAME, persistentKeys: { function: "audit" } }),
  };
}

/**
 * Organization deployments (MEMBER_ROLE_NAME set): the active accounts, and each member account's
 * report and key reads through its member role (assumed credentials cached per account).
 */
export function organizationAccounts(memberRoleName: string, clients: AuditClients): OrganizationAccounts {
  const members = new MemberAccounts({
    roleName: memberRoleName,
    sts: clients.sts ?? (() => new STSClient({})),
    sessionName: SERVICE_NAME,
  });
  const organizations = clients.organizations ?? (() => new OrganizationsClient({}));
  const memberIam = clients.memberIam ?? ((credentials) => new IAMClient({ credentials }));
  return {
    activeAccounts: () => activeAccountsOf(organizations()),
    sourcesOf: async (accountId) => {
      const iam = memberIam(await members.credentialsFor(accountId, "the audit's account"));
      return {
        report: new IamCredentialReportSource(iam, clients.polling),
        directory: new IamKeyDirectory(iam),
      };
    },
  };
}

/**
 * The scheduled key-hygiene audit (EventBridge schedule; the event's content is not used). Any
 * failure is logged and thrown: Lambda retries, then the DLQ keeps the event and the alarm fires.
 */
export function createAuditHandler(config: AuditConfig, clients: AuditClients): AuditHandler {
  const { logger } = clients;
  const deps = {
    report: new IamCredentialReportSource(clients.iam, clients.polling),
    directory: new IamKeyDirectory(clients.iam),
    exposure: new DynamoDbExposureHistory(clients.dynamodb, config.incidentTableName),
    honeyUsers: new DynamoDbHoneyKeys(clients.dynamodb, config.incidentTableName),
    store: new DynamoDbAuditStore(clients.dynamodb, config.incidentTableName),
    alerts: new SnsAlertPublisher(clients.sns, config.alertTopicArn, config.chatTopicArn),
    log: logTo(logger),
    enforcement:
      config.eventBusName === undefined
        ? undefined
        : new EventBridgeEnforcementSignals(clients.eventBridge, config.eventBusName),
    organization:
      config.memberRoleName === undefined ? undefined : organizationAccounts(config.memberRoleName, clients),
  };
  return async (event) => {
    logger.debug("event", { event });
    try {
      const { digest, alerted, enforced } = await runScheduledAudit(deps, {
        thresholds: config.thresholds,
        concurrency: DEFAULT_AUDIT_CONCURRENCY,
        now: clients.now(),
        mode: config.mode,
        topN: DEFAULT_TOP_FINDINGS,
        enforcement: config.enforcement,
      });
      return {
        auditId: digest.auditId,
        findings: digest.findings.length,
        newFindings: digest.newFindings.length,
        alerted,
        enforced,
      };
    } catch (error) {
      logger.error("audit failed", { error: describeError(error) });
      throw error;
    }
  };
}
