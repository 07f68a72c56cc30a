import { type Incident, type IncidentStatus, IncidentStatusSchema } from "../lambdas/core/incident.js";
import { UsageError } from "./errors.js";

const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `--since 7d` (m, h, d, w) or an ISO date → the ISO instant it means. */
export function parseSince(text: string, now: Date): string {
  const relative = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (relative) {
    const ms = Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
    return new Date(now.getTime() - ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) return new Date(at).toISOString();
  }
  throw new UsageError(`--since "${text}": expected a duration such as 30m, 12h, 7d, 2w, or an ISO date`);
}

/** Not yet released or resolved: the responder holds the key, only told people, or a release stopped half-way. */
const OPEN_STATUSES: readonly IncidentStatus[] = ["contained", "notified", "releasing"];

/** `--status` values: `open`, then every option of the incident model's zod enum, so help and validator agree. */
export const STATUS_FILTERS: Readonly<Record<string, readonly IncidentStatus[]>> = {
  open: OPEN_STATUSES,
  ...Object.fromEntries(IncidentStatusSchema.options.map((status) => [status, [status]])),
};

export function parseStatusFilter(text: string): readonly IncidentStatus[] {
  const statuses = STATUS_FILTERS[text.trim()];
  if (!statuses) {
    throw new UsageError(`--status "${text}": expected one of ${Object.keys(STATUS_FILTERS).join(", ")}`);
  }
  return statuses;
}

/** Newest first. */
export function sortIncidents(incidents: readonly Incident[]): Incident[] {
  return [...incidents].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || a.incidentId.localeCompare(b.incidentId),
  );
}

const INCIDENT_ID = /^\d{12}-(AKIA|ASIA)[A-Z0-9]{16}$/;
const ACCESS_KEY = /^(AKIA|ASIA)[A-Z0-9]{16}$/;

/** An incident argument: a full incident id, or an access key id to look up. */
export function parseIncidentArgument(text: string): { incidentId: string } | { accessKeyId: string } {
  const value = text.trim();
  if (INCIDENT_ID.test(value)) return { incidentId: value };
  if (ACCESS_KEY.test(value)) return { accessKeyId: value };
  throw new UsageError(
    `"${text}" is neither an incident id (<12-digit account>-<access key id>) nor an access key id`,
  );
}

/** `--account 111111111111,222222222222`: the accounts whose incidents are listed. */
export function parseAccountFilter(value: string): string[] {
  const accounts = value
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  const bad = accounts.filter((a) => !/^\d{12}$/.test(a));
  if (accounts.length === 0 || bad.length > 0) {
    throw new UsageError(`--account is "${value}"; expected 12-digit account ids, comma-separated`);
  }
  return accounts;
}
