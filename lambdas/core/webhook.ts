import type { ConsoleLink } from "./console-links.js";

/**
 * Alerts for teams without AWS Chatbot: what the alert topic carries (the documented incident
 * JSON of the responder's alerts, or a CloudWatch alarm's JSON), as a Slack incoming-webhook
 * message (Block Kit) or a Microsoft Teams incoming-webhook message (an Adaptive Card attachment).
 */

export const WEBHOOK_FORMATS = ["slack", "teams"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** One SNS notification as the forwarder receives it. */
export interface TopicMessage {
  readonly subject: string | undefined;
  readonly message: string;
}

/** What a chat message shows, whatever the app: a title, facts, lines of text, links. */
export interface WebhookAlert {
  readonly title: string;
  readonly facts: readonly (readonly [string, string])[];
  readonly lines: readonly string[];
  readonly links: readonly ConsoleLink[];
}

/** Slack limits: header text 150 characters, 10 fields per section, button text 75, section text 3000. */
const SLACK_HEADER_MAX = 150;
const SLACK_FIELDS_MAX = 10;
const SLACK_BUTTON_MAX = 75;
const SLACK_TEXT_MAX = 3000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack reads `&`, `<` and `>` in mrkdwn as markup (`<!channel>` would notify everyone): escaped. */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function linksOf(value: unknown): ConsoleLink[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    const link = record(v);
    return typeof link?.label === "string" && typeof link.url === "string"
      ? [{ label: link.label, url: link.url }]
      : [];
  });
}

/**
 * The chat-neutral alert of one topic message: the responder's own JSON (`type`
 * `leaked-key-responder.*`) by its fields, a CloudWatch alarm by its name, state and reason, and
 * anything else as its subject and text, so nothing published to the topic is lost.
 */
export function webhookAlertOf(input: TopicMessage): WebhookAlert {
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = record(JSON.parse(input.message));
  } catch {
    parsed = undefined;
  }
  const title = input.subject?.trim() || undefined;
  if (typeof parsed?.type === "string" && parsed.type.startsWith("leaked-key-responder.")) {
    const fact = (label: string, key: string): (readonly [string, string])[] =>
      typeof parsed[key] === "string" || typeof parsed[key] === "number"
        ? [[label, String(parsed[key])]]
        : [];
    const release = typeof parsed.releaseCommand === "string" ? parsed.releaseCommand : undefined;
    return {
      title: title ?? parsed.type,
      facts: [
        ...fact("Incident", "incidentId"),
        ...fact("Severity", "severity"),
        ...fact("Decision", "decision"),
        ...fact("Status", "status"),
        ...fact("Account", "accountId"),
        ...fact("Region", "region"),
        ...fact("Access key", "accessKeyId"),
        ...fact("Signal", "signal"),
      ],
      lines: [
        ...strings(parsed.humanSteps).map((step, i) => `${i + 1}. ${step}`),
        ...(release ? [`False alarm? ${release}`] : []),
      ],
      links: linksOf(parsed.consoleLinks),
    };
  }
  if (typeof parsed?.AlarmName === "string" && typeof parsed.NewStateValue === "string") {
    return {
      title: title ?? `${parsed.NewStateValue}: ${parsed.AlarmName}`,
      facts: [
        ["Alarm", parsed.AlarmName],
        ["State", parsed.NewStateValue],
        ...(typeof parsed.AWSAccountId === "string" ? [["Account", parsed.AWSAccountId] as const] : []),
        ...(typeof parsed.Region === "string" ? [["Region", parsed.Region] as const] : []),
      ],
      lines: [
        ...(typeof parsed.AlarmDescription === "string" ? [parsed.AlarmDescription] : []),
        ...(typeof parsed.NewStateReason === "string" ? [parsed.NewStateReason] : []),
      ],
      links: [],
    };
  }
  return { title: title ?? "leaked-key-responder alert", facts: [], lines: [input.message], links: [] };
}

/** A Slack incoming-webhook message: `text` (the notification's fallback) and Block Kit blocks. */
export function slackMessageOf(alert: WebhookAlert): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: clip(alert.title, SLACK_HEADER_MAX) } },
  ];
  for (let i = 0; i < alert.facts.length; i += SLACK_FIELDS_MAX) {
    blocks.push({
      type: "section",
      fields: alert.facts
        .slice(i, i + SLACK_FIELDS_MAX)
        .map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${slackEscape(value)}` })),
    });
  }
  if (alert.lines.length > 0) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: clip(slackEscape(alert.lines.join("\n")), SLACK_TEXT_MAX) },
    });
  }
  if (alert.links.length > 0) {
    blocks.push({
      type: "actions",
      elements: alert.links.slice(0, 25).map((link) => ({
        type: "button",
        text: { type: "plain_text", text: clip(link.label, SLACK_BUTTON_MAX) },
        url: link.url,
      })),
    });
  }
  return { text: alert.title, blocks };
}

/** A Microsoft Teams incoming-webhook message: one Adaptive Card (schema 1.4) attachment. */
export function teamsMessageOf(alert: WebhookAlert): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", text: alert.title, weight: "Bolder", size: "Medium", wrap: true },
  ];
  if (alert.facts.length > 0) {
    body.push({ type: "FactSet", facts: alert.facts.map(([title, value]) => ({ title, value })) });
  }
  for (const line of alert.lines) body.push({ type: "TextBlock", text: line, wrap: true });
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          ...(alert.links.length > 0
            ? {
                actions: alert.links.map((link) => ({
                  type: "Action.OpenUrl",
                  title: link.label,
                  url: link.url,
                })),
              }
            : {}),
        },
      },
    ],
  };
}

/** The request body for the webhook of `format`. */
export function webhookPayloadOf(format: WebhookFormat, input: TopicMessage): Record<string, unknown> {
  const alert = webhookAlertOf(input);
  return format === "slack" ? slackMessageOf(alert) : teamsMessageOf(alert);
}

/** The webhook URL held in the secret: the secret string itself, an https URL. */
export function webhookUrlOf(secretString: string | undefined): string {
  const value = secretString?.trim() ?? "";
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new Error(
      "the webhook secret does not hold a URL (store the incoming-webhook URL as the secret string)",
      {
        cause: error,
      },
    );
  }
  if (url.protocol !== "https:")
    throw new Error(`the webhook secret holds a ${url.protocol} URL; expected https`);
  return url.toString();
}

/** The webhook answered with a status other than 2xx (or not at all): Lambda retries, then the DLQ. */
export class WebhookDeliveryError extends Error {
  override readonly name = "WebhookDeliveryError";
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
