import { snsMessageOf } from "../../lambdas/adapters/sns-alerts.js";
import type { Exposure } from "../../lambdas/core/exposure.js";
import type { ActionRecord } from "../../lambdas/core/incident.js";
import { renderAlert } from "../../lambdas/core/notification.js";
import { type PlanContext, planResponse } from "../../lambdas/core/plan.js";

// The contained alert the notification and webhook specs share: alice's exposed key, disabled.
export const KEY = "AKIAIOSFODNN7EXAMPLE";
export const NOW = "2026-11-28T12:00:00.000Z";
export const exposure: Exposure = {
  source: "health",
  signal: "AWS_RISK_CREDENTIALS_EXPOSED",
  signalId: "health:arn:c:AKIAIOSFODNN7EXAMPLE",
  sourceEventId: "e1",
  accountId: "123456789012",
  region: "us-east-1",
  accessKeyId: KEY,
  principal: { type: "user", name: undefined },
  intent: "contain",
  severity: "critical",
  sample: false,
  observedAt: NOW,
  title: "Your AWS Access Key was found publicly available",
  evidence: { eventArn: "arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/x" },
};
export const context: PlanContext = {
  mode: "enforce",
  now: NOW,
  quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
  exemptPrincipals: [],
  incident: undefined,
  facts: { kind: "user", name: "alice", exempt: false, drillCanary: false, keyStatus: "Active" },
};
export const actions: ActionRecord[] = [
  {
    kind: "disable-key",
    target: `${KEY} (user alice)`,
    at: NOW,
    outcome: "done",
    signalId: "s",
    undo: { previousStatus: "Active" },
  },
];

/** What SNS hands the forwarder for the contained alert: the subject and the topic's `lambda` body. */
export function containedTopicMessage() {
  const alert = renderAlert({
    exposure,
    plan: planResponse(exposure, context),
    principalName: "alice",
    actions,
    mode: "enforce",
    stackName: "S",
  });
  return { subject: alert.subject, message: JSON.parse(snsMessageOf(alert)).lambda as string };
}
