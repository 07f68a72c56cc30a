import { maskAccessKeyId } from "../access-key.js";
import type { Exposure } from "../exposure.js";
import { RESPONDER_EVENT_SOURCE } from "../investigation/contained-event.js";
import {
  PERSISTENCE_DETAIL_TYPE,
  type PersistenceDetail,
  PersistenceDetailSchema,
  trustPolicyDiff,
} from "../investigation/persistence.js";
import { accountOf, type Envelope, parseOrThrow } from "./envelope.js";

export { PERSISTENCE_DETAIL_TYPE };

/**
 * `Persistence Found` (the investigate function, on the responder's own bus, whose policy admits
 * this detail-type from the investigate role only) → what respond does about it:
 * - a key made for any user is contained like the leaked one, as its own incident (linked by evidence);
 * - a user made, or given a console password, is quarantined for the leaked key's incident;
 * - a role assumed with the key has its sessions revoked for that incident;
 * - a trust policy changed is alerted critical with the diff (nothing changed).
 * Every finding is critical: an attacker's way back in. The finding's CloudTrail event id is its
 * signal id, so a repeated finding is a duplicate.
 */
export function persistenceToExposures(envelope: Envelope): Exposure[] {
  const detail = parseOrThrow(PersistenceDetailSchema, envelope.detail, RESPONDER_EVENT_SOURCE);
  const accountId = accountOf(envelope, detail.accountId, RESPONDER_EVENT_SOURCE);
  const leaked = maskAccessKeyId(detail.leakedKeyId);
  const evidence: Record<string, string> = {
    linkedIncident: detail.incidentId,
    leakedKey: detail.leakedKeyId,
    madeWith: detail.madeWith,
    cloudTrailEventId: detail.eventId,
    calledAt: detail.eventTime,
  };
  const base = {
    source: "investigation" as const,
    signal: detail.eventName,
    signalId: `persistence:${detail.eventId}`,
    sourceEventId: envelope.id,
    accountId,
    region: detail.region,
    severity: "critical" as const,
    sample: false,
    observedAt: detail.eventTime,
  };
  const { finding } = detail;
  switch (finding.kind) {
    case "access-key":
      return [
        {
          ...base,
          accessKeyId: finding.accessKeyId,
          principal: { type: "user", name: finding.userName },
          intent: "contain",
          title: `Access key created for user ${finding.userName} with leaked key ${leaked}`,
          evidence,
        },
      ];
    case "user":
    case "login-profile":
      return [
        {
          ...base,
          accessKeyId: detail.leakedKeyId,
          principal: { type: "user", name: finding.userName },
          intent: "fence-principal",
          title:
            finding.kind === "user"
              ? `User ${finding.userName} created with leaked key ${leaked}`
              : `Console password of user ${finding.userName} set with leaked key ${leaked} (${detail.eventName})`,
          evidence,
        },
      ];
    case "role-sessions":
      return [
        {
          ...base,
          accessKeyId: detail.leakedKeyId,
          principal: { type: "role", name: finding.roleName },
          intent: "fence-principal",
          title: `Role ${finding.roleName} assumed with leaked key ${leaked}`,
          evidence: finding.sessionKeyId ? { ...evidence, sessionKey: finding.sessionKeyId } : evidence,
        },
      ];
    case "trust-policy":
      return [
        {
          ...base,
          accessKeyId: detail.leakedKeyId,
          principal: { type: "role", name: finding.roleName },
          intent: "notify",
          title: `Trust policy of role ${finding.roleName} changed with leaked key ${leaked}`,
          evidence: { ...evidence, trustPolicyDiff: diffText(finding) },
        },
      ];
  }
}

function diffText(finding: Extract<PersistenceDetail["finding"], { kind: "trust-policy" }>): string {
  return ["", ...trustPolicyDiff(finding.policyDocument, finding.currentPolicyDocument)].join("\n    ");
}
