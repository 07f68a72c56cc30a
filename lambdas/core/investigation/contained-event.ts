import * as z from "zod/mini";
import { AccessKeyIdSchema, AccountIdSchema } from "../access-key.js";
import { InvalidEventError } from "../errors.js";
import { EnvelopeSchema, parseOrThrow } from "../sources/envelope.js";

/** The responder's own event (the EventBridge adapter emits it with these two values). */
export const RESPONDER_EVENT_SOURCE = "leaked-key-responder";
export const INCIDENT_CONTAINED_DETAIL_TYPE = "Incident Contained";

const IsoTimeSchema = z.iso.datetime({ offset: true });

/**
 * The detail of `Incident Contained` as the respond function emits it (ContainedEvent in ports.ts),
 * and the facts the investigation works from — which it builds from the stored incident, never
 * from the event (containment.ts).
 */
export const ContainedDetailSchema = z.looseObject({
  incidentId: z.string().check(z.minLength(1), z.maxLength(128)),
  accountId: AccountIdSchema,
  region: z.string().check(z.minLength(1), z.maxLength(64)),
  accessKeyId: AccessKeyIdSchema,
  principal: z.looseObject({ type: z.string(), name: z.optional(z.string()) }),
  signal: z.string(),
  severity: z.string(),
  containedAt: IsoTimeSchema,
  /** When the signal observed the exposure; `containedAt` stands in when absent. */
  observedAt: z.optional(IsoTimeSchema),
  /** When IAM last saw the key used, if the responder looked it up. */
  keyLastUsedAt: z.optional(IsoTimeSchema),
});
export type ContainedDetail = z.infer<typeof ContainedDetailSchema>;

/**
 * What the investigation takes from an `Incident Contained` event: the incident id, nothing else.
 * Every fact it acts on (account, key, principal, signal, times) is read from the stored incident,
 * so an event that names other facts — forged, or from an older responder — changes nothing.
 */
const ContainedReferenceSchema = z.looseObject({
  incidentId: z.string().check(z.minLength(1), z.maxLength(128)),
});

export interface ContainedEventInput {
  /** EventBridge id of the event, for logs. */
  readonly eventId: string;
  readonly incidentId: string;
}

/** Parses an `Incident Contained` event down to its incident id, or throws an InvalidEventError naming what is wrong. */
export function parseContainedEvent(event: unknown): ContainedEventInput {
  const envelope = parseOrThrow(EnvelopeSchema, event, RESPONDER_EVENT_SOURCE);
  if (
    envelope.source !== RESPONDER_EVENT_SOURCE ||
    envelope["detail-type"] !== INCIDENT_CONTAINED_DETAIL_TYPE
  ) {
    throw new InvalidEventError("not an Incident Contained event", RESPONDER_EVENT_SOURCE, [
      `source: ${envelope.source}, detail-type: ${envelope["detail-type"]}`,
    ]);
  }
  const { incidentId } = parseOrThrow(ContainedReferenceSchema, envelope.detail, RESPONDER_EVENT_SOURCE);
  return { eventId: envelope.id, incidentId };
}
