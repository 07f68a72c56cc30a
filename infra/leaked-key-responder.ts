import { Aws, Duration, RemovalPolicy, Stack, Tags } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type AlertRoute, formatAlertRoutes, needsPlacement } from "../lambdas/core/alert-routes.js";
import { DEFAULT_QUARANTINE_POLICY_ARN, RESPONSE_MODES } from "../lambdas/core/config.js";
import {
  exemptNameOf,
  REGION_PATTERN,
  RESPOND_ENV,
  ROLE_ARN_PATTERN,
  STATUS_INDEX,
} from "../lambdas/core/contract.js";
import { DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS } from "../lambdas/core/honeykey/model.js";
import { RESPONDER_EVENT_SOURCE } from "../lambdas/core/investigation/contained-event.js";
import { PERSISTENCE_DETAIL_TYPE } from "../lambdas/core/investigation/persistence.js";
import { EXEMPT_TAG, type ResponseMode } from "../lambdas/core/plan.js";
import { sessionDenyPolicyDocument } from "../lambdas/core/role-sessions.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../lambdas/core/sources/guardduty.js";
import { Audit, type AuditProps } from "./audit.js";
import { ResponderDashboard } from "./dashboard.js";
import {
  deadLetterQueue,
  failureAlarms,
  handlerFunction,
  lambdaTarget,
  queueTarget,
} from "./function-parts.js";
import { HoneyKeys } from "./honey-keys.js";
import { Investigation } from "./investigation.js";
import { REFUSED_MEMBER_ROLE_NAMES } from "./organization.js";
import { PropsCheck } from "./props-check.js";
import { quarantinePolicyProblem } from "./quarantine-policy.js";
import { applyRespondPermissions, denyChangesToOwnRoles, exemptArnsOf } from "./respond-permissions.js";
import { admitOnly, responderBus } from "./responder-bus.js";
import { publishResponderOutputs } from "./responder-outputs.js";
import { RoleSessionRevoker } from "./role-session-revoker.js";
import {
  AUDIT_ENFORCEMENT_RULE,
  DRILL_RULE,
  type Lane,
  PERSISTENCE_RULE,
  SIGNAL_RULES,
} from "./signal-rules.js";
import { WebhookForwarder, type WebhookTarget } from "./webhook-forwarder.js";

const CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com";

/** `reservedConcurrency` that reserves nothing. */
export const UNRESERVED = "unreserved";
/** The respond function's reserved concurrency unless told otherwise (see README, "Containment is never starved"). */
export const DEFAULT_RESERVED_CONCURRENCY = 10;
/**
 * Concurrent batches of the informational queue (the least an event source mapping allows): they
 * use at most 2 of the respond function's executions, the rest stay free for containment.
 */
export const INFORMATIONAL_CONCURRENCY = 2;

/** An AWS Chatbot (Amazon Q Developer in chat) Slack channel to alert. */
export interface SlackChannel {
  /** Workspace id (from the Chatbot console, e.g. `T07EA123LEP`). */
  readonly workspaceId: string;
  /** Channel id (e.g. `C07EZ1ABC23`). */
  readonly channelId: string;
}

/** An AWS Chatbot Microsoft Teams channel to alert. */
export interface TeamsChannel {
  /** Team id (UUID). */
  readonly teamId: string;
  /** Tenant id (UUID). */
  readonly tenantId: string;
  /** Channel id, as Teams shows it (`19:...@thread.tacv2`). */
  readonly channelId: string;
}

