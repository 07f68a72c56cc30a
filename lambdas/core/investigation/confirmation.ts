import * as z from "zod/mini";
import { maskAccessKeyId } from "../access-key.js";
import { renderIncidentChat, toSnsSubject } from "../alert-text.js";
import { describeError, InvalidEventError, TransientAwsError } from "../errors.js";
import { actionsSinceLastClose, type Incident } from "../incident.js";
import type { Log } from "../log.js";
import type { AlertPublisher, RenderedAlert } from "../ports.js";
import { principalLabelOf } from "../vocabulary.js";
import { currentContainment } from "./containment.js";
import { IncidentNotFoundError } from "./errors.js";
import type { ActivitySource, StoredIncident } from "./ports.js";
import type { LookupEventRecord } from "./record.js";

/**
 * Containment confirmed: a while after a key was contained (CloudTrail delivers within about 15
 * minutes), look up every call made with the key and the session keys minted with it since it was
 * disabled. One successful call means containment did not hold: a critical alert lists the calls.
 * None: the incident records `confirmedAt`. The check is set up as a one-time EventBridge
 * Scheduler schedule when the containment is investigated, and deleted by Scheduler once it fired.
 */

/** The input the one-time schedule invokes the investigate function with. */
export const CONFIRM_REQUEST_KIND = "confirm-containment";
export const ConfirmRequestSchema = z.object({
  kind: z.literal(CONFIRM_REQUEST_KIND),
  incidentId: z.string().check(z.minLength(1), z.maxLength(128)),
  containmentId: z.string().check(z.minLength(1), z.maxLength(512)),
});
export type ConfirmRequest = z.infer<typeof ConfirmRequestSchema>;

/** Whether a direct invocation is a confirmation request (anything else is an EventBridge event). */
export function isConfirmRequest(event: unknown): boolean {
  return (
    typeof event === "object" && event !== null && (event as { kind?: unknown }).kind === CONFIRM_REQUEST_KIND
  );
}

export function parseConfirmRequest(event: unknown): ConfirmRequest {
  const parsed = ConfirmRequestSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError("invalid containment check request", "scheduler", [parsed.error.message]);
  }
  return parsed.data;
}

export const DEFAULT_CONFIRM_AFTER_MINUTES = 30;
/** A check whose time has passed already (a late investigation) runs this soon instead. */
const EARLIEST_MS = 60_000;

/** One-time schedule: its name (unique per containment) and when it fires. */
export interface ConfirmationSchedule {
  readonly name: string;
  readonly at: Date;
  readonly request: ConfirmRequest;
}

/** FNV-1a of the text, 8 hex digits: schedule names allow only [0-9A-Za-z._-], 64 at most. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** The schedule of a containment's check: `confirmAfterMinutes` after it began, never in the past. */
export function confirmationScheduleOf(
  incidentId: string,
  containmentId: string,
  containedAt: string,
  confirmAfterMinutes: number,
  now: Date,
): ConfirmationSchedule {
  const due = Date.parse(containedAt) + confirmAfterMinutes * 60_000;
  const at = new Date(Math.max(Number.isNaN(due) ? 0 : due, now.getTime() + EARLIEST_MS));
  const name = `confirm-${incidentId.replace(/[^0-9A-Za-z._-]/g, "_").slice(0, 46)}-${shortHash(containmentId)}`;
  return { name, at, request: { kind: CONFIRM_REQUEST_KIND, incidentId, containmentId } };
}

/** Creates one-time schedules that invoke the investigate function once and are then deleted. */
export interface ConfirmationScheduler {
  /** "already": a schedule of that name exists (a retried investigation): nothing new. */
  schedule(schedule: ConfirmationSchedule): Promise<"scheduled" | "already">;
}

