/** What an attacker is after when a leaked key makes a call. */
export const RISK_CATEGORIES = ["identity", "compute", "data", "defence-evasion"] as const;
export type RiskCategory = (typeof RISK_CATEGORIES)[number];

export const RISK_LABEL: Readonly<Record<RiskCategory, string>> = {
  identity: "Identity changes (persistence)",
  compute: "Compute (crypto-mining)",
  data: "Data access (theft)",
  "defence-evasion": "Defence evasion (hiding)",
};

/** The calls the follow-up alert flags, by CloudTrail event name. */
export const HIGH_RISK_CALLS: Readonly<Record<string, RiskCategory>> = {
  CreateUser: "identity",
  CreateAccessKey: "identity",
  CreateLoginProfile: "identity",
  UpdateLoginProfile: "identity",
  AttachUserPolicy: "identity",
  AttachRolePolicy: "identity",
  AttachGroupPolicy: "identity",
  PutUserPolicy: "identity",
  PutRolePolicy: "identity",
  PutGroupPolicy: "identity",
  CreateRole: "identity",
  UpdateAssumeRolePolicy: "identity",
  RunInstances: "compute",
  CreateFunction: "compute",
  GetObject: "data",
  GetSecretValue: "data",
  BatchGetSecretValue: "data",
  GetParameter: "data",
  GetParameters: "data",
  GetParametersByPath: "data",
  StopLogging: "defence-evasion",
  DeleteTrail: "defence-evasion",
  PutEventSelectors: "defence-evasion",
  DeleteDetector: "defence-evasion",
  DisableSecurityHub: "defence-evasion",
};

/** STS calls that mint session credentials (`ASIA…`) for the caller. */
export const SESSION_MINTING_CALLS: ReadonlySet<string> = new Set([
  "GetSessionToken",
  "GetFederationToken",
  "AssumeRole",
]);

/**
 * CloudTrail names some Lambda operations with their API version (`CreateFunction20150331`,
 * `UpdateFunctionCode20150331v2`); the table uses the plain name.
 */
export function baseEventName(eventName: string): string {
  return eventName.replace(/\d{8}(v\d+)?$/, "");
}

export function riskOf(eventName: string): RiskCategory | undefined {
  return HIGH_RISK_CALLS[baseEventName(eventName)];
}
