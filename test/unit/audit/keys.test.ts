import { describe, expect, it } from "vitest";
import {
  keyFactsOf,
  keysNeedingLastUsed,
  type ListedKey,
  matchKeySlots,
} from "../../../lambdas/core/audit/keys.js";
import { guardianUsers } from "./support.js";

const KEY1 = "AKIAKEY1EXAMPLE00001";
const KEY2 = "AKIAKEY2EXAMPLE00002";
const users = guardianUsers();
const twoKeys = users.get("with-disabled-key");
if (twoKeys === undefined) throw new Error("fixture lacks with-disabled-key");

/** ListAccessKeys of the published user: key 1 inactive (2017-04-19), key 2 active (2016-07-29), sub-second dates. */
const listed: ListedKey[] = [
  { accessKeyId: KEY2, status: "Active", createDate: "2016-07-29T09:20:20.412Z" },
  { accessKeyId: KEY1, status: "Inactive", createDate: "2017-04-19T15:47:39.900Z" },
];

describe("matching report slots to ListAccessKeys", () => {
  it("matches each slot to the key created when it was last rotated, whatever order IAM lists them in", () => {
    const matched = matchKeySlots(twoKeys.keySlots, listed);
    expect(matched.map((m) => [m.key.accessKeyId, m.slot?.slot])).toEqual([
      [KEY2, 2],
      [KEY1, 1],
    ]);
  });

  it("takes each key's use from its own slot (key 2's use never lands on key 1: Prowler PR #2847)", () => {
    const facts = keyFactsOf(twoKeys, listed, new Map());
    expect(facts).toEqual([
      expect.objectContaining({
        accessKeyId: KEY2,
        active: true,
        lastUsed: "2017-05-24T11:35:00.000Z",
        slot: 2,
      }),
      expect.objectContaining({
        accessKeyId: KEY1,
        active: false,
        lastUsed: "2017-04-19T15:48:00.000Z",
        slot: 1,
      }),
    ]);
    expect(keysNeedingLastUsed(twoKeys, listed)).toEqual([]);
  });

  it("asks GetAccessKeyLastUsed for a key the report does not show (created after the report)", () => {
    const newer: ListedKey = { accessKeyId: KEY1, status: "Active", createDate: "2026-11-30T10:00:00Z" };
    const user = users.get("credential-user");
    if (user === undefined) throw new Error("fixture");
    expect(keysNeedingLastUsed(user, [newer])).toEqual([KEY1]);
    const facts = keyFactsOf(
      user,
      [newer],
      new Map([[KEY1, { lastUsed: undefined, service: undefined, region: undefined }]]),
    );
    expect(facts).toEqual([
      expect.objectContaining({
        accessKeyId: KEY1,
        lastUsed: undefined,
        usageFrom: "get-access-key-last-used",
        slot: undefined,
      }),
    ]);
  });

  it("tells two keys created in one second apart by status, and asks IAM when even that is equal", () => {
    const second = "2016-07-29T09:20:20";
    const byStatus: ListedKey[] = [
      { accessKeyId: KEY1, status: "Inactive", createDate: `${second}.100Z` },
      { accessKeyId: KEY2, status: "Active", createDate: `${second}.200Z` },
    ];
    const slots = [
      { ...twoKeys.keySlots[0], lastRotated: `${second}.000Z`, active: false },
      { ...twoKeys.keySlots[1], lastRotated: `${second}.000Z`, active: true },
    ] as const;
    expect(matchKeySlots(slots, byStatus).map((m) => m.slot?.slot)).toEqual([1, 2]);
    const sameStatus = byStatus.map((k) => ({ ...k, status: "Active" as const }));
    const bothActive = [{ ...slots[0], active: true }, slots[1]];
    expect(
      keysNeedingLastUsed({ ...twoKeys, keySlots: [bothActive[0], bothActive[1]] as never }, sameStatus),
    ).toEqual([KEY1, KEY2]);
  });

  it("drops a slot whose key is gone since the report (no key, no finding)", () => {
    expect(keyFactsOf(twoKeys, [listed[0] as ListedKey], new Map()).map((k) => k.accessKeyId)).toEqual([
      KEY2,
    ]);
  });
});