/** What a check found, as the incident keeps it (`containmentCheck`). */
export const ContainmentCheckSchema = z.object({
  containmentId: z.string(),
  checkedAt: z.string(),
  /** Calls looked for from this time on: when the key was disabled (or its sessions denied). */
  since: z.string(),
  held: z.boolean(),
  keys: z.array(z.string()),
  calls: z.array(
    z.object({
      eventId: z.string(),
      eventName: z.string(),
      eventSource: z.string(),
      eventTime: z.string(),
      accessKeyId: z.string(),
      region: z.string(),
      sourceIp: z.string(),
    }),
  ),
});
export type ContainmentCheck = z.infer<typeof ContainmentCheckSchema>;
export type SuccessfulCall = ContainmentCheck["calls"][number];

/** The incident's side of a check: its result (and `confirmedAt` when it held). */
export interface ContainmentCheckStore {
  getIncident(incidentId: string): Promise<StoredIncident | undefined>;
  /** The check last recorded on the incident, if any. */
  lastCheck(incidentId: string): Promise<ContainmentCheck | undefined>;
  recordCheck(incidentId: string, check: ContainmentCheck): Promise<void>;
}

export interface ConfirmSettings {
  readonly regions: readonly string[];
  /** Calls listed in the alert and kept on the incident. */
  readonly maxCalls: number;
}

export interface ConfirmDeps {
  readonly activity: ActivitySource;
  readonly store: ContainmentCheckStore;
  readonly alerts: AlertPublisher;
  readonly log: Log;
  readonly now: () => Date;
}

export type ConfirmOutcome =
  | { readonly kind: "skipped"; readonly reason: string }
  | { readonly kind: "held"; readonly check: ContainmentCheck }
  | { readonly kind: "not-held"; readonly check: ContainmentCheck };

/** Some searches of the check failed in a way a retry may fix: nothing recorded, the invocation retried. */
export class IncompleteCheckError extends Error {
  override readonly name = "IncompleteCheckError";
  constructor(
    readonly incidentId: string,
    readonly failedSearches: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`containment check of ${incidentId} incomplete: ${failedSearches.join(", ")}`, options);
  }
}

const CONTAINING_KINDS: ReadonlySet<string> = new Set([
  "disable-key",
  "revoke-sessions",
  "attach-session-deny-policy",
]);

/**
 * When the key stopped working: the first containing action (disable, session deny, revoke) done
 * for this containment, else the containment's own time.
 */
export function containedSince(incident: Incident, containedAt: string): string {
  const first = actionsSinceLastClose(incident.actions).find(
    (a) =>
      CONTAINING_KINDS.has(a.kind) &&
      (a.outcome === "done" || a.outcome === "already") &&
      a.at >= containedAt,
  );
  return first?.at ?? containedAt;
}

/** The session keys the investigation found minted with the key (stored on the incident). */
export function sessionKeysOf(incident: Incident): string[] {
  const parsed = z
    .looseObject({ sessionKeys: z.array(z.looseObject({ accessKeyId: z.string() })) })
    .safeParse(incident.investigation);
  return parsed.success ? [...new Set(parsed.data.sessionKeys.map((k) => k.accessKeyId))] : [];
}

const CallRecordSchema = z.looseObject({
  eventID: z.optional(z.string()),
  eventTime: z.optional(z.string()),
  eventSource: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  sourceIPAddress: z.optional(z.string()),
  errorCode: z.optional(z.nullable(z.string())),
  eventName: z.optional(z.string()),
  requestParameters: z.optional(
    z.nullable(z.looseObject({ policyArn: z.optional(z.string()), policyName: z.optional(z.string()) })),
  ),
});

/**
 * AWS's own quarantine, recorded under the compromised user's identity and key: it only takes
 * rights away, so it is not the key working for the attacker (whoever sent it).
 */
function isAwsQuarantine(record: z.infer<typeof CallRecordSchema>): boolean {
  const params = record.requestParameters ?? {};
  if (record.eventName === "AttachUserPolicy") {
    return /^arn:aws[\w-]*:iam::aws:policy\/AWSCompromisedKeyQuarantine/.test(params.policyArn ?? "");
  }
  return (
    record.eventName === "PutUserPolicy" && params.policyName === "AWSExposedCredentialPolicy_DO_NOT_REMOVE"
  );
}

