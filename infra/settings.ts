import { Duration } from "aws-cdk-lib";
import { DEFAULT_STACK_NAME } from "../lambdas/core/contract.js";
import type { ResponseMode } from "../lambdas/core/plan.js";
import type { LeakedKeyResponderProps } from "./leaked-key-responder.js";
import { type AlertRoute, DEFAULT_MEMBER_ROLE_NAME, type OrganizationSettings } from "./organization.js";

/** Every setting, read from `cdk.json`/`-c key=value` context first, then `LKR_<KEY>` environment variables. */
export const SETTING_KEYS = [
  "stackName",
  "homeRegion",
  "allowNonDefaultHomeRegion",
  "notificationEmails",
  "slackWorkspaceId",
  "slackChannelId",
  "teamsTeamId",
  "teamsTenantId",
  "teamsChannelId",
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
] as const;
type SettingKey = (typeof SETTING_KEYS)[number];

export function envNameOf(key: SettingKey): string {
  return `LKR_${key.replace(/([A-Z])/g, "_$1").toUpperCase()}`;
}

export interface AppSettings {
  readonly stackName: string;
  readonly homeRegion: string | undefined;
  readonly allowNonDefaultHomeRegion: boolean;
  readonly responder: LeakedKeyResponderProps;
  /** Set when `organizationId` is: the Organization deployment (central stack, forwarders, member StackSet). */
  readonly organization?: OrganizationSettings | undefined;
}

export function readAppSettings(
  context: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
): AppSettings {
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
    if (!Number.isFinite(n)) throw new Error(`${key} is "${value}"; expected a number`);
    return n;
  };
  const flag = (key: SettingKey): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value !== "true" && value !== "false") throw new Error(`${key} is "${value}"; allowed: true, false`);
    return value === "true";
  };
  const pair = <T>(keys: readonly SettingKey[], build: (values: string[]) => T): T | undefined => {
    const values = keys.map(text);
    if (values.every((v) => v === undefined)) return undefined;
    const missing = keys.filter((_, i) => values[i] === undefined);
    if (missing.length > 0)
      throw new Error(`${keys.join(" + ")} go together; missing: ${missing.join(", ")}`);
    return build(values as string[]);
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
  const stackName = text("stackName") ?? DEFAULT_STACK_NAME;
  const organizationId = text("organizationId");
  const organization: OrganizationSettings | undefined =
    organizationId === undefined
      ? undefined
      : {
          organizationId,
          memberOrganizationalUnitIds: list("memberOrganizationalUnitIds") ?? [],
          forwardRegions: list("forwardRegions") ?? [],
          memberRoleName: text("memberRoleName") ?? DEFAULT_MEMBER_ROLE_NAME,
          centralAccountId: text("centralAccountId"),
          alertRoutes: alertRoutesOf(list("alertRoutes")),
        };
  return {
    organization,
    stackName,
    homeRegion: text("homeRegion"),
    allowNonDefaultHomeRegion: text("allowNonDefaultHomeRegion") === "true",
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
    },
  };
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
