/**
 * The deployed contract between the construct (infra/), the functions (lambdas/) and the lkr CLI
 * (cli/), written once: environment variable names, stack output names, the incident table's index,
 * default names and the validation patterns more than one side applies. Renaming anything here
 * changes a deployed stack, so tests keep the literal strings.
 */

/** The incident table's index by status, sorted by last update. */
export const STATUS_INDEX = "byStatus";

/** Stack name of `cdk deploy` and of the lkr CLI, unless told otherwise. */
export const DEFAULT_STACK_NAME = "LeakedKeyResponder";

/** The functions' Powertools service name (POWERTOOLS_SERVICE_NAME, and the loggers' serviceName). */
export const SERVICE_NAME = "leaked-key-responder";

/** The account's default EventBridge bus: where AWS's signals arrive (the stack's own events travel on its own bus). */
export const DEFAULT_EVENT_BUS_NAME = "default";

/** CloudWatch namespace of the functions' metrics (embedded metric format log lines). */
export const METRICS_NAMESPACE = "LeakedKeyResponder";

/** Metric names, in METRICS_NAMESPACE. */
export const METRICS = {
  /** Drill events naming a principal that is not a drill canary (logged and counted, never alerted). */
  ignoredDrills: "IgnoredDrills",
  /** Audit enforcement signals no stored announcement backs (logged and counted, never acted on). */
  ignoredAuditSignals: "IgnoredAuditSignals",
} as const;

const INCIDENT_TABLE_NAME = "INCIDENT_TABLE_NAME";
const ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN";

/** Environment variables of the respond function. */
export const RESPOND_ENV = {
  incidentTableName: INCIDENT_TABLE_NAME,
  alertTopicArn: ALERT_TOPIC_ARN,
  responseMode: "RESPONSE_MODE",
  quarantinePolicyArn: "QUARANTINE_POLICY_ARN",
  exemptPrincipals: "EXEMPT_PRINCIPALS",
  guardDutyContainTypes: "GUARDDUTY_CONTAIN_TYPES",
  guardDutyContainMinSeverity: "GUARDDUTY_CONTAIN_MIN_SEVERITY",
  eventBusName: "EVENT_BUS_NAME",
  stackName: "STACK_NAME",
  memberRoleName: "MEMBER_ROLE_NAME",
  /** The stack's deny-only managed policy that ends a quarantined user's temporary-credential sessions. */
  sessionDenyPolicyArn: "SESSION_DENY_POLICY_ARN",
  /** Name or ARN of the role-session revoker function, invoked synchronously for a role's sessions. */
  roleSessionRevokerFunction: "ROLE_SESSION_REVOKER_FUNCTION",
  /** `true` honours the exempt tag; default `false` (a leaked key may be able to tag itself). */
  honorExemptTag: "HONOR_EXEMPT_TAG",
  /** ARNs of the responder's own roles: their tag calls are the responder's, not tampering. */
  responderRoleArns: "RESPONDER_ROLE_ARNS",
  /** The IAM path of honey users (the honey rule's); default `/service/`. */
  honeyKeyPath: "HONEY_KEY_PATH",
  /** Seconds one source IP's further uses of one honey key raise no alert; default 3600. */
  honeyAlertCooldownSeconds: "HONEY_ALERT_COOLDOWN_SECONDS",
  /** Extra alert topics per account, OU or account tag (`match=topicArn`, comma-separated). */
  alertRoutes: "ALERT_ROUTES",
  /** The chat topic AWS Chatbot subscribes to (its JSON only); unset: alerts go to the alert topic alone. */
  chatTopicArn: "CHAT_TOPIC_ARN",
} as const;

/** Environment variables of the investigate function. */
export const INVESTIGATE_ENV = {
  incidentTableName: INCIDENT_TABLE_NAME,
  alertTopicArn: ALERT_TOPIC_ARN,
  regions: "INVESTIGATION_REGIONS",
  lookbackHours: "LOOKBACK_HOURS",
  maxLookbackDays: "MAX_LOOKBACK_DAYS",
  maxSessionKeys: "MAX_SESSION_KEYS",
  /** The bus its Incident Contained events arrive on (the stack's ResponderBus); it puts only Persistence Found there. */
  eventBusName: "EVENT_BUS_NAME",
  /** Minutes after a containment its check runs (default 30). */
  confirmAfterMinutes: "CONFIRM_AFTER_MINUTES",
  /** The stack's schedule group the containment checks are created in; unset: no checks. */
  scheduleGroupName: "SCHEDULE_GROUP_NAME",
  /** The role the schedules invoke the investigate function with (the only role it may pass). */
  scheduleRoleArn: "SCHEDULE_ROLE_ARN",
  /** Where a schedule whose invocation keeps failing puts its event. */
  scheduleDeadLetterArn: "SCHEDULE_DEAD_LETTER_ARN",
  /** Role assumed to search a member account's CloudTrail; unset: the home account only. */
  memberRoleName: "MEMBER_ROLE_NAME",
  chatTopicArn: "CHAT_TOPIC_ARN",
} as const;

/**
 * How an alert tells the operator to run lkr: `npx leaked-key-responder` resolves to this package
 * (its `leaked-key-responder` bin) in any directory, never to an unclaimed registry name such as `lkr`.
 */
export const CLI_INVOCATION = "npx leaked-key-responder";

