import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import { InvalidEventError } from "../errors.js";
import type { Exposure, Intent, Principal, Severity } from "../exposure.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";
import { attackSequenceToExposures, isIamAttackSequence } from "./guardduty-attack-sequence.js";

export const GUARDDUTY_SOURCE = "aws.guardduty";
export const GUARDDUTY_DETAIL_TYPE = "GuardDuty Finding";
/** The access key id GuardDuty puts in generated sample findings. */
export const SAMPLE_ACCESS_KEY_ID = "GeneratedFindingAccessKeyId";

/** Which GuardDuty IAM findings contain the key (the rest only notify). */
export interface GuardDutyPolicy {
  /** Finding-type patterns; `*` matches any run of characters. */
  readonly containTypePatterns: readonly string[];
  /** Findings at or above this severity contain regardless of type. */
  readonly containMinSeverity: number;
}

export const DEFAULT_GUARDDUTY_POLICY: GuardDutyPolicy = {
  containTypePatterns: [
    "*/MaliciousIPCaller",
    "*/MaliciousIPCaller.Custom",
    "*/TorIPCaller",
    "PenTest:IAMUser/*",
  ],
  containMinSeverity: 7,
};

const RemoteIpSchema = z.optional(
  z.looseObject({ ipAddressV4: z.optional(z.string()), ipAddressV6: z.optional(z.string()) }),
);

const FindingSchema = z.looseObject({
  accountId: z.optional(z.string()),
  region: z.optional(z.string()),
  id: z.string().check(z.minLength(1), z.maxLength(300)),
  type: z.string().check(z.minLength(1), z.maxLength(300)),
  severity: z.number().check(z.gte(0), z.lte(10)),
  updatedAt: z.optional(z.string()),
  title: z.optional(z.string()),
  resource: z.looseObject({
    resourceType: z.string(),
    accessKeyDetails: z.optional(
      z.looseObject({
        accessKeyId: z.optional(z.string()),
        principalId: z.optional(z.string()),
        userName: z.optional(z.string()),
        userType: z.optional(z.string()),
      }),
    ),
  }),
  service: z.optional(
    z.looseObject({
      count: z.optional(z.number()),
      additionalInfo: z.optional(z.looseObject({ sample: z.optional(z.unknown()) })),
      action: z.optional(
        z.looseObject({
          actionType: z.optional(z.string()),
          awsApiCallAction: z.optional(
            z.looseObject({
              api: z.optional(z.string()),
              serviceName: z.optional(z.string()),
              remoteIpDetails: RemoteIpSchema,
            }),
          ),
        }),
      ),
    }),
  ),
});
export type GuardDutyFinding = z.infer<typeof FindingSchema>;

/** GuardDuty's own bands, with 9.0–10.0 critical. */
export function severityOfFinding(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  return "low";
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export function findingTypeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(type));
}

function principalOf(details: NonNullable<GuardDutyFinding["resource"]["accessKeyDetails"]>): Principal {
  switch (details.userType) {
    case "IAMUser":
      return { type: "user", name: details.userName };
    case "Root":
      return { type: "root" };
    case "AssumedRole":
      return details.userName
        ? { type: "role", name: details.userName }
        : { type: "other", description: "AssumedRole without a role name" };
    default:
      return { type: "other", description: details.userType ?? "unknown principal type" };
  }
}

function intentOf(finding: GuardDutyFinding, principal: Principal, policy: GuardDutyPolicy): Intent {
  if (principal.type === "root" || principal.type === "other") return "notify";
  if (finding.type.includes("InstanceCredentialExfiltration")) {
    return principal.type === "role" ? "revoke-sessions" : "notify";
  }
  const containWorthy =
    findingTypeMatches(finding.type, policy.containTypePatterns) ||
    finding.severity >= policy.containMinSeverity;
  if (!containWorthy) return "notify";
  return principal.type === "role" ? "revoke-sessions" : "contain";
}

/** True for the findings this responder is about: IAM-user findings whose resource is an access key. */
export function isAccessKeyFinding(finding: Pick<GuardDutyFinding, "type" | "resource">): boolean {
  return finding.resource.resourceType === "AccessKey" && finding.type.includes(":IAMUser/");
}

export function guardDutyToExposures(envelope: Envelope, policy: GuardDutyPolicy): Exposure[] {
  // Extended Threat Detection: its credentials are in the attack sequence, not accessKeyDetails.
  const type = (envelope.detail as { type?: unknown } | null | undefined)?.type;
  if (typeof type === "string" && isIamAttackSequence(type)) return attackSequenceToExposures(envelope);
  const finding = parseOrThrow(FindingSchema, envelope.detail, GUARDDUTY_SOURCE);
  if (!isAccessKeyFinding(finding)) return [];
  const details = finding.resource.accessKeyDetails;
  if (details === undefined) {
    throw new InvalidEventError("AccessKey finding without accessKeyDetails", GUARDDUTY_SOURCE, [
      "resource.accessKeyDetails: missing",
    ]);
  }
  const sample =
    finding.service?.additionalInfo?.sample === true || details.accessKeyId === SAMPLE_ACCESS_KEY_ID;
  const accessKeyId = details.accessKeyId;
  // A sample keeps its placeholder; with no key id at all there is nothing to name, sample or not.
  if (accessKeyId === undefined || (!sample && !isAccessKeyId(accessKeyId))) {
    throw new InvalidEventError("finding names no valid access key id", GUARDDUTY_SOURCE, [
      `resource.accessKeyDetails.accessKeyId: ${accessKeyId === undefined ? "missing" : "not an AKIA/ASIA key id"}`,
    ]);
  }
  const principal = principalOf(details);
  const severity = principal.type === "root" ? "critical" : severityOfFinding(finding.severity);
  const api = finding.service?.action?.awsApiCallAction;
  const remoteIp = api?.remoteIpDetails?.ipAddressV4 ?? api?.remoteIpDetails?.ipAddressV6;
  const evidence: Record<string, string> = {
    findingId: finding.id,
    findingType: finding.type,
    severityScore: String(finding.severity),
  };
  if (api?.api) evidence.api = `${api.serviceName ?? "?"}:${api.api}`;
  if (remoteIp) evidence.remoteIp = remoteIp;
  if (finding.service?.count !== undefined) evidence.count = String(finding.service.count);
  return [
    {
      source: "guardduty",
      signal: finding.type,
      signalId: `guardduty:${finding.id}`,
      sourceEventId: envelope.id,
      accountId: accountOf(envelope, finding.accountId, GUARDDUTY_SOURCE),
      region: finding.region ?? envelope.region,
      accessKeyId,
      principal,
      intent: sample ? "notify" : intentOf(finding, principal, policy),
      severity,
      sample,
      observedAt: isoTimeOf(finding.updatedAt, envelope.time),
      title: finding.title ?? finding.type,
      evidence,
    },
  ];
}
