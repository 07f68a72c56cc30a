import { keyKindOf } from "../access-key.js";
import { describeError, NoSuchEntityError, TransientAwsError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import { HONEY_TAG } from "../honeykey/model.js";
import { DRILL_TAG, EXEMPT_TAG, type PrincipalFacts, quarantineTagKey } from "../plan.js";
import type { IamPort } from "../ports.js";

/** The principal lookup before containment: who owns the key, and may it be touched. */

/** Signals that only notify, samples and principals nobody may fence need no IAM read. */
export function needsPrincipalLookup(exposure: Exposure): boolean {
  if (exposure.sample || exposure.intent === "notify") return false;
  return exposure.principal.type === "user" || exposure.principal.type === "role";
}

/** IAM keeps one tag per key whatever its case (`Leaked-Key-Responder:Exempt` is the same tag). */
function hasTag(tags: Readonly<Record<string, string>>, key: string): boolean {
  return Object.entries(tags).some(([k, v]) => k.toLowerCase() === key && v === "true");
}

function userFacts(
  name: string,
  tags: Readonly<Record<string, string>>,
  keyStatus: "Active" | "Inactive" | "absent" | "session",
  accessKeyId: string,
): PrincipalFacts {
  return {
    kind: "user",
    name,
    exempt: hasTag(tags, EXEMPT_TAG),
    drillCanary: hasTag(tags, DRILL_TAG),
    honeyKey: hasTag(tags, HONEY_TAG),
    keyStatus,
    quarantineMark: tags[quarantineTagKey(accessKeyId)],
  };
}

async function lookUpRole(exposure: Exposure, iam: IamPort, name: string): Promise<PrincipalFacts> {
  const { tags } = await iam.describeRole(name);
  return {
    kind: "role",
    name,
    exempt: hasTag(tags, EXEMPT_TAG),
    quarantineMark: tags[quarantineTagKey(exposure.accessKeyId)],
  };
}

/** A long-term key's user: the one the signal names, or — when it holds no such key — the key's real owner. */
async function lookUpKeyUser(
  exposure: Exposure,
  iam: IamPort,
  named: string | undefined,
  tagsAfter: Promise<void> | undefined,
): Promise<PrincipalFacts> {
  let name = named ?? (await iam.findKeyOwner(exposure.accessKeyId));
  if (name === undefined) return { kind: "not-found", what: `access key ${exposure.accessKeyId}` };
  const first = iam.describeUser(name, exposure.accessKeyId, named === undefined ? undefined : tagsAfter);
  let { tags, keyStatus } = await first.catch((error: unknown) => {
    if (named !== undefined && error instanceof NoSuchEntityError) {
      return { tags: {} as Record<string, string>, keyStatus: "absent" as const };
    }
    throw error;
  });
  if (keyStatus === "absent" && named !== undefined) {
    // The signal named a user who does not hold the key: act on the key's real owner, if any.
    const owner = await iam.findKeyOwner(exposure.accessKeyId);
    if (owner === undefined) return { kind: "not-found", what: `access key ${exposure.accessKeyId}` };
    if (owner !== name) {
      name = owner;
      ({ tags, keyStatus } = await iam.describeUser(owner, exposure.accessKeyId));
    }
  }
  return userFacts(name, tags, keyStatus, exposure.accessKeyId);
}

async function lookUp(
  exposure: Exposure,
  iam: IamPort,
  tagsAfter: Promise<void> | undefined,
): Promise<PrincipalFacts> {
  const p = exposure.principal;
  if (p.type === "role") return lookUpRole(exposure, iam, p.name);
  if (p.type !== "user") return { kind: "not-looked-up" };
  if (exposure.intent === "fence-principal") {
    // A user the attacker made or changed, fenced for another key's incident: the user itself, never the key's owner.
    if (p.name === undefined) return { kind: "not-found", what: "user to fence (unnamed)" };
    const { tags } = await iam.describeUser(p.name, exposure.accessKeyId);
    return userFacts(p.name, tags, "absent", exposure.accessKeyId);
  }
  if (keyKindOf(exposure.accessKeyId) === "session") {
    // IAM neither lists session keys nor knows their owner: the signal must name the user.
    if (p.name === undefined)
      return { kind: "not-found", what: `owner of session key ${exposure.accessKeyId}` };
    const { tags } = await iam.describeUser(p.name, exposure.accessKeyId);
    return userFacts(p.name, tags, "session", exposure.accessKeyId);
  }
  return lookUpKeyUser(exposure, iam, p.name, tagsAfter);
}

/**
 * Who owns the key and may it be touched: at most two IAM reads, none for signals that only notify.
 * The named user's key status is read at once, in this turn; its tags wait for `tagsAfter`.
 */
export async function lookUpPrincipal(
  exposure: Exposure,
  iam: IamPort,
  tagsAfter?: Promise<void>,
): Promise<PrincipalFacts> {
  try {
    return await lookUp(exposure, iam, tagsAfter);
  } catch (error) {
    const p = exposure.principal;
    if (error instanceof NoSuchEntityError)
      return { kind: "not-found", what: `${p.type} ${"name" in p ? p.name : ""}`.trim() };
    if (error instanceof TransientAwsError) throw error; // nothing done yet: let EventBridge retry the whole event
    return { kind: "lookup-failed", error: describeError(error) };
  }
}