/** Outputs of the responder's stack; the lkr CLI finds the deployed responder through them. */
export const STACK_OUTPUTS = {
  incidentTableName: "IncidentTableName",
  alertTopicArn: "AlertTopicArn",
  respondFunctionName: "RespondFunctionName",
  deadLetterQueueUrl: "DeadLetterQueueUrl",
  /** The responder's own bus: `lkr drill` puts drill events there. */
  eventBusName: "EventBusName",
  /** The IAM path honey users are created under (the honey rule watches it). */
  honeyKeyPath: "HoneyKeyPath",
  /** An Organization deployment's member role: `lkr release` acts in a member account through it. */
  memberRoleName: "MemberRoleName",
  /** `lkr dlq`: the dead-letter queues it lists, and where `lkr dlq redrive` sends their messages back. */
  informationalQueueUrl: "InformationalQueueUrl",
  investigateDeadLetterQueueUrl: "InvestigateDeadLetterQueueUrl",
  investigateFunctionName: "InvestigateFunctionName",
  auditDeadLetterQueueUrl: "AuditDeadLetterQueueUrl",
  auditFunctionName: "AuditFunctionName",
  /** Only when the construct has a Slack / Teams webhook: its forwarder's DLQ, and the forwarder. */
  webhookDeadLetterQueueUrl: "WebhookDeadLetterQueueUrl",
  webhookFunctionName: "WebhookFunctionName",
  /** The chat topic (AWS Chatbot's JSON): `lkr release` sends its alert there too. */
  chatTopicArn: "ChatTopicArn",
} as const;

/** An SNS topic ARN, standard or FIFO, in any partition. */
export const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/;

/** A managed policy ARN: AWS managed (`iam::aws:`) or customer managed (`iam::<account>:`). */
export const MANAGED_POLICY_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/;

/**
 * The AWS managed policies that may quarantine a principal: AWS's own `AWSCompromisedKeyQuarantine*`
 * family and `AWSDenyAll`. Anything else (AdministratorAccess...) would grant the attacker power.
 */
export const AWS_QUARANTINE_POLICY_ARN_PATTERN =
  /^arn:aws[a-z-]*:iam::aws:policy\/(AWSCompromisedKeyQuarantine[\w+=,.@-]*|AWSDenyAll)$/;

/** A customer managed policy of one account (the stack's own deny-only quarantine policy, deployed). */
export const ACCOUNT_POLICY_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/;

/** What a quarantine policy may be, in words, for errors of the construct and of the cold start. */
export const QUARANTINE_POLICY_ALLOWED =
  "arn:<partition>:iam::aws:policy/AWSCompromisedKeyQuarantine*, arn:<partition>:iam::aws:policy/AWSDenyAll, " +
  "or a deny-only managed policy defined in the same stack";

/** An IAM role ARN (with its path), in any partition. */
export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** An IAM user or role name (role names allow 64 characters, as user names do). */
export const IAM_PRINCIPAL_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** An IAM user or role ARN, with or without a path. */
export const IAM_PRINCIPAL_ARN_PATTERN =
  /^arn:aws[a-z-]*:iam::\d{12}:(user|role)(\/[\w+=,.@-]+)*\/[\w+=,.@-]{1,64}$/;

/**
 * The user or role name of an exempt-list entry, written as a name or as an ARN (the last part of
 * its path); undefined when it is neither.
 */
export function exemptNameOf(entry: string): string | undefined {
  if (IAM_PRINCIPAL_NAME_PATTERN.test(entry)) return entry;
  if (IAM_PRINCIPAL_ARN_PATTERN.test(entry)) return entry.split("/").pop();
  return undefined;
}

/** An AWS region name such as eu-west-1. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Environment variables of the audit function. */
export const AUDIT_ENV = {
  incidentTableName: INCIDENT_TABLE_NAME,
  alertTopicArn: ALERT_TOPIC_ARN,
  maxKeyAgeDays: "AUDIT_MAX_KEY_AGE_DAYS",
  unusedDays: "AUDIT_UNUSED_DAYS",
  newKeyGraceDays: "AUDIT_NEW_KEY_GRACE_DAYS",
  rootRecentDays: "AUDIT_ROOT_RECENT_DAYS",
  alertMode: "AUDIT_ALERT_MODE",
  /** Enforcement, notify first: `kind=days,...` (days of notice per enforced kind); unset: off. */
  enforce: "AUDIT_ENFORCE",
  /** The respond function's exempt list: never announced (names or ARNs). */
  exemptPrincipals: "EXEMPT_PRINCIPALS",
  /** The stack's ResponderBus: enforcement signals go there for the respond function. */
  eventBusName: "EVENT_BUS_NAME",
  chatTopicArn: "CHAT_TOPIC_ARN",
  /** Organization deployments: every active account is audited through this member role. */
  memberRoleName: "MEMBER_ROLE_NAME",
} as const;

/** Environment variables of the honey key safety net function. */
export const HONEY_CHECK_ENV = {
  incidentTableName: INCIDENT_TABLE_NAME,
  alertTopicArn: ALERT_TOPIC_ARN,
  honeyKeyPath: "HONEY_KEY_PATH",
  lastUsedToleranceSeconds: "HONEY_LAST_USED_TOLERANCE_SECONDS",
  memberRoleName: "MEMBER_ROLE_NAME",
} as const;

/** The webhook forwarder's environment (Slack / Teams incoming webhooks without AWS Chatbot). */
export const WEBHOOK_ENV = {
  secretArn: "WEBHOOK_SECRET_ARN",
  format: "WEBHOOK_FORMAT",
  timeoutMs: "WEBHOOK_TIMEOUT_MS",
} as const;

/** Environment variables the lkr CLI reads (not settings of the app: infra/settings.ts lets them be). */
export const LKR_CLI_ENV = {
  table: "LKR_TABLE",
  topic: "LKR_TOPIC",
  eventBus: "LKR_EVENT_BUS",
  honeyPath: "LKR_HONEY_PATH",
  honeyKeySecret: "LKR_HONEYKEY_SECRET",
  memberRoleName: "LKR_MEMBER_ROLE_NAME",
} as const;
