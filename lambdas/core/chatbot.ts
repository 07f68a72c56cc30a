/**
 * AWS Chatbot (Amazon Q Developer in chat applications) custom notification: the one JSON shape
 * every alert of the responder sends to Slack and Microsoft Teams. `threadId` is the incident id,
 * so the first alert, its investigation follow-up and a release land in one thread.
 */
export interface ChatNotification {
  readonly id: string;
  readonly title: string;
  /** Slack/Teams markdown (`client-markdown`). */
  readonly description: string;
  readonly nextSteps: readonly string[];
  readonly keywords: readonly string[];
  readonly threadId: string;
  readonly summary: string;
  readonly eventType: string;
  readonly relatedResources: readonly string[];
  readonly additionalContext: Readonly<Record<string, string>>;
}

export function renderChatNotification(n: ChatNotification): string {
  return JSON.stringify({
    version: "1.0",
    source: "custom",
    id: n.id.slice(0, 256),
    content: {
      textType: "client-markdown",
      title: n.title,
      description: n.description,
      nextSteps: n.nextSteps,
      keywords: n.keywords,
    },
    metadata: {
      threadId: n.threadId,
      summary: n.summary,
      eventType: n.eventType,
      relatedResources: n.relatedResources,
      additionalContext: n.additionalContext,
    },
  });
}

/** A bold label over a bulleted list; `whenEmpty` (or nothing) when there are no lines. */
export function chatList(label: string, lines: readonly string[], whenEmpty = ""): string {
  if (lines.length === 0) return whenEmpty;
  return `*${label}:*\n${lines.map((l) => `• ${l}`).join("\n")}`;
}
