import { Aws, Duration, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ALERT_MODES, type AlertMode } from "../lambdas/core/audit/digest.js";
import {
  AUDIT_ENFORCEMENT_DETAIL_TYPE,
  AUDIT_ENFORCEMENT_SOURCE,
  ENFORCE_ALLOWED,
  type EnforcementPolicy,
  enforcementEntryProblem,
  formatEnforcementPolicy,
} from "../lambdas/core/audit/enforcement.js";
import {
  AUDIT_ORGANIZATIONS_ACTIONS,
  type AuditIamResource,
  auditIamActionsFor,
} from "../lambdas/core/audit/permissions.js";
import { DEFAULT_THRESHOLDS } from "../lambdas/core/audit/rules.js";
import { AUDIT_ENV } from "../lambdas/core/contract.js";
import { deadLetterQueue, failureAlarms, handlerFunction, lambdaTarget } from "./function-parts.js";
import { PropsCheck } from "./props-check.js";
import { acknowledgeMemberRoleWildcard, assumeMemberRoleStatement } from "./respond-permissions.js";
import { busArnOf, onlyEntriesOf, type ReservedDetailType } from "./responder-bus.js";

/**
 * The audit's enforcement signal as an exclusive entry of the responder's bus: only the audit role
 * puts it, and the audit role puts nothing else (admitOnly's reserved detail-types).
 */
export function auditEnforcementEntryOf(roleArn: string): ReservedDetailType {
  return { source: AUDIT_ENFORCEMENT_SOURCE, detailType: AUDIT_ENFORCEMENT_DETAIL_TYPE, roleArn };
}

export interface AuditProps {
  /** The responder's incident table: exposure history is read from it, audit records (`audit#<date>`) written to it. */
  readonly incidentTable: dynamodb.ITable;
  /** The responder's alert topic: the digest goes to the same subscribers. */
  readonly alertTopic: sns.ITopic;
  /** When the audit runs. @default - daily at 06:00 UTC */
  readonly schedule?: events.Schedule;
  /** `all`: a digest every run with findings; `change-only`: only when a finding is new. @default "all" */
  readonly alertMode?: AlertMode;
  /** Active keys older than this many days are due for rotation. @default 90 */
  readonly maxKeyAgeDays?: number;
  /** Active keys unused this many days are reported. @default 45 */
  readonly unusedDays?: number;
  /** Days a new key may stay unused before "never used" counts. @default 7 */
  readonly newKeyGraceDays?: number;
  /** Root used within this many days is reported. @default 30 */
  readonly rootRecentDays?: number;
  /** Retention of the function's logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Enforcement, notify first: per finding kind (`key-old`, `key-unused`, `key-never-used`,
   * `two-active-keys`, `admin-key`), the days a key is announced in the digest before the respond
   * function disables it (that key only, never deleted; `lkr release` undoes it). Kinds not named
   * are only reported. @default - none: nothing is enforced
   */
  readonly enforce?: EnforcementPolicy;
  /**
   * The responder's own bus, where due keys are handed to the respond function; required when
   * `enforce` names a kind. @default - none
   */
  readonly eventBus?: events.IEventBus;
  /** AWS Chatbot's topic: the digest's chat copy (encrypted with the alert topic's key). @default - none */
  readonly chatTopic?: sns.ITopic;
  /** Users never announced nor disabled (the responder's exempt list). @default - none */
  readonly exemptPrincipals?: readonly string[];
  /**
   * Organization deployments: every ACTIVE account of the Organization is audited through this
   * member role (organizations:ListAccounts and sts:AssumeRole on it are granted only then).
   * @default - the home account only
   */
  readonly memberRoleName?: string | undefined;
  /** The Organization the member role must belong to (`aws:ResourceOrgID`). @default - no Organization condition */
  readonly organizationId?: string | undefined;
}

function validate(props: AuditProps): void {
  const days = (name: keyof AuditProps, min: number) => (value: number) =>
    `${name} is ${value}; allowed: an integer from ${min} to 3650`;
  const inRange = (min: number) => (value: number) =>
    Number.isInteger(value) && value >= min && value <= 3650;
  new PropsCheck("Audit")
    .value(
      props.alertMode,
      (mode) => ALERT_MODES.includes(mode),
      (mode) => `alertMode is "${mode}"; allowed: ${ALERT_MODES.join(", ")}`,
    )
    .value(props.maxKeyAgeDays, inRange(1), days("maxKeyAgeDays", 1))
    .value(props.unusedDays, inRange(1), days("unusedDays", 1))
    .value(props.newKeyGraceDays, inRange(0), days("newKeyGraceDays", 0))
    .value(props.rootRecentDays, inRange(1), days("rootRecentDays", 1))
    .each(
      Object.entries(props.enforce ?? {}).map(([kind, notice]) => `${kind}=${notice}`),
      (entry) => enforcementProblemOf(entry) === undefined,
      (entry) => `enforce has ${enforcementProblemOf(entry)}; allowed: ${ENFORCE_ALLOWED}`,
    )
    .problem(
      enforcing(props) && props.eventBus === undefined
        ? "enforce names kinds but no eventBus carries their signals to the respond function"
        : undefined,
    )
    .throwIfInvalid();
}

function enforcementProblemOf(entry: string): string | undefined {
  const [kind = "", notice = ""] = entry.split("=");
  return enforcementEntryProblem(kind, Number(notice));
}

/** Whether any kind is enforced. */
function enforcing(props: AuditProps): boolean {
  return Object.keys(props.enforce ?? {}).length > 0;
}

