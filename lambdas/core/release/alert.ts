import { maskAccessKeyId } from "../access-key.js";
import { bullets, renderIncidentChat, section, todoSection, toSnsSubject } from "../alert-text.js";
import { chatList } from "../chatbot.js";
import { consoleSection, keyConsoleLinks } from "../console-links.js";
import { CLI_INVOCATION } from "../contract.js";
import type { ActionRecord, Incident, IncidentStatus } from "../incident.js";
import type { RenderedAlert } from "../ports.js";
import { principalLabelOf } from "../vocabulary.js";
import { describeConflict, type ReleasePlan, type ReleaseVerdict } from "./plan.js";

export interface ReleaseAlertInput {
  readonly incident: Incident;
  readonly plan: ReleasePlan;
  readonly records: readonly ActionRecord[];
  readonly verdict: ReleaseVerdict;
  readonly request: { readonly by: string; readonly reason: string };
  /** The incident's status after the release. */
  readonly status: IncidentStatus;
  readonly at: string;
  readonly stackName: string;
}

function outcomeLabel(record: ActionRecord): string {
  switch (record.outcome) {
    case "done":
      return "done";
    case "already":
      return "already so";
    case "not-found":
      return "NOT FOUND (deleted meanwhile?)";
    default:
      return `FAILED${record.detail ? `: ${record.detail}` : ""}`;
  }
}

function tag(input: ReleaseAlertInput): string {
  if (!input.verdict.complete) return "[RELEASE INCOMPLETE]";
  return input.verdict.conflicts.length > 0 ? "[RELEASED WITH CONFLICTS]" : "[RELEASED]";
}

/** The alert a release sends on the topic: email text, AWS Chatbot JSON, and JSON for machines. */
export function renderReleaseAlert(input: ReleaseAlertInput): RenderedAlert {
  const { incident, records, verdict, request } = input;
  const who = `${principalLabelOf(incident.principal)}, account ${incident.accountId}`;
  const key = maskAccessKeyId(incident.accessKeyId);
  const reactivated = records.some((r) => r.kind === "reactivate-key" && r.outcome === "done");
  const what = reactivated ? `key ${key} reactivated` : `incident for key ${key} released`;
  const subject = toSnsSubject(`${tag(input)} ${what} - ${who}`);
  const undone = records.map((r) => `${r.at}  ${r.kind} ${r.target}: ${outcomeLabel(r)}`);
  const kept = input.plan.kept.map((k) => `${k.action.kind} ${k.action.target}: ${k.reason}`);
  const conflicts = verdict.conflicts.map(describeConflict);
  const todo: string[] = [];
  if (!verdict.complete) {
    todo.push(
      "Some steps failed (see above): fix the cause (permissions, throttling) and run the release again; every step is safe to repeat.",
      `${CLI_INVOCATION} release ${incident.incidentId} --reason "${request.reason.replace(/"/g, "'")}" --stack ${input.stackName}`,
    );
  }
  if (conflicts.length > 0) {
    todo.push(
      "Check who deleted what the release could not give back, and give the owner a new key if needed.",
    );
  }
  if (todo.length === 0) todo.push("Nothing: the responder holds nothing of this incident any more.");
  // Where to check the key now: its user's or role's page, its CloudTrail event history (us-east-1,
  // and the first signal's region).
  const links = keyConsoleLinks(
    incident.principal,
    incident.accessKeyId,
    incident.signals[0]?.region ?? "us-east-1",
  );

  const text = [
    subject,
    "",
    "RELEASE",
    `  Incident:    ${incident.incidentId}`,
    `  Status:      ${input.status}`,
    `  Released by: ${request.by}`,
    `  Reason:      ${request.reason}`,
    `  At:          ${input.at}`,
    `  Principal:   ${principalLabelOf(incident.principal)}`,
    `  Access key:  ${incident.accessKeyId}`,
    "",
    "WHAT WAS UNDONE",
    ...bullets(undone, "Nothing: the responder had changed nothing in IAM."),
    ...section("LEFT AS IT WAS", kept),
    ...section("CONFLICTS", conflicts),
    ...consoleSection(incident.accountId, links),
    "",
    ...todoSection(todo),
    "",
    "-- leaked-key-responder (lkr release)",
  ].join("\n");

  const chat = renderIncidentChat({
    incidentId: incident.incidentId,
    id: `${incident.incidentId}:release:${input.at}`,
    subject,
    emoji: verdict.complete && conflicts.length === 0 ? ":unlock:" : ":warning:",
    description: [
      `Released by \`${request.by}\`: ${request.reason}`,
      chatList("Undone", undone, "*Undone:* nothing in IAM"),
      chatList("Left as it was", kept),
      chatList("Conflicts", conflicts),
    ],
    nextSteps: todo,
    keywords: ["RELEASE", incident.accountId, input.status],
    eventType: "LeakedKeyIncidentReleased",
    relatedResources: [incident.accessKeyId],
    additionalContext: { incidentId: incident.incidentId, status: input.status },
  });

  const machine = JSON.stringify({
    type: "leaked-key-responder.incident-released",
    version: 1,
    incidentId: incident.incidentId,
    status: input.status,
    complete: verdict.complete,
    accountId: incident.accountId,
    accessKeyId: incident.accessKeyId,
    principal: incident.principal,
    by: request.by,
    reason: request.reason,
    at: input.at,
    undone: records,
    kept: input.plan.kept.map((k) => ({ kind: k.action.kind, target: k.action.target, reason: k.reason })),
    conflicts: verdict.conflicts.map((r) => ({ kind: r.kind, target: r.target, detail: r.detail })),
    failures: verdict.failures.map((r) => ({ kind: r.kind, target: r.target, detail: r.detail })),
    consoleLinks: links,
  });

  return { subject, text, chat, machine };
}
