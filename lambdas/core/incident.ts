import * as z from "zod/mini";
import type { Exposure, Principal, Severity } from "./exposure.js";

export const INCIDENT_STATUSES = ["contained", "notified", "released", "resolved"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** One incident per account + key: a deterministic id, so every signal about the key lands on it. */
export function incidentIdOf(accountId: string, accessKeyId: string): string {
  return `${accountId}-${accessKeyId}`;
}

export const ActionOutcomeSchema = z.enum(["done", "already", "not-found", "failed", "planned-only"]);
export type ActionOutcome = z.infer<typeof ActionOutcomeSchema>;

/** What one executed step did, kept so a release can undo exactly that. */
export const ActionRecordSchema = z.looseObject({
  kind: z.string(),
  target: z.string(),
  at: z.string(),
  outcome: ActionOutcomeSchema,
  detail: z.optional(z.string()),
  /** Facts a release needs, e.g. the key's status before it was disabled, the inline policy name. */
  undo: z.optional(z.record(z.string(), z.string())),
  signalId: z.string(),
});
export type ActionRecord = z.infer<typeof ActionRecordSchema>;

export const SignalRecordSchema = z.looseObject({
  signalId: z.string(),
  source: z.string(),
  signal: z.string(),
  severity: z.string(),
  title: z.string(),
  observedAt: z.string(),
  receivedAt: z.string(),
  sourceEventId: z.string(),
  region: z.string(),
  evidence: z.record(z.string(), z.string()),
  decision: z.string(),
  reasons: z.array(z.string()),
});
export type SignalRecord = z.infer<typeof SignalRecordSchema>;

export const ReleaseRecordSchema = z.looseObject({
  at: z.string(),
  by: z.string(),
  reason: z.string(),
  kind: z.enum(["release", "resolve"]),
});

export const PrincipalRecordSchema = z.looseObject({
  type: z.string(),
  name: z.optional(z.string()),
});

/** The incident as it is stored. Read back through this schema: the table is outside input too. */
export const IncidentSchema = z.looseObject({
  incidentId: z.string(),
  accountId: z.string(),
  accessKeyId: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  severity: z.string(),
  principal: PrincipalRecordSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  mode: z.string(),
  sample: z.boolean(),
  signalIds: z.array(z.string()),
  alertedSignalIds: z.array(z.string()),
  /** Signals whose whole response succeeded: a re-delivery of one of these does nothing. */
  completedSignalIds: z.optional(z.array(z.string())),
  signals: z.array(SignalRecordSchema),
  actions: z.array(ActionRecordSchema),
  releases: z.optional(z.array(ReleaseRecordSchema)),
  investigation: z.optional(z.unknown()),
});
export type Incident = z.infer<typeof IncidentSchema>;

export function principalRecordOf(principal: Principal): { type: string; name?: string } {
  switch (principal.type) {
    case "user":
    case "role":
      return principal.name === undefined
        ? { type: principal.type }
        : { type: principal.type, name: principal.name };
    case "root":
      return { type: "root" };
    case "other":
      return { type: "other", name: principal.description };
  }
}

export function signalRecordOf(
  exposure: Exposure,
  receivedAt: string,
  severity: Severity,
  decision: string,
  reasons: readonly string[],
): SignalRecord {
  return {
    signalId: exposure.signalId,
    source: exposure.source,
    signal: exposure.signal,
    severity,
    title: exposure.title,
    observedAt: exposure.observedAt,
    receivedAt,
    sourceEventId: exposure.sourceEventId,
    region: exposure.region,
    evidence: { ...exposure.evidence },
    decision,
    reasons: [...reasons],
  };
}

/** An incident is open while its key is held by the responder. */
export function isOpen(incident: Pick<Incident, "status"> | undefined): boolean {
  return incident?.status === "contained";
}
