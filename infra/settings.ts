import { Duration } from "aws-cdk-lib";
import { parseEnforcementPolicy } from "../lambdas/core/audit/enforcement.js";
import { DEFAULT_STACK_NAME, LKR_CLI_ENV, REGION_PATTERN } from "../lambdas/core/contract.js";
import type { ResponseMode } from "../lambdas/core/plan.js";
import { WEBHOOK_FORMATS, type WebhookFormat } from "../lambdas/core/webhook.js";
import { closestName } from "./did-you-mean.js";
import type { LeakedKeyResponderProps } from "./leaked-key-responder.js";
import { type AlertRoute, DEFAULT_MEMBER_ROLE_NAME, type OrganizationSettings } from "./organization.js";
import { InvalidSettingsError } from "./props-check.js";
import type { WebhookSetting } from "./webhook-forwarder.js";

/**
 * Every setting, read from `cdk.json`/`-c key=value` context first, then `LKR_<KEY>` environment
 * variables. The one list of known keys: a context key or `LKR_*` variable not named here fails
 * synth with a "did you mean" suggestion, so add a new setting here first.
 */
export const SETTING_KEYS = [
  "stackName",
  "homeRegion",
  "allowNonDefaultHomeRegion",
  "allowNoSubscribers",
  "notificationEmails",
  "slackWorkspaceId",
  "slackChannelId",
  "teamsTeamId",
  "teamsTenantId",
  "teamsChannelId",
  "webhookSecretArn",
  "webhookFormat",
  "responseMode",
  "exemptPrincipals",
  "honorExemptTag",
  "guardDutyContainTypes",
  "guardDutyContainMinSeverity",
  "quarantinePolicyArn",
  "memberRoleName",
  "reservedConcurrency",
  "investigationRegions",
  "operatorRoleArns",
  "confirmContainmentAfterMinutes",
  "honeyKeyPath",
  "organizationId",
  "memberOrganizationalUnitIds",
  "forwardRegions",
  "centralAccountId",
  "alertRoutes",
  "auditEnforce",
  "dashboard",
] as const;
type SettingKey = (typeof SETTING_KEYS)[number];

/** What CloudFormation (and the CDK) accept as a stack name. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export function envNameOf(key: SettingKey): string {
  return `LKR_${key.replace(/([A-Z])/g, "_$1").toUpperCase()}`;
}

/**
 * Context keys that belong to the CDK, not to us: its feature flags (`@aws-cdk/...:flag`), what
 * the CLI passes (`aws:cdk:...`), cached lookups (`availability-zones:account=...`) and notices.
 */
function isCdkContextKey(key: string): boolean {
  return (
    key.includes(":") ||
    key.startsWith("@") ||
    key.startsWith("cdk-") ||
    key.startsWith("aws-cdk") ||
    key === "acknowledged-issue-numbers"
  );
}

/**
 * Problems with the names of the settings given: every context key and `LKR_*` variable that is
 * not a setting (nor the CDK's own, nor one lkr reads), each with the nearest known name.
 */
export function unknownSettingProblems(
  contextKeys: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const contextProblems = contextKeys
    .filter((key) => !isCdkContextKey(key) && !(SETTING_KEYS as readonly string[]).includes(key))
    .map((key) => `context key "${key}" is not a setting; ${suggestion(key, SETTING_KEYS)}`);
  const envNames = SETTING_KEYS.map(envNameOf);
  const cliNames: readonly string[] = Object.values(LKR_CLI_ENV);
  const envProblems = Object.keys(env)
    .filter((name) => name.startsWith("LKR_") && !envNames.includes(name) && !cliNames.includes(name))
    .map((name) => `environment variable ${name} is not a setting; ${suggestion(name, envNames)}`);
  return [...contextProblems, ...envProblems];
}

function suggestion(name: string, known: readonly string[]): string {
  const nearest = closestName(name, known);
  return nearest === undefined ? `did you mean one of: ${known.join(", ")}?` : `did you mean "${nearest}"?`;
}