export interface LeakedKeyResponderProps {
  /** Email addresses subscribed to the alert topic. @default - none */
  readonly notificationEmails?: readonly string[];
  /** Slack channel for alerts through AWS Chatbot. @default - none */
  readonly slackChannel?: SlackChannel;
  /** Microsoft Teams channel for alerts through AWS Chatbot. @default - none */
  readonly teamsChannel?: TeamsChannel;
  /**
   * A Slack or Microsoft Teams incoming webhook for alerts, for teams without AWS Chatbot: a small
   * forwarder function (own DLQ and alarms) posts every alert-topic message to the URL held in
   * `secret`, as Block Kit (Slack) or an Adaptive Card (Teams). @default - none
   */
  readonly webhook?: WebhookTarget;
  /** `enforce` contains keys; `notify-only` reports what it would have done. @default "enforce" */
  readonly responseMode?: ResponseMode;
  /** Users and roles (names or ARNs) never changed, only reported; enforced by an explicit IAM Deny too. @default - none */
  readonly exemptPrincipals?: readonly string[];
  /**
   * Let the tag `leaked-key-responder:exempt=true` exempt a principal too. Off by default: a
   * leaked key allowed iam:TagUser on itself could exempt itself; protect the tag with the SCP in
   * the README before turning it on. @default false
   */
  readonly honorExemptTag?: boolean;
  /** GuardDuty finding types that contain the key (`*` wildcard). @default - MaliciousIPCaller, MaliciousIPCaller.Custom, TorIPCaller, PenTest:IAMUser/* */
  readonly guardDutyContainTypes?: readonly string[];
  /** GuardDuty findings at or above this severity contain the key whatever their type. @default 7 */
  readonly guardDutyContainMinSeverity?: number;
  /**
   * Managed policy attached to a quarantined principal: `arn:<partition>:iam::aws:policy/AWSCompromisedKeyQuarantine*`,
   * `arn:<partition>:iam::aws:policy/AWSDenyAll`, or a deny-only `iam.ManagedPolicy` of the same stack (its
   * `managedPolicyArn`); anything else fails synth. With V4, a partition that lacks it gets V3 (the
   * respond role may attach both; the incident records which one). @default arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4
   */
  readonly quarantinePolicyArn?: string;
  /** Role the responder assumes in member accounts (deployed there by the member stack). @default - own account only */
  readonly memberRoleName?: string;
  /** The Organization (`o-…`) whose member roles the respond and investigate roles may assume (`aws:ResourceOrgID`). @default - no Organization condition */
  readonly organizationId?: string;
  /**
   * Extra alert topics per account id, OU id (`ou-…`) or Organizations account tag (`tag:key=value`);
   * the central topic always gets every alert. OU and tag routes read AWS Organizations (see the README).
   * @default - the central topic only
   */
  readonly alertRoutes?: readonly AlertRoute[];
  /**
   * Reserved concurrency of the respond function, so nothing else in the account (an attacker's
   * functions included) can starve it; with a number, the investigate function is capped at 1 as
   * well. `"unreserved"` reserves nothing: for accounts whose Lambda concurrency quota is too small
   * (Lambda keeps 100 unreserved, and new accounts may have a quota of 10).
   * @default 10
   */
  readonly reservedConcurrency?: number | "unreserved";
  /** Retention of the functions' logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Regions whose CloudTrail the investigation searches besides us-east-1. @default - us-east-1 only */
  readonly investigationRegions?: readonly string[];
  /** How long after a containment it is checked (calls with the key after it was disabled). @default Duration.minutes(30) */
  readonly confirmContainmentAfter?: Duration;
  /** Role ARNs (besides the stack's own) allowed to put events on the responder's bus, e.g. the role `lkr drill` runs as. @default - none */
  readonly operatorRoleArns?: readonly string[];
  /** Stack name shown in release commands of alerts. @default - the containing stack's name */
  readonly stackNameForCli?: string;
  /** IAM path of honey users (`lkr honeykey create` puts them there; the honey rule watches it; no other user may live under it). @default "/service/" */
  readonly honeyKeyPath?: string;
  /** Seconds during which further uses of one honey key from one source IP raise no second alert (a new IP always alerts). @default 3600 */
  readonly honeyAlertCooldownSeconds?: number;
  /**
   * A CloudWatch dashboard: signals by source, incidents contained / notified, time to contain,
   * failures, dead-letter depth, investigate duration. @default true
   */
  readonly dashboard?: boolean;
  /**
   * The daily key hygiene audit's settings (schedule, alert mode, thresholds, `enforce`: days of
   * notice per finding kind before the respond function disables the key).
   * @default - daily at 06:00 UTC, digest on every run with findings, nothing enforced
   */
  readonly audit?: Omit<
    AuditProps,
    | "incidentTable"
    | "alertTopic"
    | "logRetention"
    | "eventBus"
    | "exemptPrincipals"
    | "memberRoleName"
    | "organizationId"
  >;
}

