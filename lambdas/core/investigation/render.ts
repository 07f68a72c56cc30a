import { maskAccessKeyId } from "../access-key.js";
import { renderIncidentChat, toSnsSubject } from "../alert-text.js";
import { type ConsoleLink, consoleSection, keyConsoleLinks } from "../console-links.js";
import type { RenderedAlert } from "../ports.js";
import { principalLabelOf } from "../vocabulary.js";
import type { ContainedDetail } from "./contained-event.js";
import { RISK_CATEGORIES, RISK_LABEL, type RiskCategory } from "./high-risk.js";
import type { ActivitySummary, FlaggedCalls, SessionKey } from "./summary.js";
import type { TopList } from "./top-counter.js";

export interface InvestigationAlertInput {
  readonly detail: ContainedDetail;
  readonly summary: ActivitySummary;
  readonly fingerprint: string;
}

/** Chat clients cut long messages; keep the description well inside Slack's 3,000-character blocks. */
const MAX_CHAT_DESCRIPTION = 2800;
const SHOWN_RESOURCES = 5;
const SHOWN_SESSION_KEYS = 10;
/** SNS subjects: under 100 characters. */
const MAX_SUBJECT = 99;

/** 12345 → "12,345" (no locale: the same text everywhere). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** "2024-08-01T11:30:23.000Z" → "2024-08-01 11:30:23Z". */
function when(iso: string): string {
  return iso === "" ? "unknown time" : iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function principalLabel(detail: ContainedDetail): string {
  return principalLabelOf(detail.principal);
}

function roleNameOf(roleArn: string | undefined): string | undefined {
  return roleArn?.split(":role/")[1];
}

function flaggedByCategory(summary: ActivitySummary): [RiskCategory, FlaggedCalls[]][] {
  return RISK_CATEGORIES.map((c): [RiskCategory, FlaggedCalls[]] => [
    c,
    summary.flagged.filter((f) => f.category === c),
  ]).filter(([, calls]) => calls.length > 0);
}

function describeFlagged(f: FlaggedCalls): string {
  const regions =
    f.regions.length === 1 ? `in ${f.regions[0]?.value}` : `in ${plural(f.regions.length, "region")}`;
  const failed =
    f.errors > 0 ? (f.errors === f.count ? ", all failed" : `, ${formatCount(f.errors)} failed`) : "";
  const span = f.firstAt === f.lastAt ? `at ${when(f.firstAt)}` : `${when(f.firstAt)} to ${when(f.lastAt)}`;
  const shown = f.resources.slice(0, SHOWN_RESOURCES);
  const more = f.resources.length - shown.length + f.moreResources;
  const touched =
    shown.length > 0 ? `: ${shown.join(", ")}${more > 0 ? ` (+${formatCount(more)} more)` : ""}` : "";
  return `${f.eventName} x${formatCount(f.count)} ${regions}${failed}, ${span}${touched}`;
}

function describeSessionKey(k: SessionKey): string {
  const what = k.roleArn ? `role ${k.roleArn}` : (k.sessionArn ?? "session");
  const used = k.followed ? `${plural(k.calls, "call")} with it` : "not looked up";
  return `${k.accessKeyId} via ${k.via} at ${when(k.at)} in ${k.region} (${what}): ${used}`;
}

/** Right-aligned counts, then the value: reads like `sort | uniq -c`. */
function table(list: TopList, indent = "  "): string[] {
  if (list.top.length === 0) return [`${indent}(none)`];
  const width = Math.max(
    ...list.top.map((e) => formatCount(e.count).length),
    formatCount(list.others).length,
  );
  const lines = list.top.map((e) => `${indent}${formatCount(e.count).padStart(width)}  ${e.value}`);
  const hidden = list.distinct - list.top.length;
  if (list.others > 0 && hidden > 0) {
    lines.push(`${indent}${formatCount(list.others).padStart(width)}  (${plural(hidden, "other value")})`);
  }
  if (list.approximate) lines.push(`${indent}(counts are approximate: too many distinct values to keep all)`);
  return lines;
}

function inline(list: TopList, max = 5): string {
  const shown = list.top.slice(0, max).map((e) => `${e.value} ${formatCount(e.count)}`);
  const hidden = list.distinct - Math.min(max, list.top.length);
  return `${shown.join(" · ")}${hidden > 0 ? ` · +${formatCount(hidden)} more` : ""}`;
}

function incompleteSearches(summary: ActivitySummary): string[] {
  return summary.searches
    .filter((s) => s.status !== "complete")
    .map((s) =>
      s.status === "stopped"
        ? `${s.region} / ${s.accessKeyId}: stopped (time budget) after ${plural(s.pages, "page")}`
        : `${s.region} / ${s.accessKeyId}: ${s.error ?? "failed"}`,
    );
}

/** Order of the high-risk names in the subject: the most alarming first. */
const SUBJECT_ORDER: readonly RiskCategory[] = ["defence-evasion", "identity", "compute", "data"];

/**
 * Key and account first; then the volume and as many whole high-risk names as fit in an SNS
 * subject (under 100 characters), dropping the region count before dropping names.
 */
function headline(input: InvestigationAlertInput): string {
  const { detail, summary } = input;
  const tag = summary.complete ? "[INVESTIGATION]" : "[INVESTIGATION, INCOMPLETE]";
  const who = `${tag} ${maskAccessKeyId(detail.accessKeyId)} (account ${detail.accountId})`;
  if (summary.totalCalls === 0) return `${who}: no CloudTrail activity found`;
  const regions = summary.byRegion.distinct;
  const calls = plural(summary.totalCalls, "call");
  const withRegions = regions > 1 ? `${calls} in ${formatCount(regions)} regions` : calls;
  const names = [...summary.flagged]
    .sort(
      (a, b) => SUBJECT_ORDER.indexOf(a.category) - SUBJECT_ORDER.indexOf(b.category) || b.count - a.count,
    )
    .map((f) => f.eventName);
  if (names.length === 0) return `${who}: ${withRegions}, none high-risk`;
  for (const volume of [withRegions, calls]) {
    let best: string | undefined;
    for (let n = 1; n <= names.length; n += 1) {
      const rest = names.length - n;
      const candidate = `${who}: ${volume}, high-risk: ${names.slice(0, n).join(", ")}${rest > 0 ? ` +${rest}` : ""}`;
      if (candidate.length > MAX_SUBJECT) break;
      best = candidate;
    }
    if (best !== undefined) return best;
  }
  return `${who}: ${calls}, ${plural(names.length, "high-risk call type")}`;
}

function lookupCommand(summary: ActivitySummary, region: string, key: string): string {
  return `aws cloudtrail lookup-events --region ${region} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=${key} --start-time ${summary.window.start} --end-time ${summary.window.end}`;
}

/** What a human must do about what was found, most urgent first. */
export function investigationNextSteps(summary: ActivitySummary): string[] {
  const steps: string[] = [];
  const categories = new Set(summary.flagged.map((f) => f.category));
  const resourcesOf = (eventName: string) =>
    summary.flagged.find((f) => f.eventName === eventName)?.resources ?? [];

  if (categories.has("defence-evasion")) {
    steps.push(
      "Turn logging back on first (aws cloudtrail start-logging; recreate deleted trails; re-enable GuardDuty and Security Hub): anything done after it went off may be missing here.",
    );
  }
  const newKeys = resourcesOf("CreateAccessKey")
    .filter((r) => r.startsWith("new access key "))
    .map((r) => r.slice("new access key ".length));
  if (newKeys.length > 0) {
    steps.push(
      `Deactivate the access keys the attacker created, now: ${newKeys.join(", ")} (aws iam update-access-key --status Inactive --access-key-id <id> --user-name <user>).`,
    );
  }
  if (categories.has("identity")) {
    steps.push(
      "Undo the persistence listed under HIGH-RISK CALLS: delete the users, login profiles and roles created, and detach or delete the policies attached or put.",
    );
  }
  const roles = [
    ...new Set(
      summary.sessionKeys
        .filter((k) => k.via === "AssumeRole")
        .map((k) => roleNameOf(k.roleArn) ?? k.roleArn)
        .filter((r): r is string => r !== undefined),
    ),
  ];
  if (roles.length > 0) {
    steps.push(
      `Revoke the active sessions of role ${roles.join(", ")} (IAM console, role, "Revoke active sessions"): role sessions obtained with the key keep working after the key is disabled.`,
    );
  }
  if (summary.sessionKeys.some((k) => k.via !== "AssumeRole")) {
    steps.push(
      "Session keys from GetSessionToken / GetFederationToken act as the user: check that the containment alert shows the user's older sessions revoked.",
    );
  }
  if (categories.has("compute")) {
    steps.push(
      "Terminate what the key launched (instances, functions) in every region listed, and check billing for crypto-mining.",
    );
  }
  if (categories.has("data")) {
    steps.push(
      "Treat every secret, parameter and object listed as read by the attacker: rotate those secrets and whatever credentials they hold.",
    );
  }
  const incomplete = incompleteSearches(summary);
  if (incomplete.length > 0) {
    const first = summary.searches.find((s) => s.status !== "complete");
    steps.push(
      `Finish the search by hand where it did not complete (${incomplete.length} of ${summary.searches.length} searches)${
        first ? `, e.g. ${lookupCommand(summary, first.region, first.accessKeyId)}` : ""
      }.`,
    );
  }
  if (summary.totalCalls === 0 && incomplete.length === 0) {
    steps.push(
      "Nothing more from this investigation: CloudTrail shows no use of the key in the searched window and regions. Still follow the containment alert's steps.",
    );
  } else if (summary.totalCalls > 0) {
    const region = summary.byRegion.top[0]?.value ?? summary.regions[0] ?? "us-east-1";
    steps.push(`Full detail: ${lookupCommand(summary, region, summary.accessKeyId)}`);
  }
  return steps;
}

const NOTES = [
  "CloudTrail event history holds management events only: S3 GetObject and other data events show up only in a trail that records data events.",
  "Calls can take up to 15 minutes to reach CloudTrail: a new follow-up is sent if a later run finds more.",
];

/** The key's IAM page and its CloudTrail event history (us-east-1 and the signal's region). */
function linksOf(detail: InvestigationAlertInput["detail"]): ConsoleLink[] {
  return keyConsoleLinks(detail.principal, detail.accessKeyId, detail.region);
}

function textBody(input: InvestigationAlertInput, subject: string, steps: readonly string[]): string {
  const { detail, summary } = input;
  const lines: string[] = [
    subject,
    "",
    `Follow-up to incident ${detail.incidentId} (containment alert for ${detail.signal}, ${detail.severity.toUpperCase()}).`,
    "",
    "WHERE THE RESPONDER LOOKED",
    `  Access key:  ${detail.accessKeyId} (${principalLabel(detail)}), account ${detail.accountId}`,
    `  Contained:   ${when(detail.containedAt)}`,
    `  Window:      ${when(summary.window.start)} to ${when(summary.window.end)} (${basisLabel(summary.window.basis)})`,
    `  Regions:     ${summary.regions.join(", ")}`,
    `  Searches:    ${plural(summary.searches.length, "search", "searches")}, ${summary.complete ? "all complete" : `${incompleteSearches(summary).length} incomplete`}`,
    ...consoleSection(detail.accountId, linksOf(detail)),
    "",
  ];
  if (summary.totalCalls === 0) {
    lines.push(
      "WHAT THE KEY DID",
      summary.complete
        ? `  Nothing found: CloudTrail event history has no call signed with this key in ${summary.regions.join(", ")} in this window.`
        : "  Nothing found in the searches that completed (see INCOMPLETE below).",
      "",
    );
  } else {
    const keys = summary.byAccessKey.distinct;
    lines.push(
      "WHAT THE KEY DID",
      `  API calls:   ${formatCount(summary.totalCalls)} (${formatCount(summary.succeeded)} succeeded, ${formatCount(summary.failed)} failed)${
        keys > 1
          ? `, ${formatCount(summary.totalCalls - (callsOf(summary, detail.accessKeyId) ?? 0))} of them with ${plural(keys - 1, "session key")} it minted`
          : ""
      }`,
    );
    if (summary.firstCall) {
      const f = summary.firstCall;
      lines.push(`  First use:   ${when(f.at)}  ${f.eventName} in ${f.region} from ${f.sourceIp}`);
    }
    if (summary.lastCall) {
      const l = summary.lastCall;
      lines.push(`  Last use:    ${when(l.at)}  ${l.eventName} in ${l.region} from ${l.sourceIp}`);
    }
    if (summary.unparsedRecords > 0) {
      lines.push(
        `  (${plural(summary.unparsedRecords, "record")} had no readable CloudTrailEvent; counted by name only)`,
      );
    }
    lines.push("");
    const groups = flaggedByCategory(summary);
    lines.push(`HIGH-RISK CALLS${groups.length === 0 ? ": none" : ""}`);
    for (const [category, calls] of groups) {
      lines.push(`  ${RISK_LABEL[category]}`);
      for (const f of calls) lines.push(`    - ${describeFlagged(f)}`);
    }
    lines.push("");
    if (summary.sessionKeys.length > 0) {
      lines.push("SESSION KEYS MINTED WITH THE KEY");
      for (const k of summary.sessionKeys.slice(0, SHOWN_SESSION_KEYS))
        lines.push(`  - ${describeSessionKey(k)}`);
      const hidden = summary.sessionKeys.length - SHOWN_SESSION_KEYS;
      if (hidden > 0) lines.push(`  - ... and ${plural(hidden, "more")}`);
      if (summary.sessionKeysNotFollowed > 0)
        lines.push(`  (${plural(summary.sessionKeysNotFollowed, "session key")} not looked up)`);
      lines.push("");
    }
    lines.push(
      `CALLS BY NAME (${plural(summary.byEventName.distinct, "distinct name")})`,
      ...table(summary.byEventName),
      "",
      "CALLS BY REGION",
      ...table(summary.byRegion),
      "",
      `SOURCE IPS (${formatCount(summary.bySourceIp.distinct)})`,
      ...table(summary.bySourceIp),
      "",
      `USER AGENTS (${formatCount(summary.byUserAgent.distinct)})`,
      ...table(summary.byUserAgent),
      "",
    );
    if (summary.failed > 0) lines.push("ERRORS", ...table(summary.byErrorCode), "");
  }
  const incomplete = incompleteSearches(summary);
  if (incomplete.length > 0) lines.push("INCOMPLETE", ...incomplete.map((l) => `  - ${l}`), "");
  lines.push("WHAT YOU SHOULD DO NOW", ...steps.map((s, i) => `  ${i + 1}. ${s}`), "");
  lines.push("NOTES", ...NOTES.map((n) => `  - ${n}`), "", "-- leaked-key-responder");
  return lines.join("\n");
}

function callsOf(summary: ActivitySummary, key: string): number | undefined {
  return summary.byAccessKey.top.find((e) => e.value === key)?.count;
}

function basisLabel(basis: string): string {
  switch (basis) {
    case "key-last-used":
      return "from the key's last use";
    case "max-lookback":
      return "as far back as CloudTrail keeps";
    default:
      return "from the look-back before detection";
  }
}

function chatDescription(input: InvestigationAlertInput): string {
  const { detail, summary } = input;
  const parts: string[] = [
    `*Key \`${detail.accessKeyId}\`* (${principalLabel(detail)}) · Account \`${detail.accountId}\``,
    `Searched ${summary.regions.join(", ")} from ${when(summary.window.start)} to ${when(summary.window.end)}`,
  ];
  if (summary.totalCalls === 0) {
    parts.push(
      summary.complete
        ? "*No API calls found* with this key."
        : "*No API calls found* in the searches that completed.",
    );
  } else {
    parts.push(
      `*${plural(summary.totalCalls, "call")}* (${formatCount(summary.failed)} failed) · first ${when(summary.firstCall?.at ?? "")} · last ${when(summary.lastCall?.at ?? "")}`,
    );
    const groups = flaggedByCategory(summary);
    if (groups.length > 0) {
      parts.push("*High-risk calls:*");
      for (const [category, calls] of groups) {
        parts.push(`• ${RISK_LABEL[category]}: ${calls.map((f) => describeFlagged(f)).join("; ")}`);
      }
    } else {
      parts.push("*High-risk calls:* none");
    }
    if (summary.sessionKeys.length > 0) {
      parts.push(
        `*Session keys minted:* ${summary.sessionKeys
          .slice(0, 3)
          .map(
            (k) =>
              `\`${k.accessKeyId}\` via ${k.via}${k.roleArn ? ` (${roleNameOf(k.roleArn) ?? k.roleArn})` : ""}, ${plural(k.calls, "call")}`,
          )
          .join("; ")}${summary.sessionKeys.length > 3 ? `; +${summary.sessionKeys.length - 3} more` : ""}`,
      );
    }
    parts.push(`*Top calls:* ${inline(summary.byEventName)}`);
    parts.push(`*Regions:* ${inline(summary.byRegion)}`);
    parts.push(`*Source IPs:* ${inline(summary.bySourceIp)}`);
    parts.push(`*User agents:* ${inline(summary.byUserAgent, 3)}`);
    if (summary.failed > 0) parts.push(`*Errors:* ${inline(summary.byErrorCode, 3)}`);
  }
  if (!summary.complete) parts.push(`*Incomplete:* ${incompleteSearches(summary).slice(0, 3).join("; ")}`);
  const description = parts.join("\n");
  return description.length <= MAX_CHAT_DESCRIPTION
    ? description
    : `${description.slice(0, MAX_CHAT_DESCRIPTION - 40)}\n… (full summary in the email)`;
}

/** The follow-up alert: email text, AWS Chatbot custom notification, machine JSON. */
export function renderInvestigationAlert(input: InvestigationAlertInput): RenderedAlert {
  const { detail, summary, fingerprint } = input;
  const subject = toSnsSubject(headline(input));
  const steps = investigationNextSteps(summary);
  const categories = summary.flagged.map((f) => f.category);
  const chat = renderIncidentChat({
    incidentId: detail.incidentId,
    id: `${detail.incidentId}:investigation:${fingerprint}`,
    subject,
    emoji: summary.flagged.length > 0 ? ":rotating_light:" : ":mag:",
    description: [chatDescription(input)],
    nextSteps: steps,
    keywords: [
      "INVESTIGATION",
      detail.accountId,
      summary.totalCalls === 0 ? "no-activity" : "activity",
      ...new Set(categories),
      ...(summary.complete ? [] : ["incomplete"]),
    ],
    eventType: "LeakedKeyInvestigation",
    relatedResources: [detail.accessKeyId, ...summary.sessionKeys.slice(0, 9).map((k) => k.accessKeyId)],
    additionalContext: {
      incidentId: detail.incidentId,
      totalCalls: String(summary.totalCalls),
      highRiskCalls: String(summary.flagged.reduce((n, f) => n + f.count, 0)),
      complete: String(summary.complete),
    },
  });
  const machine = JSON.stringify({
    type: "leaked-key-responder.investigation",
    version: 1,
    incidentId: detail.incidentId,
    accountId: detail.accountId,
    accessKeyId: detail.accessKeyId,
    principal: detail.principal,
    signal: detail.signal,
    severity: detail.severity,
    containedAt: detail.containedAt,
    fingerprint,
    nextSteps: steps,
    consoleLinks: linksOf(detail),
    summary,
  });
  return { subject, text: textBody(input, subject, steps), chat, machine };
}
