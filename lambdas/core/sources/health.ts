import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import { InvalidEventError } from "../errors.js";
import type { Exposure, Severity } from "../exposure.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

export const HEALTH_SOURCE = "aws.health";
export const HEALTH_DETAIL_TYPE = "AWS Health Event";

/** Health RISK event types about an access key, and how bad each one is. */
export const HEALTH_KEY_EVENT_SEVERITY: Readonly<Record<string, Severity>> = {
  AWS_RISK_CREDENTIALS_EXPOSED: "critical",
  AWS_RISK_CREDENTIALS_COMPROMISED: "critical",
  AWS_RISK_IAM_QUARANTINE: "critical",
  AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED: "high",
  AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED: "high",
};

const HealthDetailSchema = z.looseObject({
  eventArn: z.string().check(z.minLength(1), z.maxLength(1600)),
  service: z.string(),
  eventTypeCode: z.string(),
  communicationId: z.optional(z.string()),
  affectedAccount: z.optional(z.string()),
  startTime: z.optional(z.string()),
  /** The us-west-2 copy of a us-east-1 event: documented as the string "true", accepted as a boolean too. */
  backupEvent: z.optional(z.union([z.boolean(), z.string()])),
  /** Newer RISK events name the key's user here (for the key in `publicKey`). */
  eventMetadata: z.optional(
    z.looseObject({
      publicKey: z.optional(z.string()),
      userName: z.optional(z.string()),
      exposedUrl: z.optional(z.string()),
    }),
  ),
  eventDescription: z.optional(
    z.array(z.looseObject({ language: z.optional(z.string()), latestDescription: z.string() })),
  ),
  affectedEntities: z.optional(z.array(z.looseObject({ entityValue: z.string() }))),
});

export function healthToExposures(envelope: Envelope): Exposure[] {
  const detail = parseOrThrow(HealthDetailSchema, envelope.detail, HEALTH_SOURCE);
  // Own keys only: "toString" or "__proto__" must not find Object.prototype's members.
  const severity =
    detail.service === "RISK" && Object.hasOwn(HEALTH_KEY_EVENT_SEVERITY, detail.eventTypeCode)
      ? HEALTH_KEY_EVENT_SEVERITY[detail.eventTypeCode]
      : undefined;
  if (severity === undefined) return [];
  const values = (detail.affectedEntities ?? []).map((entity) => entity.entityValue);
  const keys = [...new Set(values.filter(isAccessKeyId))];
  const rejected = values.filter((value) => !isAccessKeyId(value));
  if (keys.length === 0) {
    throw new InvalidEventError("Health RISK event names no valid access key id", HEALTH_SOURCE, [
      `detail.affectedEntities: ${values.length} entities, none an AKIA/ASIA key id`,
    ]);
  }
  const accountId = accountOf(envelope, detail.affectedAccount, HEALTH_SOURCE);
  const description =
    detail.eventDescription?.find((d) => d.language === "en_US") ?? detail.eventDescription?.[0];
  const evidence: Record<string, string> = { eventArn: detail.eventArn };
  if (detail.communicationId) evidence.communicationId = detail.communicationId;
  const metadata = detail.eventMetadata;
  if (metadata?.exposedUrl) evidence.exposedUrl = metadata.exposedUrl.slice(0, 500);
  if (rejected.length > 0) evidence.rejectedEntities = String(rejected.length);
  if (keys.length > 1) evidence.keysInEvent = String(keys.length);
  return keys.map((accessKeyId) => ({
    source: "health",
    signal: detail.eventTypeCode,
    // The us-west-2 backup copy and every re-delivery share eventArn + communicationId.
    signalId: `health:${detail.eventArn}:${detail.communicationId ?? ""}:${accessKeyId}`,
    sourceEventId: envelope.id,
    accountId,
    region: envelope.region,
    accessKeyId,
    // The user is named only for the key in eventMetadata; the others are looked up.
    principal: { type: "user", name: metadata?.publicKey === accessKeyId ? metadata.userName : undefined },
    intent: "contain",
    severity,
    sample: false,
    observedAt: isoTimeOf(detail.startTime, envelope.time),
    title: description ? firstSentence(description.latestDescription) : detail.eventTypeCode,
    evidence,
  }));
}

function firstSentence(text: string): string {
  const line = text.split(/\n/).find((l) => l.trim().length > 0) ?? text;
  return line.trim().slice(0, 300);
}
