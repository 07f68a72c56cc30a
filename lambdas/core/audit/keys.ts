import type { CredentialUser, KeySlot } from "./report.js";

/**
 * The report shows two key slots and no key ids; ListAccessKeys names the keys with their
 * CreateDate. A slot is the key created when the slot was last rotated: matched on
 * `access_key_N_last_rotated` == CreateDate to the second (and the same status when two keys share
 * that second). Keys the report does not show (created after it was generated, or ambiguous) get
 * their last use from GetAccessKeyLastUsed.
 */

/** One key of ListAccessKeys. */
export interface ListedKey {
  readonly accessKeyId: string;
  readonly status: "Active" | "Inactive";
  /** ISO instant. */
  readonly createDate: string;
}

/** GetAccessKeyLastUsed's answer. */
export interface KeyLastUsed {
  readonly lastUsed: string | undefined;
  readonly service: string | undefined;
  readonly region: string | undefined;
}

/** Everything the rules know about one access key. */
export interface KeyFacts {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly active: boolean;
  readonly createdAt: string;
  readonly lastUsed: string | undefined;
  readonly lastUsedService: string | undefined;
  /** Where the last use came from. */
  readonly usageFrom: "credential-report" | "get-access-key-last-used";
  /** The report slot the key sits in, when matched. */
  readonly slot: 1 | 2 | undefined;
}

function sameSecond(a: string, b: string): boolean {
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
}

/** Each listed key with the one report slot that is it, or undefined when no slot is unambiguously it. */
export function matchKeySlots(
  slots: readonly KeySlot[],
  keys: readonly ListedKey[],
): { key: ListedKey; slot: KeySlot | undefined }[] {
  const bySlot = new Map<KeySlot, ListedKey>();
  for (const slot of slots) {
    const { lastRotated } = slot;
    if (lastRotated === undefined) continue;
    const sameTime = keys.filter((k) => sameSecond(k.createDate, lastRotated));
    const candidates =
      sameTime.length > 1 ? sameTime.filter((k) => (k.status === "Active") === slot.active) : sameTime;
    const [only, ...more] = candidates;
    if (only !== undefined && more.length === 0) bySlot.set(slot, only);
  }
  // Two slots claiming one key (same second, same status) are both ambiguous.
  const claims = new Map<string, number>();
  for (const key of bySlot.values()) claims.set(key.accessKeyId, (claims.get(key.accessKeyId) ?? 0) + 1);
  return keys.map((key) => {
    const slot = [...bySlot.entries()].find(
      ([, k]) => k.accessKeyId === key.accessKeyId && claims.get(key.accessKeyId) === 1,
    )?.[0];
    return { key, slot };
  });
}

/** The keys whose last use the report cannot tell: GetAccessKeyLastUsed asks IAM for these. */
export function keysNeedingLastUsed(user: CredentialUser, keys: readonly ListedKey[]): string[] {
  return matchKeySlots(user.keySlots, keys)
    .filter((m) => m.slot === undefined)
    .map((m) => m.key.accessKeyId);
}

/** The facts of every listed key of the user: usage from its report slot, else from `lastUsed`. */
export function keyFactsOf(
  user: CredentialUser,
  keys: readonly ListedKey[],
  lastUsed: ReadonlyMap<string, KeyLastUsed>,
): KeyFacts[] {
  return matchKeySlots(user.keySlots, keys).map(({ key, slot }) => {
    const base = {
      userName: user.userName,
      accessKeyId: key.accessKeyId,
      active: key.status === "Active",
      createdAt: new Date(key.createDate).toISOString(),
    };
    if (slot !== undefined) {
      return {
        ...base,
        lastUsed: slot.lastUsed,
        lastUsedService: slot.lastUsedService,
        usageFrom: "credential-report",
        slot: slot.slot,
      };
    }
    const used = lastUsed.get(key.accessKeyId);
    return {
      ...base,
      lastUsed: used?.lastUsed,
      lastUsedService: used?.service,
      usageFrom: "get-access-key-last-used",
      slot: undefined,
    };
  });
}
