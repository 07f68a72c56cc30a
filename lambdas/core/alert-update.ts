import { maskAccessKeyId } from "./access-key.js";
import { bullets, renderIncidentChat, toSnsSubject } from "./alert-text.js";
import { containmentFailed } from "./containment.js";
import { type ActionRecord, type Incident, isOpen, REWRITTEN_EVERY_SIGNAL } from "./incident.js";
import { type AlertInput, describeAction, SOURCE_LABEL } from "./notification.js";
import type { RenderedAlert } from "./ports.js";
import { maxSeverity, type Severity } from "./vocabulary.js";

/**
 * One incident, one story: a later signal about a key whose incident is already contained goes to
 * the incident's thread as an update ("new signal: …; nothing new done"), at the incident's
 * severity — never lower than what the incident already is. A signal that changed something (a
 * fence someone removed, put back) or whose containment failed gets the full alert, at that
 * severity too.
 */

const SHORT_SOURCE: Record<AlertInput["exposure"]["source"], string> = {
  health: "Health",
  "trusted-advisor": "Trusted Advisor",
  guardduty: "GuardDuty",
  cloudtrail: "CloudTrail",
  drill: "Drill",
  investigation: "Investigation",
  audit: "Key hygiene audit",
};

/** What a later signal changed: not what every signal repeats (a tag rewrite, the session deny refreshed) nor an `already`. */
export function newsIn(actions: readonly ActionRecord[]): ActionRecord[] {
  return actions.filter(
    (a) => a.outcome !== "already" && !(a.outcome === "done" && REWRITTEN_EVERY_SIGNAL.has(a.kind)),
  );
}

/** How a later signal is told: as an update of the open incident, or as a full alert; and at what severity. */
export type AlertForm =
  | { readonly form: "update"; readonly severity: Severity }
  | { readonly form: "full"; readonly severity: Severity };

/** The form of a signal's alert, from the incident as read before the signal was handled. */
export function alertFormOf(
  input: Pick<AlertInput, "plan" | "actions" | "exposure">,
  incident: Pick<Incident, "status" | "severity"> | undefined,
): AlertForm {
  const { plan, actions, exposure } = input;
  if (exposure.sample || incident === undefined) return { form: "full", severity: plan.severity };
  const severity = maxSeverity(plan.severity, incident.severity);
  if (!isOpen(incident)) return { form: "full", severity };
  // Persistence the investigation found is news in itself (what the attacker made, reported even
  // when nothing is done about it, as for an exempt user): always the full alert.
  if (exposure.source === "investigation") return { form: "full", severity };
  const failed = plan.decision === "contain" && containmentFailed(actions);
  return failed || newsIn(actions).length > 0 ? { form: "full", severity } : { form: "update", severity };
}

/** The update of an open incident's thread: the new signal, and that nothing new was done. */
export function renderSignalUpdate(input: AlertInput, severity: Severity): RenderedAlert {
  const { exposure, plan } = input;
  const source = SOURCE_LABEL[exposure.source];
  // Short enough for an SNS subject: the key, the signal's short name, and that nothing new was done.
  const subject = toSnsSubject(
    `[${severity.toUpperCase()}] ${maskAccessKeyId(exposure.accessKeyId)}: new signal: ${SHORT_SOURCE[exposure.source]} ${exposure.signal.split("/").pop()}; nothing new done`,
  );
  const repeated = input.actions.map(describeAction);
  const text = [
    subject,
    "",
    "NEW SIGNAL ABOUT A CONTAINED KEY",
    `  Signal:      ${exposure.signal} (${source})`,
    `  Summary:     ${exposure.title}`,
    `  Severity:    ${severity.toUpperCase()} (this signal: ${plan.severity.toUpperCase()})`,
    `  Access key:  ${exposure.accessKeyId}`,
    `  Observed:    ${exposure.observedAt}`,
    `  Incident:    ${plan.incidentId}`,
    ...Object.entries(exposure.evidence).map(([k, v]) => `  ${k}: ${v}`),
    "",
    "WHAT THE RESPONDER DID",
    "  Nothing new: the key was already contained, and its fence is in place.",
    ...bullets(repeated),
    "",
    "The incident's first alert says what you must still do, and how to release it.",
    "",
    "-- leaked-key-responder",
  ].join("\n");
  const chat = renderIncidentChat({
    incidentId: plan.incidentId,
    id: `${plan.incidentId}:${exposure.signalId}`,
    subject,
    emoji: ":speech_balloon:",
    description: [
      `*New signal:* \`${exposure.signal}\` (${source}) about key \`${maskAccessKeyId(exposure.accessKeyId)}\``,
      exposure.title,
      "*Done:* nothing new (already contained)",
    ],
    nextSteps: [],
    keywords: [severity.toUpperCase(), exposure.accountId, exposure.source, "update"],
    eventType: "LeakedKeyIncidentUpdate",
    relatedResources: [exposure.accessKeyId],
    additionalContext: { incidentId: plan.incidentId, decision: plan.decision },
  });
  const machine = JSON.stringify({
    type: "leaked-key-responder.incident-update",
    version: 1,
    incidentId: plan.incidentId,
    decision: plan.decision,
    severity,
    signalSeverity: plan.severity,
    accountId: exposure.accountId,
    region: exposure.region,
    accessKeyId: exposure.accessKeyId,
    source: exposure.source,
    signal: exposure.signal,
    signalId: exposure.signalId,
    observedAt: exposure.observedAt,
    evidence: exposure.evidence,
    actions: input.actions,
    nothingNewDone: true,
  });
  return { subject, text, chat, machine };
}
