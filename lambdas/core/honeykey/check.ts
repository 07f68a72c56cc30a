import { describeError } from "../errors.js";
import type { Log } from "../log.js";
import type { AlertPublisher } from "../ports.js";
import { renderSafetyNetAlert } from "./alert.js";
import type { HoneyIamReader, HoneyKeyStore } from "./ports.js";
import { checkHoneyKey, type FindingKind, type SafetyNetOptions } from "./safety-net.js";

export interface HoneyCheckDeps {
  readonly store: HoneyKeyStore;
  /** IAM of the function's own account. */
  readonly iam: HoneyIamReader;
  /**
   * IAM of another account of the Organization (through its member role), for honey keys planted
   * there; absent in a single-account deployment (those keys are then skipped).
   */
  readonly memberIam?: (accountId: string) => Promise<HoneyIamReader>;
  readonly alerts: AlertPublisher;
  readonly log: Log;
}

export interface HoneyCheckResult {
  readonly checked: number;
  /** Keys of other accounts with no member role to read them through. */
  readonly skipped: number;
  readonly alerts: readonly { readonly accessKeyId: string; readonly kind: FindingKind }[];
}

/**
 * The scheduled safety net over every honey key of `accountId`, and of the member accounts when
 * `memberIam` reaches them (an unreachable member account fails that key's check, not the others'):
 * one critical alert per finding;
 * the last-used date examined is kept only after its alert went out, so a failed publish alerts
 * again on the next run. One key's failure does not stop the others; the run then fails as a whole.
 */
export async function runHoneyCheck(
  accountId: string | undefined,
  deps: HoneyCheckDeps,
  options: SafetyNetOptions,
): Promise<HoneyCheckResult> {
  const records = await deps.store.list();
  const alerts: { accessKeyId: string; kind: FindingKind }[] = [];
  const failures: unknown[] = [];
  let checked = 0;
  let skipped = 0;
  for (const record of records) {
    const member = accountId !== undefined && record.accountId !== accountId;
    if (member && deps.memberIam === undefined) {
      skipped++;
      continue;
    }
    try {
      const iam = member && deps.memberIam ? await deps.memberIam(record.accountId) : deps.iam;
      const facts = await iam.facts(record.userName, record.accessKeyId);
      const verdict = checkHoneyKey(record, facts, options);
      for (const finding of verdict.findings) {
        await deps.alerts.publish(renderSafetyNetAlert(record, finding));
        alerts.push({ accessKeyId: record.accessKeyId, kind: finding.kind });
        deps.log.warn("honey key safety net alert", { accessKeyId: record.accessKeyId, kind: finding.kind });
      }
      if (verdict.lastUsedSeen !== undefined && verdict.lastUsedSeen !== record.lastUsedSeen) {
        await deps.store.markLastUsedSeen(record.accessKeyId, verdict.lastUsedSeen);
      }
      checked++;
    } catch (error) {
      deps.log.error("honey key not checked", {
        accessKeyId: record.accessKeyId,
        accountId: record.accountId,
        error: describeError(error),
      });
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} honey keys not checked`);
  return { checked, skipped, alerts };
}
