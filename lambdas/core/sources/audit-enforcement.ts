import {
  AUDIT_ENFORCEMENT_DETAIL_TYPE,
  AUDIT_ENFORCEMENT_SOURCE,
  type EnforcementDetail,
  EnforcementDetailSchema,
} from "../audit/enforcement.js";
import type { Exposure } from "../exposure.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

export { AUDIT_ENFORCEMENT_DETAIL_TYPE, AUDIT_ENFORCEMENT_SOURCE };

/** The signal id of one key's enforcement: re-sent by every audit until it is handled, acted on once. */
export function enforcementSignalIdOf(detail: Pick<EnforcementDetail, "accessKeyId" | "dueAt">): string {
  return `audit:${detail.accessKeyId}:${detail.dueAt}`;
}

/**
 * The audit's enforcement signal (a custom event on the responder's own bus): contain exactly the
 * key it names. The respond handler acts on it only after checking it against the announcement the
 * audit stored (anyone the bus admits could send one).
 */
export function auditEnforcementToExposures(envelope: Envelope): Exposure[] {
  const detail = parseOrThrow(EnforcementDetailSchema, envelope.detail, AUDIT_ENFORCEMENT_SOURCE);
  return [
    {
      source: "audit",
      signal: "AUDIT_ENFORCEMENT_DUE",
      signalId: enforcementSignalIdOf(detail),
      sourceEventId: envelope.id,
      accountId: accountOf(envelope, detail.accountId, AUDIT_ENFORCEMENT_SOURCE),
      region: envelope.region,
      accessKeyId: detail.accessKeyId,
      principal: { type: "user", name: detail.userName },
      intent: "contain",
      severity: "medium",
      sample: false,
      observedAt: isoTimeOf(envelope.time, envelope.time),
      title: `Key hygiene enforcement: ${detail.kinds.join(", ")} (announced, due ${detail.dueAt.slice(0, 10)})`,
      evidence: { kinds: detail.kinds.join(","), dueAt: detail.dueAt, auditId: detail.auditId },
    },
  ];
}
