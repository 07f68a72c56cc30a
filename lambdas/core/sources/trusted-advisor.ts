import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import { InvalidEventError } from "../errors.js";
import type { Exposure, Principal } from "../exposure.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

export const TRUSTED_ADVISOR_SOURCE = "aws.trustedadvisor";
export const TRUSTED_ADVISOR_DETAIL_TYPE = "Trusted Advisor Check Item Refresh Notification";
export const EXPOSED_KEYS_CHECK = "Exposed Access Keys";

const TrustedAdvisorDetailSchema = z.looseObject({
  "check-name": z.string(),
  status: z.string(),
  uuid: z.optional(z.string()),
  "check-item-detail": z.optional(z.record(z.string(), z.nullable(z.string()))),
});

/** IAM user names cannot contain `<`: Trusted Advisor's root placeholder (e.g. `<root_account>`) can. */
function principalOf(userName: string | undefined): Principal {
  if (userName === undefined || userName === "") return { type: "user", name: undefined };
  if (userName.includes("<")) return { type: "root" };
  return { type: "user", name: userName };
}

export function trustedAdvisorToExposures(envelope: Envelope): Exposure[] {
  const detail = parseOrThrow(TrustedAdvisorDetailSchema, envelope.detail, TRUSTED_ADVISOR_SOURCE);
  if (detail["check-name"] !== EXPOSED_KEYS_CHECK || detail.status !== "ERROR") return [];
  const item = detail["check-item-detail"] ?? {};
  const accessKeyId = item["Access Key ID"] ?? "";
  if (!isAccessKeyId(accessKeyId)) {
    throw new InvalidEventError(
      "Exposed Access Keys item names no valid access key id",
      TRUSTED_ADVISOR_SOURCE,
      ['detail.check-item-detail["Access Key ID"]: not an AKIA/ASIA key id'],
    );
  }
  const principal = principalOf(item["User Name (IAM or Root)"] ?? undefined);
  const caseId = item["Case ID"] ?? detail.uuid ?? envelope.id;
  const evidence: Record<string, string> = {};
  for (const [field, label] of [
    ["Fraud Type", "fraudType"],
    ["Case ID", "caseId"],
    ["Location", "location"],
    ["Deadline", "deadline"],
    ["Usage (USD per Day)", "usageUsdPerDay"],
  ] as const) {
    const value = item[field];
    if (value) evidence[label] = value.slice(0, 500);
  }
  return [
    {
      source: "trusted-advisor",
      signal: EXPOSED_KEYS_CHECK,
      signalId: `trusted-advisor:${caseId}:${accessKeyId}`,
      sourceEventId: envelope.id,
      accountId: accountOf(envelope, undefined, TRUSTED_ADVISOR_SOURCE),
      region: envelope.region,
      accessKeyId,
      principal,
      intent: "contain",
      severity: "critical",
      sample: false,
      observedAt: isoTimeOf(item["Time Updated"], envelope.time),
      title: `Trusted Advisor found access key exposed${item["Fraud Type"] ? ` (${item["Fraud Type"]})` : ""}`,
      evidence,
    },
  ];
}