/** CloudTrail times have whole seconds: a call in the second the key was disabled counts (fail safe). */
export function wholeSecond(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/**
 * A call that succeeded at or after `since`: its record has no error code. A record LookupEvents
 * gives without a readable CloudTrail event counts as successful: the check fails safe (a false
 * "did not hold" costs a look; a false "held" hides an attacker).
 */
export function successfulCallOf(
  event: LookupEventRecord,
  key: string,
  region: string,
  since: string,
): SuccessfulCall | undefined {
  let record: z.infer<typeof CallRecordSchema> = {};
  if (event.cloudTrailEvent !== undefined) {
    try {
      const parsed = CallRecordSchema.safeParse(JSON.parse(event.cloudTrailEvent));
      if (parsed.success) record = parsed.data;
    } catch {
      // unreadable: counted as successful (see above)
    }
  }
  if (record.errorCode !== undefined && record.errorCode !== null) return undefined;
  if (isAwsQuarantine(record)) return undefined;
  const time = Date.parse(record.eventTime ?? event.eventTime?.toISOString() ?? "");
  if (!Number.isNaN(time) && time < Date.parse(wholeSecond(since))) return undefined;
  return {
    eventId: record.eventID ?? event.eventId ?? "",
    eventName: event.eventName ?? "",
    eventSource: record.eventSource ?? event.eventSource ?? "",
    eventTime: Number.isNaN(time) ? "" : new Date(time).toISOString(),
    accessKeyId: event.accessKeyId ?? key,
    region: record.awsRegion ?? region,
    sourceIp: record.sourceIPAddress ?? "",
  };
}

async function successfulCallsSince(
  keys: readonly string[],
  since: string,
  end: string,
  settings: ConfirmSettings,
  deps: ConfirmDeps,
): Promise<{ calls: SuccessfulCall[]; failed: string[]; cause: unknown }> {
  const calls: SuccessfulCall[] = [];
  const failed: string[] = [];
  let cause: unknown;
  await Promise.all(
    settings.regions.map(async (region) => {
      for (const key of keys) {
        try {
          for await (const page of deps.activity.pages(region, key, wholeSecond(since), end)) {
            for (const event of page) {
              const call = successfulCallOf(event, key, region, since);
              if (call !== undefined) calls.push(call);
            }
          }
        } catch (error) {
          deps.log.error("containment check search failed", {
            region,
            searchedKey: key,
            error: describeError(error),
          });
          if (!(error instanceof TransientAwsError)) throw error;
          failed.push(`${region}/${key}`);
          cause ??= error;
        }
      }
    }),
  );
  calls.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  return { calls, failed, cause };
}

/**
 * The scheduled check of one containment. Skipped when the incident is no longer in that
 * containment (released, or contained again: that containment has its own check) or it was
 * confirmed already. A search that fails transiently records nothing and fails the invocation.
 */
export async function confirmContainment(
  request: ConfirmRequest,
  settings: ConfirmSettings,
  deps: ConfirmDeps,
): Promise<ConfirmOutcome> {
  const stored = await deps.store.getIncident(request.incidentId);
  if (stored === undefined) throw new IncidentNotFoundError(request.incidentId);
  const { incident } = stored;
  const containment = currentContainment(incident);
  if (containment === undefined)
    return { kind: "skipped", reason: `incident is ${incident.status}, not contained` };
  if (containment.containmentId !== request.containmentId) {
    return { kind: "skipped", reason: "contained again since: that containment has its own check" };
  }
  const last = await deps.store.lastCheck(request.incidentId);
  if (last?.containmentId === request.containmentId && last.held) {
    return { kind: "skipped", reason: "this containment was confirmed already" };
  }
  const since = containedSince(incident, containment.containedAt);
  const keys = [incident.accessKeyId, ...sessionKeysOf(incident).filter((k) => k !== incident.accessKeyId)];
  const checkedAt = deps.now().toISOString();
  deps.log.info("containment check started", { since, keys });
  const { calls, failed, cause } = await successfulCallsSince(keys, since, checkedAt, settings, deps);
  if (failed.length > 0) throw new IncompleteCheckError(request.incidentId, failed, { cause });
  const check: ContainmentCheck = {
    containmentId: request.containmentId,
    checkedAt,
    since,
    held: calls.length === 0,
    keys,
    calls: calls.slice(0, settings.maxCalls),
  };
  if (!check.held) {
    // Alert first: the record is only the memory of it, and a retry alerting twice beats silence.
    await deps.alerts.publish(renderNotHeldAlert(incident, check, calls.length));
    deps.log.warn("containment did not hold", { calls: calls.length });
  } else {
    deps.log.info("containment confirmed", { since });
  }
  await deps.store.recordCheck(request.incidentId, check);
  return check.held ? { kind: "held", check } : { kind: "not-held", check };
}

function callLine(call: SuccessfulCall): string {
  return `${call.eventTime}  ${call.eventName} (${call.eventSource}) with ${call.accessKeyId} in ${call.region} from ${call.sourceIp || "?"}  [${call.eventId}]`;
}

/** The critical alert: the key (or a session minted with it) still worked after containment. */
export function renderNotHeldAlert(
  incident: Incident,
  check: ContainmentCheck,
  total: number,
): RenderedAlert {
  const key = maskAccessKeyId(incident.accessKeyId);
  const who = `${principalLabelOf(incident.principal)}, account ${incident.accountId}`;
  const subject = toSnsSubject(
    `[CRITICAL] Containment did not hold: key ${key} used after it was disabled - ${who}`,
  );
  const lines = check.calls.map(callLine);
  const more = total > check.calls.length ? [`... and ${total - check.calls.length} more`] : [];
  const nextSteps = [
    "Find out how the calls succeeded: a session key minted before the disable (its role's sessions), a policy detached, the key re-enabled by someone.",
    "Contain by hand what is still working: deny the role's sessions (aws iam put-role-policy with aws:TokenIssueTime), or disable the user's other keys after review.",
    `Look at the incident: npx lkr show ${incident.incidentId}`,
  ];
  const text = [
    subject,
    "",
    `Incident:   ${incident.incidentId}`,
    `Key:        ${incident.accessKeyId} (${who})`,
    `Since:      ${check.since} (when it was disabled)`,
    `Checked at: ${check.checkedAt}; keys looked up: ${check.keys.join(", ")}`,
    "",
    `SUCCESSFUL CALLS AFTER CONTAINMENT (${total})`,
    ...lines.map((l) => `  ${l}`),
    ...more.map((l) => `  ${l}`),
    "",
    "WHAT A HUMAN MUST DO NOW",
    ...nextSteps.map((s, i) => `  ${i + 1}. ${s}`),
  ].join("\n");
  const chat = renderIncidentChat({
    incidentId: incident.incidentId,
    id: `${incident.incidentId}:containment-check:${check.checkedAt}`,
    subject,
    emoji: ":rotating_light:",
    description: [
      `*Successful calls after containment (${total}):*`,
      ...lines.map((l) => `• \`${l}\``),
      ...more,
    ],
    nextSteps,
    keywords: ["CONTAINMENT-NOT-HELD", incident.accountId],
    eventType: "LeakedKeyContainmentCheck",
    relatedResources: check.keys.slice(0, 10),
    additionalContext: { incidentId: incident.incidentId, calls: String(total), since: check.since },
  });
  const machine = JSON.stringify({
    type: "leaked-key-responder.containment-check",
    version: 1,
    incidentId: incident.incidentId,
    accountId: incident.accountId,
    accessKeyId: incident.accessKeyId,
    held: false,
    totalCalls: total,
    check,
  });
  return { subject, text, chat, machine };
}
