import * as z from "zod/mini";
import { isAccessKeyId } from "../access-key.js";
import { InvalidEventError } from "../errors.js";
import type { Exposure, Intent, Principal } from "../exposure.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

/**
 * GuardDuty Extended Threat Detection: `AttackSequence:IAM/CompromisedCredentials` (critical) is a
 * sequence of API calls made with credentials GuardDuty believes compromised. The finding names
 * the credentials in `service.detection.sequence`: each actor's `user.credentialUid`, and the
 * resources of type `ACCESS_KEY` (GuardDuty API reference: Sequence, Actor, User, ResourceV2,
 * AccessKey). Every key it names is contained, one exposure each; the finding's top-level
 * `resource` is not relied on (its shape for attack sequences is not documented).
 */

const SOURCE = "aws.guardduty";
/** What a sample finding's credential is called when it names none (GuardDuty's own placeholder). */
const SAMPLE_PLACEHOLDER = "GeneratedFindingAccessKeyId";

/** The attack sequences about credentials: the only ones that name access keys to contain. */
export const IAM_ATTACK_SEQUENCE_PREFIX = "AttackSequence:IAM/";

export function isIamAttackSequence(type: string): boolean {
  return type.startsWith(IAM_ATTACK_SEQUENCE_PREFIX);
}

const UserSchema = z.looseObject({
  name: z.optional(z.string()),
  type: z.optional(z.string()),
  credentialUid: z.optional(z.string()),
});

const ResourceV2Schema = z.looseObject({
  uid: z.optional(z.string()),
  resourceType: z.optional(z.string()),
  data: z.optional(
    z.looseObject({
      accessKey: z.optional(
        z.looseObject({ userName: z.optional(z.string()), userType: z.optional(z.string()) }),
      ),
    }),
  ),
});

const AttackSequenceSchema = z.looseObject({
  accountId: z.optional(z.string()),
  region: z.optional(z.string()),
  id: z.string().check(z.minLength(1), z.maxLength(300)),
  type: z.string(),
  severity: z.number().check(z.gte(0), z.lte(10)),
  updatedAt: z.optional(z.string()),
  title: z.optional(z.string()),
  service: z.looseObject({
    additionalInfo: z.optional(z.looseObject({ sample: z.optional(z.unknown()) })),
    detection: z.looseObject({
      sequence: z.looseObject({
        uid: z.optional(z.string()),
        actors: z.optional(z.array(z.looseObject({ user: z.optional(UserSchema) }))),
        resources: z.optional(z.array(ResourceV2Schema)),
        signals: z.optional(z.array(z.looseObject({ name: z.optional(z.string()) }))),
      }),
    }),
  }),
});
type AttackSequence = z.infer<typeof AttackSequenceSchema>;

/** Whose credential it is, as the sequence says: an IAM user, a role's session, root, or someone the responder cannot fence. */
function principalOf(type: string | undefined, name: string | undefined): Principal {
  switch (type) {
    case "IAMUser":
      return { type: "user", name };
    case "AssumedRole":
      return name
        ? { type: "role", name }
        : { type: "other", description: "AssumedRole without a role name" };
    case "Root":
      return { type: "root" };
    default:
      return { type: "other", description: type ?? "unknown principal type" };
  }
}

interface Named {
  readonly key: string;
  readonly principal: Principal;
}

/** Every credential the sequence names, once, in the order it names them (actors first). */
function namedCredentials(sequence: AttackSequence["service"]["detection"]["sequence"]): Named[] {
  const named = new Map<string, Named>();
  for (const actor of sequence.actors ?? []) {
    const user = actor.user;
    if (user?.credentialUid && !named.has(user.credentialUid)) {
      named.set(user.credentialUid, {
        key: user.credentialUid,
        principal: principalOf(user.type, user.name),
      });
    }
  }
  for (const resource of sequence.resources ?? []) {
    if (resource.resourceType !== "ACCESS_KEY" || !resource.uid || named.has(resource.uid)) continue;
    const owner = resource.data?.accessKey;
    named.set(resource.uid, { key: resource.uid, principal: principalOf(owner?.userType, owner?.userName) });
  }
  return [...named.values()];
}

function intentOf(principal: Principal): Intent {
  if (principal.type === "user") return "contain";
  if (principal.type === "role") return "revoke-sessions";
  return "notify";
}

/** An IAM attack sequence → one critical exposure per access key it names (a sample only notifies). */
export function attackSequenceToExposures(envelope: Envelope): Exposure[] {
  const finding = parseOrThrow(AttackSequenceSchema, envelope.detail, SOURCE);
  const sample = finding.service.additionalInfo?.sample === true;
  const sequence = finding.service.detection.sequence;
  const all = namedCredentials(sequence);
  // A sample keeps its placeholders (and is only reported); one that names none still reports.
  const placeholder: Named = { key: SAMPLE_PLACEHOLDER, principal: { type: "other", description: "sample" } };
  const named = sample ? (all.length > 0 ? all : [placeholder]) : all.filter((n) => isAccessKeyId(n.key));
  if (named.length === 0) {
    throw new InvalidEventError("attack sequence names no valid access key id", SOURCE, [
      `service.detection.sequence: ${all.length} credentials named, none an AKIA/ASIA key id`,
    ]);
  }
  const calls = (sequence.signals ?? []).map((s) => s.name).filter((n): n is string => Boolean(n));
  const evidence: Record<string, string> = {
    findingId: finding.id,
    findingType: finding.type,
    severityScore: String(finding.severity),
  };
  if (calls.length > 0) evidence.signals = calls.slice(0, 10).join(", ").slice(0, 300);
  if (named.length > 1) evidence.keysInFinding = named.map((n) => n.key).join(", ");
  return named.map(({ key, principal }) => ({
    source: "guardduty",
    signal: finding.type,
    // One finding names several keys; GuardDuty re-publishes it under the same id.
    signalId: `guardduty:${finding.id}:${key}`,
    sourceEventId: envelope.id,
    accountId: accountOf(envelope, finding.accountId, SOURCE),
    region: finding.region ?? envelope.region,
    accessKeyId: key,
    principal,
    intent: sample ? "notify" : intentOf(principal),
    severity: "critical",
    sample,
    observedAt: isoTimeOf(finding.updatedAt, envelope.time),
    title: finding.title ?? finding.type,
    evidence,
  }));
}
