import { bullets, renderIncidentChat, todoSection, toSnsSubject } from "../alert-text.js";
import type { RenderedAlert } from "../ports.js";
import type { PolicyDetached } from "../sources/iam-watch.js";

/**
 * The alert for a fence policy detached in an account the responder cannot act in (outside the
 * Organization, no member stack there, or no member role configured): its principal's tags cannot
 * be read, so no key is named and nothing is changed; people must look.
 */
export function renderUnreachableDetach(detached: PolicyDetached, why: string): RenderedAlert {
  const who = `${detached.target.type} ${detached.target.name}`;
  const subject = toSnsSubject(
    `[HIGH] Fence policy detached from ${who}, not re-contained - account ${detached.accountId}`,
  );
  const steps = [
    `Find out who detached ${detached.policyArn} from ${who} in account ${detached.accountId} and why: only a release should.`,
    `The responder cannot act in that account (${why}): attach the policy again by hand if the principal is still compromised.`,
    "Nothing was changed by the responder.",
  ];
  const facts = [
    `Call:      ${detached.signal}`,
    `Principal: ${who}`,
    `Policy:    ${detached.policyArn}`,
    `Account:   ${detached.accountId}`,
    `Region:    ${detached.region}`,
    `Observed:  ${detached.observedAt}`,
    ...Object.entries(detached.evidence)
      .filter(([k]) => k !== "policyArn")
      .map(([k, v]) => `${k}: ${v}`),
  ];
  const text = [
    subject,
    "",
    "WHAT HAPPENED",
    ...bullets(facts),
    "",
    ...todoSection(steps),
    "",
    "-- leaked-key-responder",
  ].join("\n");
  const threadId = `tamper-watch:${detached.accountId}:${detached.target.type}/${detached.target.name}`;
  const chat = renderIncidentChat({
    incidentId: threadId,
    id: `${threadId}:${detached.eventId}`,
    subject,
    emoji: ":rotating_light:",
    description: [
      `*${detached.signal}* of \`${detached.policyArn}\` from ${who}`,
      `Account \`${detached.accountId}\` · ${detached.region} · nothing changed (${why})`,
    ],
    nextSteps: steps,
    keywords: ["HIGH", detached.accountId, "tamper-watch"],
    eventType: "LeakedKeyResponderFenceDetached",
    relatedResources: [who],
    additionalContext: { eventId: detached.eventId },
  });
  const machine = JSON.stringify({
    type: "leaked-key-responder.fence-detached",
    version: 1,
    severity: "high",
    accountId: detached.accountId,
    region: detached.region,
    principal: detached.target,
    signal: detached.signal,
    policyArn: detached.policyArn,
    eventId: detached.eventId,
    observedAt: detached.observedAt,
    reason: why,
    humanSteps: steps,
  });
  return { subject, text, chat, machine };
}
