import * as z from "zod/mini";
import { maskAccessKeyId } from "../lambdas/core/access-key.js";
import {
  type ActionRecord,
  CLOSE_KINDS,
  CONTAINMENT_KINDS,
  type Incident,
  UNDO_KINDS,
} from "../lambdas/core/incident.js";
import {
  actionsSinceLastClose,
  describeUndoStep,
  type ReleasePlan,
  type UndoStep,
} from "../lambdas/core/release/plan.js";
import { principalLabelOf } from "../lambdas/core/vocabulary.js";

/** `2026-11-28T12:00:00.123Z` → `2026-11-28 12:00:00Z`: readable, still sortable, still UTC. */
export function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** How a table is laid out for where it is printed. */
export interface TableOptions {
  /** Fit the table in this many columns (the terminal's width): the widest cells end in `…`. */
  readonly width?: number | undefined;
  /** Columns never shortened (an incident id must stay whole to be pasted into `lkr show`). */
  readonly keep?: readonly number[];
  /** Colours a laid-out cell (row -1 is the header); the text it gets is already padded or clipped. */
  readonly style?: (text: string, column: number, row: number) => string;
}

/** Column widths that fit `width`: the widest shortenable column loses a character at a time, down to its header's width. */
export function fitColumns(natural: readonly number[], minimum: readonly number[], width: number): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if ((widths[i] ?? 0) > (minimum[i] ?? 0) && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0)))
        widest = i;
    }
    if (widest < 0) break; // nothing left to shorten: wider than the terminal, but every cell still says something
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/** Columns padded to the widest cell (the last column is not padded), fitted to `options.width` when given. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const natural = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const widths =
    options.width === undefined
      ? natural
      : fitColumns(
          natural,
          natural.map((w, i) =>
            options.keep?.includes(i) ? w : Math.min(w, Math.max(headers[i]?.length ?? 0, 4)),
          ),
          options.width,
        );
  const style = options.style ?? ((text: string) => text);
  const line = (cells: readonly string[], row: number) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        const text = clip(cell, width);
        const padded = i === cells.length - 1 ? text : text.padEnd(width);
        return style(padded, i, row);
      })
      .join("  ")
      .trimEnd();
  return [line(headers, -1), ...rows.map((r, i) => line(r, i))].join("\n");
}

/** ANSI colours lkr uses, only where the Io allows colour. */
const ANSI = { bold: "1", red: "31", green: "32", yellow: "33", dim: "2" } as const;
export function paint(text: string, colour: keyof typeof ANSI, enabled: boolean | undefined): string {
  return enabled ? `\u001b[${ANSI[colour]}m${text}\u001b[0m` : text;
}

const RESPONDER_KINDS = new Set<string>(CONTAINMENT_KINDS);
const UNDONE_KINDS = new Set<string>(UNDO_KINDS);

