import { type AlertRoute, parseAlertRoutes } from "./alert-routes.js";
import {
  ACCOUNT_POLICY_ARN_PATTERN,
  AWS_QUARANTINE_POLICY_ARN_PATTERN,
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_STACK_NAME,
  exemptNameOf,
  IAM_PRINCIPAL_NAME_PATTERN,
  MANAGED_POLICY_ARN_PATTERN,
  QUARANTINE_POLICY_ALLOWED,
  RESPOND_ENV,
} from "./contract.js";
import {
  type Env,
  list,
  matching,
  number,
  oneOf,
  optional,
  optionalTopicArn,
  required,
  topicArn,
} from "./env.js";
import { ConfigError } from "./errors.js";
import {
  DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS,
  DEFAULT_HONEY_PATH,
  honeyPathProblem,
} from "./honeykey/model.js";
import { DEFAULT_GUARDDUTY_POLICY, type GuardDutyPolicy } from "./sources/guardduty.js";
import { RESPONSE_MODES, type ResponseMode } from "./vocabulary.js";

/** AWS's newest quarantine policy (created 2026-11-06); where it does not exist, V3 is attached (see quarantine-fallback.ts). */
export const DEFAULT_QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
export { RESPONSE_MODES } from "./vocabulary.js";

/** The respond function's settings, read once at cold start. */
export interface RespondConfig {
  /** INCIDENT_TABLE_NAME (required). */
  readonly incidentTableName: string;
  /** ALERT_TOPIC_ARN (required). */
  readonly alertTopicArn: string;
  /** CHAT_TOPIC_ARN: AWS Chatbot's topic; default none (alerts to the alert topic only). */
  readonly chatTopicArn?: string | undefined;
  /** RESPONSE_MODE: `enforce` (default) or `notify-only`. */
  readonly mode: ResponseMode;
  /** QUARANTINE_POLICY_ARN, default AWS's AWSCompromisedKeyQuarantineV4 (V3 where V4 does not exist). */
  readonly quarantinePolicyArn: string;
  /** EXEMPT_PRINCIPALS: comma-separated user/role names or ARNs never changed (kept as names); default none. */
  readonly exemptPrincipals: readonly string[];
  /** HONOR_EXEMPT_TAG: `true` lets the exempt tag exempt; default `false`. */
  readonly honorExemptTag: boolean;
  /** SESSION_DENY_POLICY_ARN: the stack's deny-only session policy; unset: users' sessions are not revoked. */
  readonly sessionDenyPolicyArn: string | undefined;
  /** ROLE_SESSION_REVOKER_FUNCTION: the revoker function; unset: a role's sessions cannot be revoked (the step fails). */
  readonly roleSessionRevokerFunction: string | undefined;
  /** RESPONDER_ROLE_ARNS: the responder's own roles, whose tag calls are not tampering; default none. */
  readonly responderRoleArns: readonly string[];
  /** GUARDDUTY_CONTAIN_TYPES (comma-separated, `*` wildcard) and GUARDDUTY_CONTAIN_MIN_SEVERITY (0–10). */
  readonly guardDutyPolicy: GuardDutyPolicy;
  /** EVENT_BUS_NAME for the Incident Contained event; default `default`. */
  readonly eventBusName: string;
  /** STACK_NAME, shown in release commands; default `LeakedKeyResponder`. */
  readonly stackName: string;
  /** MEMBER_ROLE_NAME: role assumed in other accounts of the Organization; default none (own account only). */
  readonly memberRoleName: string | undefined;
  /** ALERT_ROUTES: extra topics per account, OU or account tag (`match=topicArn`, comma-separated); default none. */
  readonly alertRoutes?: readonly AlertRoute[];
  /** HONEY_KEY_PATH: the IAM path of honey users; default `/service/`. */
  readonly honeyKeyPath?: string;
  /** HONEY_ALERT_COOLDOWN_SECONDS: one alert per (honey key, source IP) in this many seconds; default 3600. */
  readonly honeyAlertCooldownSeconds?: number;
}

/** HONEY_KEY_PATH: an IAM path of its own, with no tell-tale word. */
function honeyKeyPathOf(env: Env): string {
  const path = optional(env, RESPOND_ENV.honeyKeyPath) ?? DEFAULT_HONEY_PATH;
  const problem = honeyPathProblem(path);
  if (problem !== undefined) {
    throw new ConfigError(`${RESPOND_ENV.honeyKeyPath}: ${problem}`, RESPOND_ENV.honeyKeyPath);
  }
  return path;
}

