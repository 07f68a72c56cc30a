import { describeError } from "../errors.js";
import type { Log } from "../log.js";
import type { AlertPublisher } from "../ports.js";
import { renderHoneyUseAlert } from "./alert.js";
import type { HoneyKeyRecord } from "./model.js";
import type { HoneyKeyStore } from "./ports.js";
import { type HoneyUse, testNonceOf } from "./use.js";

export interface HoneyUseDeps {
  readonly store: HoneyKeyStore;
  readonly alerts: AlertPublisher;
  readonly now: () => Date;
  /** Seconds during which one source IP's further uses of one key raise no alert. */
  readonly cooldownSeconds: number;
  readonly log: Log;
}

export type HoneyUseOutcome =
  /** The key has no honey record: not a honey key (the event goes to the rest of the responder). */
  | { readonly kind: "not-honey" }
  | { readonly kind: "alerted"; readonly test: boolean }
  /** Recorded; this (key, source IP) was alerted on within the cooldown. */
  | { readonly kind: "cooldown" };

/** The use carries the nonce of an `lkr honeykey test` still pending on the record. */
function isPendingTest(record: HoneyKeyRecord, use: HoneyUse, now: Date): boolean {
  const nonce = testNonceOf(use.userAgent);
  return (
    nonce !== undefined &&
    record.testNonce === nonce &&
    record.testUntil !== undefined &&
    Date.parse(record.testUntil) >= now.getTime()
  );
}

/**
 * A call made with a honey key: record it, then alert unless this source IP was alerted on within
 * the cooldown (a new IP always alerts). Nothing in IAM is touched: the key is powerless already and
 * stays active, so further uses are seen. A failed publish gives the claim back and throws (retried,
 * then the DLQ).
 */
export async function handleHoneyUse(use: HoneyUse, deps: HoneyUseDeps): Promise<HoneyUseOutcome> {
  const record = await deps.store.get(use.accessKeyId);
  if (record === undefined) return { kind: "not-honey" };
  const now = deps.now();
  const nowIso = now.toISOString();
  const seen = await deps.store.recordUse(use, nowIso);
  const test = isPendingTest(record, use, now);
  const cutoff = new Date(now.getTime() - deps.cooldownSeconds * 1000).toISOString();
  const claimed =
    test || (await deps.store.claimAlert(use.accessKeyId, use.sourceIp, use.eventId, nowIso, cutoff));
  const fields = {
    accessKeyId: use.accessKeyId,
    sourceIp: use.sourceIp,
    call: use.call,
    eventId: use.eventId,
  };
  if (!claimed) {
    deps.log.info("honey key use recorded, alert in cooldown", { ...fields, duplicate: seen === "seen" });
    return { kind: "cooldown" };
  }
  try {
    await deps.alerts.publish(renderHoneyUseAlert(record, use, test));
  } catch (error) {
    if (!test) {
      await deps.store.releaseAlert(use.accessKeyId, use.sourceIp, use.eventId).catch((e: unknown) => {
        deps.log.error("honey alert claim not given back", { ...fields, error: describeError(e) });
      });
    }
    throw error;
  }
  await deps.store.markAlerted(use, deps.now().toISOString()).catch((e: unknown) => {
    deps.log.error("honey alert not marked on the record", { ...fields, error: describeError(e) });
  });
  deps.log.warn("honey key used: alerted", { ...fields, placement: record.placement, test });
  return { kind: "alerted", test };
}
