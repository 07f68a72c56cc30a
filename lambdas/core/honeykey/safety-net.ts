import type { HoneyKeyRecord } from "./model.js";
import type { HoneyKeyFacts } from "./ports.js";
import { isUnderPath } from "./use.js";

/**
 * The safety net: calls CloudTrail never shows (services and endpoints that log nothing, data
 * events, a trail that was stopped) still move IAM's last-used date of the key. A scheduled check
 * compares it with the last use CloudTrail did show, and checks that each honey key is still a
 * honey key: its user and key exist, its deny-all policy is attached, it lies under the watched path.
 * Pure: the facts, the record and the clock come in.
 */

export type FindingKind = "unseen-use" | "guard-missing" | "gone" | "reactivated" | "outside-path";

export interface LastUsedFinding {
  readonly kind: FindingKind;
  readonly headline: string;
  readonly detail: string;
  readonly todo: readonly string[];
  /** The last-used date behind an `unseen-use`. */
  readonly lastUsed?: string;
}

export interface SafetyNetOptions {
  /** The watched IAM path (the rule's). */
  readonly path: string;
  /** The deny-all policies that count as the key's guard. */
  readonly denyPolicyArns: readonly string[];
  /** How far last-used may lie after the last CloudTrail-seen use and still be that use. */
  readonly toleranceSeconds: number;
}

export interface SafetyNetVerdict {
  readonly findings: readonly LastUsedFinding[];
  /** The last-used date to remember (set when it moved), so one unseen use alerts once. */
  readonly lastUsedSeen: string | undefined;
}

function ms(iso: string | undefined): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** Whether last-used moved past what was examined before and past every use CloudTrail showed. */
function unseenUse(record: HoneyKeyRecord, facts: HoneyKeyFacts, toleranceSeconds: number) {
  const at = facts.lastUsed?.at;
  if (at === undefined || ms(at) <= ms(record.lastUsedSeen)) return undefined;
  const seenByCloudTrail = ms(record.lastUse?.eventTime) + toleranceSeconds * 1000 >= ms(at);
  return { at, moved: true, seenByCloudTrail };
}

/** What the check finds about one honey key. */
export function checkHoneyKey(
  record: HoneyKeyRecord,
  facts: HoneyKeyFacts,
  options: SafetyNetOptions,
): SafetyNetVerdict {
  const findings: LastUsedFinding[] = [];
  const moved = unseenUse(record, facts, options.toleranceSeconds);
  if (moved && !moved.seenByCloudTrail) {
    const where = facts.lastUsed
      ? ` (service ${facts.lastUsed.service}, region ${facts.lastUsed.region})`
      : "";
    findings.push({
      kind: "unseen-use",
      headline: "used without a CloudTrail record",
      detail: `IAM says the key was last used at ${moved.at}${where}, but no CloudTrail event showed a use then (last one seen: ${record.lastUse?.eventTime ?? "never"}). Someone holds the key and used it through a call CloudTrail does not deliver.`,
      todo: [
        `Treat "${record.placement}" as leaked.`,
        "Rotate every real secret that lived in the same place.",
        "Check that the trail and the honey rule (state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS) are in place in that region.",
      ],
      lastUsed: moved.at,
    });
  }
  const active = record.state === "active";
  if (facts.attachedPolicyArns === undefined || facts.keyStatus === "absent") {
    if (active) {
      findings.push({
        kind: "gone",
        headline: "honey user or key deleted",
        detail: `User ${record.userName} or its key ${record.accessKeyId} no longer exists: this tripwire is gone. Honey keys are retired (disabled), never deleted: someone deleted it by hand.`,
        todo: [
          "Find who deleted it (CloudTrail DeleteUser / DeleteAccessKey) and plant a new one: lkr honeykey create.",
        ],
      });
    }
  } else {
    if (!facts.attachedPolicyArns.some((arn) => options.denyPolicyArns.includes(arn))) {
      findings.push({
        kind: "guard-missing",
        headline: "deny-all policy detached",
        detail: `User ${record.userName} no longer has its deny-all policy (${options.denyPolicyArns.join(" or ")}): whoever holds the key may be able to do something.`,
        todo: [
          `Attach it again now: aws iam attach-user-policy --user-name ${record.userName} --policy-arn ${options.denyPolicyArns[0] ?? ""}`,
          "Find who detached it (CloudTrail DetachUserPolicy).",
        ],
      });
    }
    if (!active && facts.keyStatus === "Active") {
      findings.push({
        kind: "reactivated",
        headline: `${record.state} key is Active again`,
        detail: `The key was ${record.state} (Inactive) but is Active now: someone switched it back on.`,
        todo: ["Find who did (CloudTrail UpdateAccessKey) and set it Inactive again."],
      });
    }
  }
  if (
    active &&
    !isUnderPath(`arn:aws:iam::000000000000:user${record.path}${record.userName}`, options.path)
  ) {
    findings.push({
      kind: "outside-path",
      headline: "outside the watched path",
      detail: `User ${record.userName} has path ${record.path}, but the honey rule watches ${options.path}: its uses reach no alert but this check's.`,
      todo: [
        `Retire it (lkr honeykey retire ${record.accessKeyId}) and create a new one under ${options.path}.`,
      ],
    });
  }
  return { findings, lastUsedSeen: moved ? moved.at : record.lastUsedSeen };
}
