import { describeError, NoSuchEntityError, TransientAwsError } from "../errors.js";
import { CANDIDATE_KEYS, KEY_INFERRED } from "../evidence-keys.js";
import type { Exposure } from "../exposure.js";
import type { Log } from "../log.js";
import type { IamPortFor, UserKey } from "../ports.js";
import type { AwsQuarantine } from "../sources/aws-quarantine.js";

/**
 * AWS quarantined a user, and its record names no key of the user. When the user has exactly one
 * Active key, that is the key AWS found: it is contained, and the alert says it was inferred. Any
 * other case (two Active keys, or none) leaves the leaked key unknown: every candidate's incident
 * fences the user (sessions denied; AWS's quarantine is already attached) and changes no key, and
 * AWS's Health event, which follows, names the key and contains it in that key's incident. An
 * incident is per account and key in every case, so the Health event joins the same incident.
 */
export function exposuresOfUserKeys(quarantine: AwsQuarantine, keys: readonly UserKey[]): Exposure[] {
  const active = keys.filter((k) => k.status === "Active");
  const base = {
    source: "cloudtrail" as const,
    signal: quarantine.signal,
    sourceEventId: quarantine.sourceEventId,
    accountId: quarantine.accountId,
    region: quarantine.region,
    principal: { type: "user" as const, name: quarantine.userName },
    severity: "critical" as const,
    sample: false,
    observedAt: quarantine.observedAt,
  };
  const [only] = active;
  if (active.length === 1 && only !== undefined) {
    return [
      {
        ...base,
        signalId: `cloudtrail:${quarantine.eventId}:${only.accessKeyId}`,
        accessKeyId: only.accessKeyId,
        intent: "contain",
        title: `AWS quarantined user ${quarantine.userName} without naming the key: its only Active key was disabled`,
        evidence: { ...quarantine.evidence, [KEY_INFERRED]: "true" },
      },
    ];
  }
  // Two Active keys: either may be the leaked one. None: an Inactive key's sessions may still live.
  const candidates = (active.length > 1 ? active : keys).map((k) => k.accessKeyId).sort();
  return candidates.map((accessKeyId) => ({
    ...base,
    signalId: `cloudtrail:${quarantine.eventId}:${accessKeyId}`,
    accessKeyId,
    intent: "fence-user",
    title: `AWS quarantined user ${quarantine.userName} without naming the key: one of ${candidates.length} candidates`,
    evidence: { ...quarantine.evidence, [CANDIDATE_KEYS]: candidates.join(", ") },
  }));
}

/**
 * The user's keys, read in the quarantined user's account, → the exposures above. A user that is
 * gone, or has no key left, leaves nothing to act on (logged); a passing fault is thrown, so the
 * event is retried.
 */
export async function exposuresOfAwsQuarantine(
  quarantine: AwsQuarantine,
  iamFor: IamPortFor,
  log: Log,
): Promise<Exposure[]> {
  try {
    const iam = await iamFor(quarantine.accountId);
    const keys = await iam.listUserKeys(quarantine.userName);
    const exposures = exposuresOfUserKeys(quarantine, keys);
    if (exposures.length === 0) {
      log.warn("AWS quarantined a user with no access key", { userName: quarantine.userName });
    }
    return exposures;
  } catch (error) {
    if (error instanceof TransientAwsError) throw error;
    const gone = error instanceof NoSuchEntityError;
    log[gone ? "warn" : "error"](
      gone ? "AWS quarantined a user that is gone" : "quarantined user's keys not read",
      {
        userName: quarantine.userName,
        error: describeError(error),
      },
    );
    if (gone) return [];
    throw error;
  }
}