/**
 * The key-hygiene audit: a schedule runs the audit function over the IAM credential report;
 * findings per access key go out as a digest and are stored in the incident table. Reads IAM
 * only: it changes no key, user or policy.
 */
export class Audit extends Construct {
  readonly auditFunction: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  /** Its errors and dead-letter alarms, which publish to the alert topic. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AuditProps) {
    super(scope, id);
    validate(props);
    this.deadLetterQueue = deadLetterQueue(this, "AuditDeadLetterQueue");
    const { fn, role } = handlerFunction(this, {
      name: "Audit",
      handler: "audit",
      description: "Key hygiene audit: credential report -> per-key findings -> digest",
      // The report takes seconds to generate; then ListAccessKeys per user with keys, 8 at a time.
      timeout: Duration.minutes(15),
      deadLetterQueue: this.deadLetterQueue,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      environment: {
        [AUDIT_ENV.incidentTableName]: props.incidentTable.tableName,
        [AUDIT_ENV.alertTopicArn]: props.alertTopic.topicArn,
        [AUDIT_ENV.alertMode]: props.alertMode ?? "all",
        [AUDIT_ENV.maxKeyAgeDays]: String(props.maxKeyAgeDays ?? DEFAULT_THRESHOLDS.maxKeyAgeDays),
        [AUDIT_ENV.unusedDays]: String(props.unusedDays ?? DEFAULT_THRESHOLDS.unusedDays),
        [AUDIT_ENV.newKeyGraceDays]: String(props.newKeyGraceDays ?? DEFAULT_THRESHOLDS.newKeyGraceDays),
        [AUDIT_ENV.rootRecentDays]: String(props.rootRecentDays ?? DEFAULT_THRESHOLDS.rootRecentDays),
        ...(props.memberRoleName ? { [AUDIT_ENV.memberRoleName]: props.memberRoleName } : {}),
        ...(props.chatTopic ? { [AUDIT_ENV.chatTopicArn]: props.chatTopic.topicArn } : {}),
        ...(props.exemptPrincipals?.length
          ? { [AUDIT_ENV.exemptPrincipals]: props.exemptPrincipals.join(",") }
          : {}),
        ...(enforcing(props) && props.eventBus
          ? {
              [AUDIT_ENV.enforce]: formatEnforcementPolicy(props.enforce ?? {}),
              [AUDIT_ENV.eventBusName]: props.eventBus.eventBusName,
            }
          : {}),
      },
    });
    this.auditFunction = fn;
    this.grantAuditPermissions(role, props);

    this.rule = new events.Rule(this, "AuditScheduleRule", {
      description: "Daily key hygiene audit",
      schedule: props.schedule ?? events.Schedule.cron({ minute: "0", hour: "6" }),
      targets: [lambdaTarget(fn, this.deadLetterQueue)],
    });
    this.alarms = failureAlarms(this, "Audit", fn, this.deadLetterQueue, props.alertTopic, {
      errors: "The key hygiene audit failed: today's digest may be missing. Check its logs and the DLQ.",
      deadLetters: "Key hygiene audit runs ended in the dead-letter queue. Inspect and redrive.",
    });
  }

  /** IAM reads from lambdas/core/audit/permissions.ts, the incident table (no Scan), the alert topic. */
  private grantAuditPermissions(role: iam.Role, props: AuditProps): void {
    // Written with the pseudo parameters (as the respond role's are): the same ARN in every environment.
    const arnOf = (resource: Exclude<AuditIamResource, "*">) =>
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}/*`;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "CredentialReport",
        actions: auditIamActionsFor("*"),
        resources: ["*"],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadUserKeys",
        actions: auditIamActionsFor("user"),
        resources: [arnOf("user")],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "AuditRecords",
        actions: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem"],
        resources: [props.incidentTable.tableArn],
      }),
    );
    props.alertTopic.grantPublish(this.auditFunction);
    props.chatTopic?.grantPublish(this.auditFunction);
    if (props.memberRoleName) {
      // Reads only: the accounts of the Organization, then each one's IAM reads as its member role.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "ListOrganizationAccounts",
          actions: [...AUDIT_ORGANIZATIONS_ACTIONS],
          resources: ["*"],
        }),
      );
      const memberRole = `arn:${Aws.PARTITION}:iam::*:role/${props.memberRoleName}`;
      role.addToPolicy(assumeMemberRoleStatement(memberRole, props.organizationId));
      acknowledgeMemberRoleWildcard([role], props.memberRoleName);
    }
    if (enforcing(props) && props.eventBus) {
      // Enforcement signals only: the audit role holds no IAM write; the respond function disables.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "EnforcementSignals",
          actions: ["events:PutEvents"],
          resources: [busArnOf(props.eventBus)],
          conditions: onlyEntriesOf({
            source: AUDIT_ENFORCEMENT_SOURCE,
            detailType: AUDIT_ENFORCEMENT_DETAIL_TYPE,
          }),
        }),
      );
    }
    Validations.of(role).acknowledge(
      {
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason:
          'iam:GenerateCredentialReport, iam:GetCredentialReport, iam:GetAccountAuthorizationDetails (and, in Organization deployments, organizations:ListAccounts) have no resource-level permissions: "*" is their only Resource. All only read.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]`,
        reason: "The audit lists every user's keys and their last use (List/Get only) in this account.",
      },
      {
        id: "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        reason: "Granted by Topic.grantPublish on the alert topic's own KMS key only.",
      },
    );
  }
}