/** `4 done`, `3 done, 1 failed`, `4 done, 4 undone`, `none`: what the responder did, at a glance. */
export function summarizeActions(actions: readonly ActionRecord[]): string {
  const counts = new Map<string, number>();
  const bump = (label: string) => counts.set(label, (counts.get(label) ?? 0) + 1);
  for (const a of actions) {
    if (RESPONDER_KINDS.has(a.kind)) bump(a.outcome);
    else if (UNDONE_KINDS.has(a.kind) && a.outcome === "done") bump("undone");
  }
  if (counts.size === 0) return "none";
  const order = ["done", "already", "not-found", "failed", "planned-only", "undone"];
  return order
    .filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k}`)
    .join(", ");
}

export function latestSignal(incident: Incident): string {
  const last = incident.signals.at(-1);
  if (!last) return "";
  const more = incident.signals.length > 1 ? ` (+${incident.signals.length - 1})` : "";
  return `${clip(last.signal, 48)}${more}`;
}

export const INCIDENT_COLUMNS = [
  "ID",
  "TIME",
  "ACCOUNT",
  "PRINCIPAL",
  "KEY",
  "SIGNAL",
  "SEVERITY",
  "STATUS",
  "ACTIONS",
] as const;

export function incidentRow(incident: Incident): string[] {
  return [
    incident.incidentId,
    shortTime(incident.createdAt),
    incident.accountId,
    clip(principalLabelOf(incident.principal), 40),
    maskAccessKeyId(incident.accessKeyId),
    latestSignal(incident),
    incident.severity,
    incident.status,
    summarizeActions(incident.actions),
  ];
}

const STATUS_COLOURS: Readonly<Record<string, keyof typeof ANSI>> = {
  contained: "red",
  releasing: "yellow",
  notified: "yellow",
  released: "green",
  resolved: "dim",
};

/** Where a table goes: the terminal's width and whether it takes colour. */
export interface Screen {
  readonly columns?: number | undefined;
  readonly color?: boolean | undefined;
}

export function renderIncidentTable(incidents: readonly Incident[], screen: Screen = {}): string {
  const statusColumn = INCIDENT_COLUMNS.indexOf("STATUS");
  return renderTable(INCIDENT_COLUMNS, incidents.map(incidentRow), {
    width: screen.columns,
    keep: [INCIDENT_COLUMNS.indexOf("ID")],
    style: (text, column, row) => {
      if (row < 0) return paint(text, "bold", screen.color);
      const status = incidents[row]?.status;
      const colour = column === statusColumn && status !== undefined ? STATUS_COLOURS[status] : undefined;
      return colour === undefined ? text : paint(text, colour, screen.color);
    },
  });
}

function outcomeText(action: ActionRecord): string {
  return action.outcome === "failed" ? "FAILED" : action.outcome;
}

/** The investigation fields `show` prints; anything else is shown as JSON. */
const InvestigationViewSchema = z.looseObject({
  window: z.optional(z.looseObject({ start: z.string(), end: z.string() })),
  totalCalls: z.optional(z.number()),
  succeeded: z.optional(z.number()),
  failed: z.optional(z.number()),
  regions: z.optional(z.array(z.string())),
  complete: z.optional(z.boolean()),
  flagged: z.optional(z.array(z.looseObject({ eventName: z.string(), count: z.number() }))),
  sessionKeys: z.optional(z.array(z.looseObject({ accessKeyId: z.string() }))),
});

function renderInvestigation(value: unknown): string[] {
  const parsed = InvestigationViewSchema.safeParse(value);
  if (!parsed.success || parsed.data.totalCalls === undefined) {
    return [`  ${clip(JSON.stringify(value), 2000)}`];
  }
  const v = parsed.data;
  const lines = [
    ...(v.window ? [`  Window:      ${shortTime(v.window.start)} – ${shortTime(v.window.end)}`] : []),
    `  API calls:   ${v.totalCalls} (${v.succeeded ?? "?"} succeeded, ${v.failed ?? "?"} failed)${v.complete === false ? " — search incomplete" : ""}`,
    ...(v.regions && v.regions.length > 0 ? [`  Regions:     ${v.regions.join(", ")}`] : []),
    ...(v.sessionKeys && v.sessionKeys.length > 0
      ? [`  Session keys minted: ${v.sessionKeys.map((k) => k.accessKeyId).join(", ")}`]
      : []),
  ];
  if (v.flagged && v.flagged.length > 0) {
    lines.push("  High-risk calls:");
    for (const f of v.flagged) lines.push(`    ${f.eventName} × ${f.count}`);
  }
  return lines;
}

/** Everything on the incident, for people. */
export function renderIncident(
  incident: Incident,
  plan: ReleasePlan | undefined,
  screen: Screen = {},
): string {
  const lines = [
    `Incident ${incident.incidentId}`,
    `  Status:      ${incident.status}`,
    `  Severity:    ${incident.severity}`,
    `  Account:     ${incident.accountId}`,
    `  Principal:   ${principalLabelOf(incident.principal)}`,
    `  Access key:  ${incident.accessKeyId}`,
    `  Mode:        ${incident.mode}${incident.sample ? " (sample finding)" : ""}`,
    `  Created:     ${shortTime(incident.createdAt)}`,
    `  Updated:     ${shortTime(incident.updatedAt)}`,
    "",
    `SIGNALS (${incident.signals.length})`,
  ];
  for (const s of incident.signals) {
    lines.push(
      `  ${shortTime(s.observedAt)}  ${s.signal}  [${s.source}, ${s.severity}, ${s.region}] → ${s.decision}${incident.alertedSignalIds.includes(s.signalId) ? ", alerted" : ""}`,
      `      ${s.title}`,
    );
    for (const reason of s.reasons) lines.push(`      why not: ${reason}`);
    for (const [k, v] of Object.entries(s.evidence)) lines.push(`      ${k}: ${v}`);
  }
  lines.push("", `ACTIONS (${incident.actions.length})`);
  if (incident.actions.length === 0) lines.push("  none: nothing was changed in IAM");
  else {
    lines.push(
      ...renderTable(
        ["  TIME", "ACTION", "TARGET", "RESULT", "DETAIL"],
        incident.actions.map((a) => [
          `  ${shortTime(a.at)}`,
          a.kind,
          (CLOSE_KINDS as readonly string[]).includes(a.kind) ? "incident" : a.target,
          outcomeText(a),
          clip(a.detail ?? "", 100),
        ]),
        { width: screen.columns },
      ).split("\n"),
    );
  }
  if (incident.investigation !== undefined) {
    lines.push("", "INVESTIGATION", ...renderInvestigation(incident.investigation));
  }
  const releases = incident.releases ?? [];
  lines.push("", `RELEASE HISTORY (${releases.length})`);
  if (releases.length === 0) lines.push("  none");
  for (const r of releases)
    lines.push(`  ${shortTime(r.at)}  ${r.kind}d by ${r.by}`, `      reason: ${r.reason}`);
  if (plan !== undefined) lines.push("", ...renderReleasePlan(plan, incident));
  return lines.join("\n");
}

/** What `lkr release` would do now, and what it would leave. */
export function renderReleasePlan(
  plan: ReleasePlan,
  incident: Incident,
  heading = "A RELEASE WOULD",
): string[] {
  const sinceClose = actionsSinceLastClose(incident.actions).length;
  const lines = [
    `${heading} (based on the ${sinceClose} action${sinceClose === 1 ? "" : "s"} recorded since the incident opened)`,
  ];
  if (plan.steps.length === 0)
    lines.push("  - change nothing in IAM (the responder changed nothing), and close the incident");
  for (const step of plan.steps) lines.push(`  - ${describeUndoStep(step)}`);
  for (const k of plan.kept) lines.push(`  - leave ${k.action.kind} on ${k.action.target}: ${k.reason}`);
  return lines;
}

export function renderUndoResults(records: readonly ActionRecord[]): string {
  if (records.length === 0) return "  (nothing to undo in IAM)";
  return renderTable(
    ["  ACTION", "TARGET", "RESULT", "DETAIL"],
    records.map((r) => [`  ${r.kind}`, r.target, outcomeText(r), clip(r.detail ?? "", 100)]),
  );
}

/** What stays when an incident is resolved instead of released. */
export function describeInPlace(step: UndoStep): string {
  switch (step.kind) {
    case "reactivate-key":
      return `access key ${step.accessKeyId} of user ${step.userName} stays Inactive (delete it once it is rotated)`;
    case "detach-quarantine-policy":
    case "detach-session-deny-policy":
      return `${step.policyArn} stays attached to ${step.target.type} ${step.target.name}`;
    case "delete-revoke-policy":
      return `inline policy ${step.policyName} stays on ${step.target.type} ${step.target.name}`;
    case "untag-principal":
      return `tag${step.tagKeys.length > 1 ? "s" : ""} ${step.tagKeys.join(", ")} stay${step.tagKeys.length > 1 ? "" : "s"} on ${step.target.type} ${step.target.name}`;
  }
}
