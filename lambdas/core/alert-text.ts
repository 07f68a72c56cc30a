import { type ChatNotification, renderChatNotification } from "./chatbot.js";

/**
 * The parts every alert of the responder shares (the containment alert, the investigation
 * follow-up, the release): an SNS-safe subject, the email's bulleted and numbered sections, and
 * the AWS Chatbot notification threaded by incident.
 */

/** SNS subjects must be ASCII, without line breaks, under 100 characters. */
export function toSnsSubject(text: string): string {
  const ascii = text
    .replace(/[\u2012-\u2015]/g, "-")
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "")
    .trim();
  return ascii.length <= 99 ? ascii : `${ascii.slice(0, 96)}...`;
}

/** `  - line` for each line; `whenEmpty` as the one bullet when there are none. */
export function bullets(lines: readonly string[], whenEmpty?: string): string[] {
  const shown = lines.length > 0 ? lines : whenEmpty === undefined ? [] : [whenEmpty];
  return shown.map((line) => `  - ${line}`);
}

/** A titled bulleted section with a blank line before it; nothing when there are no lines. */
export function section(title: string, lines: readonly string[]): string[] {
  return lines.length > 0 ? ["", title, ...bullets(lines)] : [];
}

/** `WHAT YOU MUST STILL DO` and its numbered steps. */
export function todoSection(steps: readonly string[]): string[] {
  return ["WHAT YOU MUST STILL DO", ...steps.map((line, i) => `  ${i + 1}. ${line}`)];
}

/** A chat notification in the incident's thread: the subject is its summary, an emoji leads its title. */
export function renderIncidentChat(
  input: Omit<ChatNotification, "title" | "summary" | "threadId" | "description"> & {
    readonly incidentId: string;
    readonly subject: string;
    readonly emoji: string;
    /** Lines of Slack/Teams markdown; empty ones are dropped. */
    readonly description: readonly string[];
  },
): string {
  const { incidentId, subject, emoji, description, ...rest } = input;
  return renderChatNotification({
    ...rest,
    title: `${emoji} ${subject}`,
    description: description.filter((line) => line !== "").join("\n"),
    threadId: incidentId,
    summary: subject,
  });
}
