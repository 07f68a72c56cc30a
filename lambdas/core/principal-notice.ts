import { bullets, renderIncidentChat, todoSection } from "./alert-text.js";
import type { RenderedAlert } from "./ports.js";
import type { PolicyDetached } from "./sources/iam-watch.js";

/** The watched IAM call a notice is about (a tag change, a fence detached): both carry these. */
export type WatchedCall = Pick<
  PolicyDetached,
  "accountId" | "region" | "target" | "signal" | "eventId" | "observedAt" | "evidence"
>;

/** What differs between the notices the watch sends when the responder changes nothing. */
export interface PrincipalNoticeParts {
  /** The watch that saw the call: the chat thread's prefix and a keyword. */
  readonly watch: "tag-watch" | "tamper-watch";
  /** The SNS subject, already fitted with toSnsSubject. */
  readonly subject: string;
  /** What people must do. */
  readonly steps: readonly string[];
  /** Facts shown between `Principal:` and `Account:`. */
  readonly facts: readonly string[];
  /** The evidence key already shown among the facts, left out of the evidence lines. */
  readonly evidenceShown: string;
  /** The chat description's first line; the second names account, region and that nothing changed. */
  readonly headline: string;
  /** Why nothing was changed, when the reason is not that nothing should be. @default none */
  readonly why?: string;
  /** The chat event type. */
  readonly eventType: string;
  /** The machine message's `type`. */
  readonly machineType: string;
  /** Machine fields after `signal`. */
  readonly machineFields: Readonly<Record<string, unknown>>;
  /** Machine fields after `observedAt`. @default none */
  readonly machineTrailer?: Readonly<Record<string, unknown>>;
}

/**
 * The alert for a watched call on a principal that the responder answers by changing nothing:
 * the facts, the steps for people, the chat card threaded per principal, the machine message.
 */
export function renderPrincipalNotice(call: WatchedCall, parts: PrincipalNoticeParts): RenderedAlert {
  const who = `${call.target.type} ${call.target.name}`;
  const { subject, steps } = parts;
  const facts = [
    `Call:      ${call.signal}`,
    `Principal: ${who}`,
    ...parts.facts,
    `Account:   ${call.accountId}`,
    `Region:    ${call.region}`,
    `Observed:  ${call.observedAt}`,
    ...Object.entries(call.evidence)
      .filter(([k]) => k !== parts.evidenceShown)
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
  const threadId = `${parts.watch}:${call.accountId}:${call.target.type}/${call.target.name}`;
  const chat = renderIncidentChat({
    incidentId: threadId,
    id: `${threadId}:${call.eventId}`,
    subject,
    emoji: ":rotating_light:",
    description: [
      parts.headline,
      `Account \`${call.accountId}\` · ${call.region} · nothing changed${parts.why === undefined ? "" : ` (${parts.why})`}`,
    ],
    nextSteps: steps,
    keywords: ["HIGH", call.accountId, parts.watch],
    eventType: parts.eventType,
    relatedResources: [who],
    additionalContext: { eventId: call.eventId },
  });
  const machine = JSON.stringify({
    type: parts.machineType,
    version: 1,
    severity: "high",
    accountId: call.accountId,
    region: call.region,
    principal: call.target,
    signal: call.signal,
    ...parts.machineFields,
    eventId: call.eventId,
    observedAt: call.observedAt,
    ...parts.machineTrailer,
    humanSteps: steps,
  });
  return { subject, text, chat, machine };
}
