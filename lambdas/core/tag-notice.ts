import { bullets, renderIncidentChat, todoSection, toSnsSubject } from "./alert-text.js";
import { EXEMPT_TAG } from "./plan.js";
import type { RenderedAlert } from "./ports.js";
import type { TagNotice } from "./sources/iam-watch.js";

/**
 * The alert for a responder tag (`leaked-key-responder:*`) set or removed by anyone but the
 * responder: nothing is changed, but the exempt tag, a drill or quarantine mark set by hand is how
 * a leaked key would try to shield itself or confuse a release.
 */
export function renderTagNotice(notice: TagNotice, honorExemptTag: boolean): RenderedAlert {
  const who = `${notice.target.type} ${notice.target.name}`;
  const verb = notice.signal.startsWith("Untag") ? "removed from" : "set on";
  const subject = toSnsSubject(
    `[HIGH] Responder tag ${verb} ${who} by another caller - account ${notice.accountId}`,
  );
  const exempt = notice.tagKeys.some((k) => k.toLowerCase() === EXEMPT_TAG);
  const steps = [
    `Find out why ${notice.actor} changed ${notice.tagKeys.join(", ")} on ${who}: only the responder sets these tags. The caller may hold a leaked key.`,
    ...(exempt
      ? [
          honorExemptTag
            ? `The exempt tag is honoured here (HONOR_EXEMPT_TAG=true): ${who} is no longer contained by the responder while it carries it. Protect the tag with the SCP in the README.`
            : "The exempt tag is not honoured here (HONOR_EXEMPT_TAG=false): it changes nothing, but whoever set it expected it to.",
        ]
      : []),
    "Nothing was changed by the responder.",
  ];
  const facts = [
    `Call:      ${notice.signal}`,
    `Principal: ${who}`,
    `Tag keys:  ${notice.tagKeys.join(", ")}`,
    `Caller:    ${notice.actor}`,
    `Account:   ${notice.accountId}`,
    `Region:    ${notice.region}`,
    `Observed:  ${notice.observedAt}`,
    ...Object.entries(notice.evidence)
      .filter(([k]) => k !== "actor")
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
  const threadId = `tag-watch:${notice.accountId}:${notice.target.type}/${notice.target.name}`;
  const chat = renderIncidentChat({
    incidentId: threadId,
    id: `${threadId}:${notice.eventId}`,
    subject,
    emoji: ":rotating_light:",
    description: [
      `*${notice.signal}* of \`${notice.tagKeys.join("`, `")}\` on ${who} by \`${notice.actor}\``,
      `Account \`${notice.accountId}\` · ${notice.region} · nothing changed`,
    ],
    nextSteps: steps,
    keywords: ["HIGH", notice.accountId, "tag-watch"],
    eventType: "LeakedKeyResponderTagChange",
    relatedResources: [who],
    additionalContext: { eventId: notice.eventId },
  });
  const machine = JSON.stringify({
    type: "leaked-key-responder.tag-notice",
    version: 1,
    severity: "high",
    accountId: notice.accountId,
    region: notice.region,
    principal: notice.target,
    signal: notice.signal,
    tagKeys: notice.tagKeys,
    actor: notice.actor,
    eventId: notice.eventId,
    observedAt: notice.observedAt,
    humanSteps: steps,
  });
  return { subject, text, chat, machine };
}