/**
 * QUARANTINE_POLICY_ARN: one of AWS's deny-only quarantine policies, or a customer managed policy
 * (the stack's own deny-only policy; the construct checks at synth that it only denies).
 */
function quarantinePolicyArnOf(env: Env): string {
  const arn = optional(env, RESPOND_ENV.quarantinePolicyArn) ?? DEFAULT_QUARANTINE_POLICY_ARN;
  if (AWS_QUARANTINE_POLICY_ARN_PATTERN.test(arn) || ACCOUNT_POLICY_ARN_PATTERN.test(arn)) return arn;
  throw new ConfigError(
    `${RESPOND_ENV.quarantinePolicyArn} is "${arn}"; allowed: ${QUARANTINE_POLICY_ALLOWED}`,
    RESPOND_ENV.quarantinePolicyArn,
  );
}

/** Reads the variables in a fixed order, so the first bad one is the one reported. */
export function parseRespondConfig(env: Env): RespondConfig {
  const mode = oneOf(env, RESPOND_ENV.responseMode, RESPONSE_MODES, "enforce");
  const alertTopicArn = topicArn(env, RESPOND_ENV.alertTopicArn);
  const quarantinePolicyArn = quarantinePolicyArnOf(env);
  const containMinSeverity = number(
    env,
    RESPOND_ENV.guardDutyContainMinSeverity,
    DEFAULT_GUARDDUTY_POLICY.containMinSeverity,
    { min: 0, max: 11, allowed: "a number from 0 to 10, or 11 to contain by type only" },
  );
  const memberRoleName = optional(env, RESPOND_ENV.memberRoleName);
  if (memberRoleName !== undefined) {
    matching(RESPOND_ENV.memberRoleName, memberRoleName, IAM_PRINCIPAL_NAME_PATTERN, "an IAM role name");
  }
  const sessionDenyPolicyArn = optional(env, RESPOND_ENV.sessionDenyPolicyArn);
  if (sessionDenyPolicyArn !== undefined) {
    matching(
      RESPOND_ENV.sessionDenyPolicyArn,
      sessionDenyPolicyArn,
      MANAGED_POLICY_ARN_PATTERN,
      "a managed policy ARN",
    );
  }
  const honorExemptTag = oneOf(env, RESPOND_ENV.honorExemptTag, ["true", "false"], "false") === "true";
  const honeyKeyPath = honeyKeyPathOf(env);
  const honeyAlertCooldownSeconds = number(
    env,
    RESPOND_ENV.honeyAlertCooldownSeconds,
    DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS,
    { min: 0, max: 7 * 24 * 3600, integer: true },
  );
  return {
    incidentTableName: required(env, RESPOND_ENV.incidentTableName),
    alertTopicArn,
    chatTopicArn: optionalTopicArn(env, RESPOND_ENV.chatTopicArn),
    mode,
    quarantinePolicyArn,
    exemptPrincipals: exemptNames(list(env, RESPOND_ENV.exemptPrincipals) ?? []),
    honorExemptTag,
    sessionDenyPolicyArn,
    roleSessionRevokerFunction: optional(env, RESPOND_ENV.roleSessionRevokerFunction),
    responderRoleArns: list(env, RESPOND_ENV.responderRoleArns) ?? [],
    guardDutyPolicy: {
      containTypePatterns:
        list(env, RESPOND_ENV.guardDutyContainTypes) ?? DEFAULT_GUARDDUTY_POLICY.containTypePatterns,
      containMinSeverity,
    },
    eventBusName: optional(env, RESPOND_ENV.eventBusName) ?? DEFAULT_EVENT_BUS_NAME,
    stackName: optional(env, RESPOND_ENV.stackName) ?? DEFAULT_STACK_NAME,
    memberRoleName,
    honeyKeyPath,
    honeyAlertCooldownSeconds,
    ...(optional(env, RESPOND_ENV.alertRoutes) === undefined
      ? {}
      : { alertRoutes: parseAlertRoutes(optional(env, RESPOND_ENV.alertRoutes), RESPOND_ENV.alertRoutes) }),
  };
}

/** The names of the exempt list, each entry a name or a user/role ARN; anything else fails the cold start. */
export function exemptNames(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const name = exemptNameOf(entry);
    if (name === undefined) {
      throw new ConfigError(
        `${RESPOND_ENV.exemptPrincipals} contains "${entry}"; expected IAM user or role names or ARNs`,
        RESPOND_ENV.exemptPrincipals,
      );
    }
    return name;
  });
}