/** Validates props, collecting every problem: each names the prop, the value given and what is allowed. */
function validate(scope: Construct, props: LeakedKeyResponderProps): void {
  new PropsCheck("LeakedKeyResponder")
    .value(
      props.responseMode,
      (mode) => RESPONSE_MODES.includes(mode),
      (mode) => `responseMode is "${mode}"; allowed: ${RESPONSE_MODES.join(", ")}`,
    )
    .value(
      props.guardDutyContainMinSeverity,
      (min) => Number.isFinite(min) && min >= 0 && min <= 11,
      (min) =>
        `guardDutyContainMinSeverity is ${min}; allowed: a number from 0 to 11 (a GuardDuty severity, 0 to 10; 11 contains by finding type only)`,
    )
    .each(
      props.investigationRegions,
      (region) => REGION_PATTERN.test(region),
      (region) => `investigationRegions contains "${region}"; expected AWS region names such as eu-west-1`,
    )
    .each(
      props.notificationEmails,
      (email) => /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(email),
      (email) => `notificationEmails contains "${email}"; expected an email address`,
    )
    .each(
      props.exemptPrincipals,
      (entry) => exemptNameOf(entry) !== undefined,
      (entry) => `exemptPrincipals contains "${entry}"; expected an IAM user or role name or ARN`,
    )
    .problem(
      props.quarantinePolicyArn === undefined
        ? undefined
        : quarantinePolicyProblem(scope, props.quarantinePolicyArn),
    )
    .each(
      props.operatorRoleArns,
      (arn) => ROLE_ARN_PATTERN.test(arn),
      (arn) =>
        `operatorRoleArns contains "${arn}"; expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
    )
    .value(
      props.honeyAlertCooldownSeconds,
      (s) => Number.isInteger(s) && s >= 0 && s <= 604_800,
      (s) => `honeyAlertCooldownSeconds is ${s}; allowed: an integer from 0 to 604800`,
    )
    .value(
      props.memberRoleName,
      (name) => !REFUSED_MEMBER_ROLE_NAMES.some((r) => r.toLowerCase() === name.toLowerCase()),
      (name) =>
        `memberRoleName is "${name}"; it administers every member account: name a role of its own, never ${REFUSED_MEMBER_ROLE_NAMES.join(" or ")}`,
    )
    .value(
      props.reservedConcurrency,
      (rc) => rc === UNRESERVED || (Number.isInteger(rc) && Number(rc) >= 1 && Number(rc) <= 100),
      (rc) => `reservedConcurrency is ${rc}; allowed: an integer from 1 to 100, or "${UNRESERVED}"`,
    )
    .throwIfInvalid();
}

/**
 * The responder: rules for every leaked-key signal → the respond function (contain, record,
 * fence, notify), the incident table, the alert topic with email/Slack/Teams, DLQs and alarms.
 */
export class LeakedKeyResponder extends Construct {
  readonly incidentTable: dynamodb.Table;
  readonly alertTopic: sns.Topic;
  /**
   * AWS Chatbot's topic: every alert's custom-notification JSON, and the alarms. Chatbot subscribes
   * over HTTPS like any webhook, so it gets its own topic; the alert topic's HTTPS subscribers get
   * the incident JSON. Subscribe nothing but Chatbot here.
   */
  readonly chatTopic: sns.Topic;
  /** The Slack / Teams webhook forwarder, when `webhook` is given. */
  readonly webhookForwarder?: WebhookForwarder;
  readonly respondFunction: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  /** Informational signals and drills, drained by the respond function at most two batches at a time. */
  readonly informationalQueue: sqs.Queue;
  readonly alertTopicKey: kms.Key;
  readonly investigation: Investigation;
  readonly audit: Audit;
  /** The deny-only managed policy that ends a quarantined user's temporary-credential sessions. */
  readonly sessionDenyPolicy: iam.ManagedPolicy;
  /** The one writer of an inline policy: a role's session revocation. */
  readonly roleSessionRevoker: RoleSessionRevoker;
  /** The responder's own bus: drill and Incident Contained events, put only by its roles. */
  readonly eventBus: events.EventBus;
  /** The honey key use rule and the last-used safety net. */
  readonly honeyKeys: HoneyKeys;
  /** The CloudWatch dashboard; undefined when `dashboard` is false. */
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: LeakedKeyResponderProps = {}) {
    super(scope, id);
    validate(this, props);
    const quarantinePolicyArn = props.quarantinePolicyArn ?? DEFAULT_QUARANTINE_POLICY_ARN;
    // A stack-defined policy may gain statements after this: checked again when the app synthesizes.
    this.node.addValidation({
      validate: () => [quarantinePolicyProblem(this, quarantinePolicyArn)].filter((p) => p !== undefined),
    });
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    this.incidentTable = this.createIncidentTable();
    this.alertTopicKey = this.createAlertTopicKey();
    this.alertTopic = this.createAlertTopic(props.notificationEmails ?? []);
    this.chatTopic = new sns.Topic(this, "ChatTopic", {
      displayName: "Leaked key responder (AWS Chatbot)",
      masterKey: this.alertTopicKey,
      enforceSSL: true,
    });
    this.addChatChannels(props);
    this.eventBus = responderBus(this, "ResponderBus");

    this.sessionDenyPolicy = new iam.ManagedPolicy(this, "SessionDenyPolicy", {
      description:
        "leaked-key-responder: denies every request made with temporary credentials (attached to a quarantined user)",
      document: iam.PolicyDocument.fromJson(sessionDenyPolicyDocument()),
    });
    this.roleSessionRevoker = new RoleSessionRevoker(this, "RoleSessionRevoker", { logRetention });

    this.deadLetterQueue = deadLetterQueue(this, "RespondDeadLetterQueue");
    this.informationalQueue = this.createInformationalQueue();
    const reserved = props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY;
    const { fn, role, logGroup } = handlerFunction(this, {
      name: "Respond",
      handler: "respond",
      description: "Contains leaked AWS access keys: disable, record, fence, notify",
      timeout: Duration.seconds(60),
      deadLetterQueue: this.deadLetterQueue,
      logRetention,
      reservedConcurrency: reserved === UNRESERVED ? undefined : reserved,
      environment: this.respondEnvironment(props, quarantinePolicyArn),
    });
    this.respondFunction = fn;
    // The respond role's own calls (its quarantine tags) are not tampering.
    fn.addEnvironment(RESPOND_ENV.responderRoleArns, role.roleArn);
    applyRespondPermissions(this, {
      fn,
      role,
      logGroup,
      incidentTable: this.incidentTable,
      alertTopic: this.alertTopic,
      alertTopicKey: this.alertTopicKey,
      chatTopic: this.chatTopic,
      deadLetterQueue: this.deadLetterQueue,
      informationalQueue: this.informationalQueue,
      eventBus: this.eventBus,
      quarantinePolicyArn,
      sessionDenyPolicyArn: this.sessionDenyPolicy.managedPolicyArn,
      roleSessionRevoker: this.roleSessionRevoker.fn,
      exemptArns: exemptArnsOf(props.exemptPrincipals ?? []),
      honorExemptTag: props.honorExemptTag ?? false,
      memberRoleName: props.memberRoleName,
      organizationId: props.organizationId,
      routedAlertTopics: [...new Set((props.alertRoutes ?? []).map((r) => r.topicArn))],
      readAccountPlacement: needsPlacement(props.alertRoutes ?? []),
    });
    fn.addEventSource(
      new SqsEventSource(this.informationalQueue, {
        batchSize: 10,
        maxConcurrency: INFORMATIONAL_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );
    this.addSignalRules();
    const alarms = this.addFailureAlarms();

    this.investigation = new Investigation(this, "Investigation", {
      incidentTable: this.incidentTable,
      alertTopic: this.alertTopic,
      eventBus: this.eventBus,
      chatTopic: this.chatTopic,
      reservedConcurrency: reserved === UNRESERVED ? undefined : 1,
      regions: props.investigationRegions,
      logRetention,
      confirmContainmentAfter: props.confirmContainmentAfter,
      memberRoleName: props.memberRoleName,
      organizationId: props.organizationId,
    });
    this.audit = new Audit(this, "Audit", {
      ...props.audit,
      incidentTable: this.incidentTable,
      alertTopic: this.alertTopic,
      logRetention,
      eventBus: this.eventBus,
      chatTopic: this.chatTopic,
      exemptPrincipals: props.exemptPrincipals,
      memberRoleName: props.memberRoleName,
      organizationId: props.organizationId,
    });
    this.honeyKeys = new HoneyKeys(this, "HoneyKeys", {
      incidentTable: this.incidentTable,
      alertTopic: this.alertTopic,
      informationalQueue: this.informationalQueue,
      deadLetterQueue: this.deadLetterQueue,
      path: props.honeyKeyPath,
      logRetention,
      memberRoleName: props.memberRoleName,
      organizationId: props.organizationId,
    });
    fn.addEnvironment(RESPOND_ENV.honeyKeyPath, this.honeyKeys.path);
    fn.addEnvironment(
      RESPOND_ENV.honeyAlertCooldownSeconds,
      String(props.honeyAlertCooldownSeconds ?? DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS),
    );
    const auditEnforces = Object.keys(props.audit?.enforce ?? {}).length > 0;
    if (auditEnforces) this.addAuditEnforcementRule();
    this.protectOwnRoles(props.exemptPrincipals ?? []);
    // The respond role emits Incident Contained; operators send drills; the audit role, when it
    // enforces, hands due keys over (the respond function checks each against the stored
    // announcement); the investigate role puts Persistence Found, and nothing else, and no one else may.
    const auditRole = this.audit.auditFunction.role;
    admitOnly(
      this.eventBus,
      [
        role.roleArn,
        ...(auditEnforces && auditRole ? [auditRole.roleArn] : []),
        ...(props.operatorRoleArns ?? []),
      ],
      [
        {
          source: RESPONDER_EVENT_SOURCE,
          detailType: PERSISTENCE_DETAIL_TYPE,
          roleArn: this.investigation.investigateRole.roleArn,
        },
      ],
    );
    if (props.webhook) {
      this.webhookForwarder = new WebhookForwarder(this, "WebhookForwarder", {
        ...props.webhook,
        alertTopic: this.alertTopic,
        logRetention,
      });
    }
    this.letAlarmsPublish([
      ...alarms,
      ...(this.webhookForwarder?.alarms ?? []),
      ...this.investigation.alarms,
      ...this.audit.alarms,
      ...this.honeyKeys.alarms,
    ]);
    if (props.dashboard ?? true) {
      this.dashboard = new ResponderDashboard(this, "Dashboard", {
        respondFunction: fn,
        investigateFunction: this.investigation.investigateFunction,
        auditFunction: this.audit.auditFunction,
        queues: {
          "respond DLQ": this.deadLetterQueue,
          "investigate DLQ": this.investigation.deadLetterQueue,
          "audit DLQ": this.audit.deadLetterQueue,
          ...(this.webhookForwarder ? { "webhook DLQ": this.webhookForwarder.deadLetterQueue } : {}),
          "informational queue": this.informationalQueue,
        },
      }).dashboard;
    }
    publishResponderOutputs(this, this);
  }

  /**
   * A topic policy replaces SNS's default one, so CloudWatch may publish only what it allows:
   * exactly this construct's alarms, on behalf of this account (confused deputy).
   */
  private letAlarmsPublish(alarms: readonly cloudwatch.Alarm[]): void {
    // Chatbot renders CloudWatch alarms natively: they go to its topic too.
    for (const alarm of alarms) alarm.addAlarmAction(new cwActions.SnsAction(this.chatTopic));
    for (const topic of [this.alertTopic, this.chatTopic]) {
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "OwnAlarmsPublish",
          principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE)],
          actions: ["sns:Publish"],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
            ArnEquals: { "aws:SourceArn": alarms.map((alarm) => alarm.alarmArn) },
          },
        }),
      );
    }
  }

  private createIncidentTable(): dynamodb.Table {
    const table = new dynamodb.Table(this, "IncidentTable", {
      partitionKey: { name: "incidentId", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: STATUS_INDEX,
      partitionKey: { name: "status", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "updatedAt", type: dynamodb.AttributeType.STRING },
    });
    return table;
  }

  /** A rotating key for the alert topic, which CloudWatch alarms may use to publish. */
  private createAlertTopicKey(): kms.Key {
    const key = new kms.Key(this, "AlertTopicKey", {
      description: "Encrypts leaked-key-responder alerts",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch encrypts an alarm's message with this key when it publishes to the topic; only
    // alarms of this account and region (confused deputy: aws:SourceAccount and aws:SourceArn).
    // The exact alarm ARNs are named in the topic policy: naming them here too would be a cycle
    // (key → alarm → topic → key).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsOfThisAccount",
        principals: [new iam.ServicePrincipal(CLOUDWATCH_SERVICE)],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: {
            "aws:SourceArn": `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    return key;
  }

  private createAlertTopic(emails: readonly string[]): sns.Topic {
    const topic = new sns.Topic(this, "AlertTopic", {
      displayName: "Leaked key responder",
      masterKey: this.alertTopicKey,
      enforceSSL: true,
    });
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  /** The respond function's environment: the names are the contract parseRespondConfig reads. */
  private respondEnvironment(
    props: LeakedKeyResponderProps,
    quarantinePolicyArn: string,
  ): Record<string, string> {
    return {
      [RESPOND_ENV.incidentTableName]: this.incidentTable.tableName,
      [RESPOND_ENV.alertTopicArn]: this.alertTopic.topicArn,
      [RESPOND_ENV.responseMode]: props.responseMode ?? "enforce",
      [RESPOND_ENV.quarantinePolicyArn]: quarantinePolicyArn,
      [RESPOND_ENV.exemptPrincipals]: (props.exemptPrincipals ?? []).join(","),
      [RESPOND_ENV.honorExemptTag]: String(props.honorExemptTag ?? false),
      [RESPOND_ENV.sessionDenyPolicyArn]: this.sessionDenyPolicy.managedPolicyArn,
      [RESPOND_ENV.roleSessionRevokerFunction]: this.roleSessionRevoker.fn.functionName,
      [RESPOND_ENV.guardDutyContainTypes]: (
        props.guardDutyContainTypes ?? DEFAULT_GUARDDUTY_POLICY.containTypePatterns
      ).join(","),
      [RESPOND_ENV.guardDutyContainMinSeverity]: String(
        props.guardDutyContainMinSeverity ?? DEFAULT_GUARDDUTY_POLICY.containMinSeverity,
      ),
      [RESPOND_ENV.stackName]: props.stackNameForCli ?? Stack.of(this).stackName,
      [RESPOND_ENV.eventBusName]: this.eventBus.eventBusName,
      [RESPOND_ENV.chatTopicArn]: this.chatTopic.topicArn,
      ...(props.memberRoleName ? { [RESPOND_ENV.memberRoleName]: props.memberRoleName } : {}),
      ...(props.alertRoutes?.length
        ? { [RESPOND_ENV.alertRoutes]: formatAlertRoutes(props.alertRoutes) }
        : {}),
    };
  }

  /**
   * One rule per AWS signal on the default bus, and the drill rule on the responder's bus: the
   * containment lane invokes the respond function, the informational lane goes through its queue.
   */
  private addSignalRules(): void {
    const target = (lane: Lane) =>
      lane === "containment"
        ? lambdaTarget(this.respondFunction, this.deadLetterQueue)
        : queueTarget(this.informationalQueue, this.deadLetterQueue);
    for (const [ruleId, { description, pattern, lane }] of Object.entries(SIGNAL_RULES)) {
      new events.Rule(this, ruleId, { description, eventPattern: pattern, targets: [target(lane)] });
    }
    for (const rule of [DRILL_RULE, PERSISTENCE_RULE]) {
      new events.Rule(this, rule.id, {
        description: rule.description,
        eventBus: this.eventBus,
        eventPattern: rule.pattern,
        targets: [target(rule.lane)],
      });
    }
  }

  /** The audit's enforcement signals (its own bus) → the informational queue → the respond function. */
  private addAuditEnforcementRule(): void {
    new events.Rule(this, AUDIT_ENFORCEMENT_RULE.id, {
      description: AUDIT_ENFORCEMENT_RULE.description,
      eventBus: this.eventBus,
      eventPattern: AUDIT_ENFORCEMENT_RULE.pattern,
      targets: [queueTarget(this.informationalQueue, this.deadLetterQueue)],
    });
  }

  /**
   * Informational signals and drills wait here, not in the function's own event queue: the function
   * drains it at most INFORMATIONAL_CONCURRENCY batches at a time, and a message that keeps failing
   * goes to the respond DLQ (alarmed) after three receives.
   */
  private createInformationalQueue(): sqs.Queue {
    return new sqs.Queue(this, "InformationalQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda advises for queues it drains.
      visibilityTimeout: Duration.seconds(360),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });
  }

  /** Alarms to the alert topic on the respond function's errors and dead letters. */
  private addFailureAlarms(): cloudwatch.Alarm[] {
    return failureAlarms(this, "Respond", this.respondFunction, this.deadLetterQueue, this.alertTopic, {
      errors:
        "The leaked-key respond function failed: a key may not be contained. Check its logs and the DLQ.",
      deadLetters:
        "Leaked-key signals ended in the dead-letter queue: they were not handled. Inspect and redrive.",
    });
  }

  /**
   * The responder never fences itself: its functions' roles carry the exempt tag (honoured where
   * the deployer opted in), the respond role is denied every change to them by ARN, and the
   * revoker may write on none of them nor on an exempt-listed role.
   */
  private protectOwnRoles(exemptPrincipals: readonly string[]): void {
    const roles = [
      this.respondFunction.role,
      this.investigation.investigateFunction.role,
      this.audit.auditFunction.role,
      this.roleSessionRevoker.role,
      this.honeyKeys.checkFunction.role,
    ].filter((r): r is iam.IRole => r !== undefined);
    for (const role of roles) Tags.of(role).add(EXEMPT_TAG, "true");
    denyChangesToOwnRoles(this.respondFunction, roles);
    const exemptRoles = exemptArnsOf(exemptPrincipals).filter((arn) => arn.includes(":role/"));
    this.roleSessionRevoker.denyOn([...roles.map((r) => r.roleArn), ...exemptRoles]);
  }

  private addChatChannels(props: LeakedKeyResponderProps): void {
    if (props.slackChannel) {
      new chatbot.SlackChannelConfiguration(this, "SlackChannel", {
        slackChannelConfigurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
        slackWorkspaceId: props.slackChannel.workspaceId,
        slackChannelId: props.slackChannel.channelId,
        notificationTopics: [this.chatTopic],
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")],
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    if (props.teamsChannel) {
      const role = new iam.Role(this, "TeamsChannelRole", {
        assumedBy: new iam.ServicePrincipal("chatbot.amazonaws.com"),
        description: "AWS Chatbot Teams channel for leaked-key-responder alerts (no permissions)",
      });
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, "TeamsChannel", {
        configurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
        iamRoleArn: role.roleArn,
        teamId: props.teamsChannel.teamId,
        teamsTenantId: props.teamsChannel.tenantId,
        teamsChannelId: props.teamsChannel.channelId,
        snsTopicArns: [this.chatTopic.topicArn],
        guardrailPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        loggingLevel: "ERROR",
      });
    }
  }
}
