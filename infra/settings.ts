import { parseEnforcementPolicy } from "../lambdas/core/audit/enforcement.js";
import { DEFAULT_STACK_NAME } from "../lambdas/core/contract.js";
import type { ResponseMode } from "../lambdas/core/plan.js";
import type { LeakedKeyResponderProps } from "./leaked-key-responder.js";

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
  "auditEnforce",
  "dashboard",
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
  const auditEnforce = text("auditEnforce");
  const stackName = text("stackName") ?? DEFAULT_STACK_NAME;
  return {
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
      stackNameForCli: stackName,
      ...(flag("dashboard") === undefined ? {} : { dashboard: flag("dashboard") }),
      // `key-old=30,key-unused=14`: days of notice per enforced finding kind.
      ...(auditEnforce === undefined ? {} : { audit: { enforce: enforcementSetting(auditEnforce) } }),
    },
  };
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