export interface AppSettings {
  readonly stackName: string;
  readonly homeRegion: string | undefined;
  readonly allowNonDefaultHomeRegion: boolean;
  /** Synth even when nobody is subscribed to the alerts (`allowNoSubscribers=true`). */
  readonly allowNoSubscribers: boolean;
  readonly responder: LeakedKeyResponderProps;
  /** Set when `organizationId` is: the Organization deployment (central stack, forwarders, member StackSet). */
  readonly organization?: OrganizationSettings | undefined;
  /**
   * `forwardRegions`, with or without `organizationId`: one forwarder stack per region (the home region
   * skipped) sends its GuardDuty findings and honey key use to the home stack. With an Organization it
   * is the same list as `organization.forwardRegions`. Unset when not given.
   */
  readonly forwardRegions?: readonly string[] | undefined;
  /** `webhookSecretArn` (+ `webhookFormat`, default slack): the Slack / Teams incoming-webhook forwarder. */
  readonly webhook?: WebhookSetting | undefined;
}

/**
 * The settings, or one error naming every problem (see {@link collectAppSettings}).
 * Reads only the keys it knows; pass the names given to {@link unknownSettingProblems} as well.
 */
export function readAppSettings(
  context: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
): AppSettings {
  const { settings, problems } = collectAppSettings(context, env);
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}

/**
 * The settings and every problem found reading them, each naming the context key (or the
 * `LKR_*` variable it came from), the value and what is allowed. A value with a problem is left
 * out, so the construct can still be built and report its own problems in the same round.
 */
export function collectAppSettings(
  context: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
): { readonly settings: AppSettings; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const nameOf = (key: SettingKey): string =>
    context(key) === undefined && env[envNameOf(key)] !== undefined ? envNameOf(key) : key;
  const get = (key: SettingKey): unknown => context(key) ?? env[envNameOf(key)];
  const text = (key: SettingKey): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null || value === "") return undefined;
    return String(value).trim();
  };
  const list = (key: SettingKey): string[] | undefined => {
    const value = get(key);
    if (value === undefined || value === null || value === "") return undefined;
    const items = Array.isArray(value) ? value.map(String) : String(value).split(",");
    return items.map((s) => s.trim()).filter((s) => s !== "");
  };
  const number = (key: SettingKey): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (Number.isFinite(n)) return n;
    problems.push(`${nameOf(key)} is "${value}"; expected a number`);
    return undefined;
  };
  const flag = (key: SettingKey): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value === "true" || value === "false") return value === "true";
    problems.push(`${nameOf(key)} is "${value}"; allowed: true, false`);
    return undefined;
  };
  const pair = <T>(keys: readonly SettingKey[], build: (values: string[]) => T): T | undefined => {
    const values = keys.map(text);
    if (values.every((v) => v === undefined)) return undefined;
    const missing = keys.filter((_, i) => values[i] === undefined);
    if (missing.length === 0) return build(values as string[]);
    problems.push(`${keys.join(" + ")} go together; missing: ${missing.join(", ")}`);
    return undefined;
  };
  const slackChannel = pair(["slackWorkspaceId", "slackChannelId"], ([workspaceId, channelId]) => ({
    workspaceId: workspaceId as string,
    channelId: channelId as string,
  }));
  const teamsChannel = pair(
    ["teamsTeamId", "teamsTenantId", "teamsChannelId"],
    ([teamId, tenantId, channelId]) => ({
      teamId: teamId as string,
      tenantId: tenantId as string,
      channelId: channelId as string,
    }),
  );
  const webhook = webhookSetting(
    { value: text("webhookSecretArn"), name: nameOf("webhookSecretArn") },
    { value: text("webhookFormat"), name: nameOf("webhookFormat") },
    problems,
  );
  const auditEnforce = text("auditEnforce");
  const givenStackName = text("stackName");
  const stackNameOk = givenStackName === undefined || STACK_NAME_PATTERN.test(givenStackName);
  if (!stackNameOk)
    problems.push(
      `${nameOf("stackName")} is "${givenStackName}"; expected a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most 128`,
    );
  const stackName = (stackNameOk ? givenStackName : undefined) ?? DEFAULT_STACK_NAME;
  const homeRegion = text("homeRegion");
  if (homeRegion !== undefined && !REGION_PATTERN.test(homeRegion))
    problems.push(
      `${nameOf("homeRegion")} is "${homeRegion}"; expected an AWS region name such as us-east-1`,
    );
  const organizationId = text("organizationId");
  let alertRoutes: AlertRoute[] | undefined;
  try {
    alertRoutes = alertRoutesOf(list("alertRoutes"));
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const organization: OrganizationSettings | undefined =
    organizationId === undefined
      ? undefined
      : {
          organizationId,
          memberOrganizationalUnitIds: list("memberOrganizationalUnitIds") ?? [],
          forwardRegions: list("forwardRegions") ?? [],
          memberRoleName: text("memberRoleName") ?? DEFAULT_MEMBER_ROLE_NAME,
          centralAccountId: text("centralAccountId"),
          alertRoutes,
        };
  let enforce: ReturnType<typeof enforcementSetting> | undefined;
  if (auditEnforce !== undefined) {
    try {
      enforce = enforcementSetting(auditEnforce);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  const settings: AppSettings = {
    organization,
    forwardRegions: list("forwardRegions"),
    stackName,
    homeRegion: homeRegion !== undefined && REGION_PATTERN.test(homeRegion) ? homeRegion : undefined,
    allowNonDefaultHomeRegion: flag("allowNonDefaultHomeRegion") === true,
    allowNoSubscribers: flag("allowNoSubscribers") === true,
    webhook,
    responder: {
      notificationEmails: list("notificationEmails"),
      slackChannel,
      teamsChannel,
      responseMode: text("responseMode") as ResponseMode | undefined,
      exemptPrincipals: list("exemptPrincipals"),
      honorExemptTag: flag("honorExemptTag"),
      guardDutyContainTypes: list("guardDutyContainTypes"),
      guardDutyContainMinSeverity: number("guardDutyContainMinSeverity"),
      quarantinePolicyArn: text("quarantinePolicyArn"),
      memberRoleName: text("memberRoleName"),
      reservedConcurrency:
        text("reservedConcurrency") === "unreserved" ? "unreserved" : number("reservedConcurrency"),
      investigationRegions: list("investigationRegions"),
      operatorRoleArns: list("operatorRoleArns"),
      confirmContainmentAfter: minutes(number("confirmContainmentAfterMinutes")),
      honeyKeyPath: text("honeyKeyPath"),
      stackNameForCli: stackName,
      ...(flag("dashboard") === undefined ? {} : { dashboard: flag("dashboard") }),
      // `key-old=30,key-unused=14`: days of notice per enforced finding kind.
      ...(enforce === undefined ? {} : { audit: { enforce } }),
    },
  };
  return { settings, problems };
}

/** A Secrets Manager secret ARN (complete, or partial: without the random suffix). */
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** The webhook forwarder's settings; a format without a secret, a bad ARN or format is a problem. */
function webhookSetting(
  arn: { value: string | undefined; name: string },
  formatGiven: { value: string | undefined; name: string },
  problems: string[],
): WebhookSetting | undefined {
  const secretArn = arn.value;
  const format = formatGiven.value;
  if (format !== undefined && !(WEBHOOK_FORMATS as readonly string[]).includes(format)) {
    problems.push(`${formatGiven.name} is "${format}"; allowed: ${WEBHOOK_FORMATS.join(", ")}`);
    return undefined;
  }
  if (secretArn === undefined) {
    if (format !== undefined) problems.push(`${formatGiven.name} is set but ${arn.name} is not; set both`);
    return undefined;
  }
  if (!SECRET_ARN_PATTERN.test(secretArn)) {
    // Not echoed: a webhook URL given here by mistake is itself a secret, and synth output lands in CI logs.
    problems.push(
      `${arn.name} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>); store the webhook URL in a secret and give its ARN`,
    );
    return undefined;
  }
  return { secretArn, format: (format ?? "slack") as WebhookFormat };
}

/** Minutes as a Duration (validated by the construct: whole minutes, 5 to 1440). */
function minutes(value: number | undefined): Duration | undefined {
  return value === undefined ? undefined : Duration.minutes(value);
}

/** `match=topicArn` entries (`123456789012=arn:aws:sns:…`, `ou-…=…`, `tag:team=payments=…`). */
function alertRoutesOf(entries: readonly string[] | undefined): AlertRoute[] | undefined {
  if (entries === undefined) return undefined;
  return entries.map((entry) => {
    const at = entry.lastIndexOf("=arn:");
    if (at < 0)
      throw new Error(`alertRoutes contains "${entry}"; expected <account|ou-…|tag:key=value>=<topic ARN>`);
    return { match: entry.slice(0, at), topicArn: entry.slice(at + 1) };
  });
}

function enforcementSetting(value: string) {
  try {
    return parseEnforcementPolicy(value);
  } catch (error) {
    throw new Error(`auditEnforce is "${value}": ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
