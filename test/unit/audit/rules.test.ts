import { describe, expect, it } from "vitest";
import { type AuditFacts, evaluateAudit } from "../../../lambdas/core/audit/evaluate.js";
import type { KeyFacts } from "../../../lambdas/core/audit/keys.js";
import { parseCredentialReport } from "../../../lambdas/core/audit/report.js";
import {
  type AdminScope,
  adminKey,
  consoleWithoutMfa,
  DEFAULT_THRESHOLDS,
  keyNeverUsed,
  keyOld,
  keyUnused,
  rootKey,
  rootRecentUse,
  twoActiveKeys,
} from "../../../lambdas/core/audit/rules.js";
import { daysAgo, guardianUsers, key, NOW, withRow } from "./support.js";

const ctx = { now: NOW, thresholds: DEFAULT_THRESHOLDS };
const NOT_ADMIN: AdminScope = { admin: false, via: [] };
const users = guardianUsers();
const user = (name: string) => {
  const u = users.get(name);
  if (u === undefined) throw new Error(`fixture lacks ${name}`);
  return u;
};
const verdict = (a: { verdict: string }) => a.verdict;

describe("key rules: good and bad cases", () => {
  it.each([
    ["an active key of 91 days", key({ createdAt: daysAgo(91) }), "act"],
    ["an active key of 90 days", key({ createdAt: daysAgo(90) }), "dont"],
    // Prowler PR #1929, Steampipe #909: an inactive key is not "unrotated".
    ["an inactive key of 900 days", key({ createdAt: daysAgo(900), active: false }), "n/a"],
  ])("key-old: %s → %s", (_what, k, expected) => {
    expect(verdict(keyOld.check(k, [k], NOT_ADMIN, ctx))).toBe(expected);
  });

  it.each([
    ["last used 46 days ago", key({ createdAt: daysAgo(400), lastUsed: daysAgo(46) }), "act"],
    ["last used 45 days ago", key({ createdAt: daysAgo(400), lastUsed: daysAgo(45) }), "dont"],
    // Custodian #6732 / PR #10053: created long ago but in use is not unused.
    ["created 400 days ago, used yesterday", key({ createdAt: daysAgo(400), lastUsed: daysAgo(1) }), "dont"],
    ["never used (the never-used rule's)", key({ createdAt: daysAgo(400), lastUsed: undefined }), "n/a"],
    ["inactive, unused for a year", key({ active: false, lastUsed: daysAgo(365) }), "n/a"],
  ])("key-unused: %s → %s", (_what, k, expected) => {
    expect(verdict(keyUnused.check(k, [k], NOT_ADMIN, ctx))).toBe(expected);
  });

  it.each([
    ["never used, created 8 days ago", key({ createdAt: daysAgo(8), lastUsed: undefined }), "act"],
    // Prowler #645: a new key that simply has not been used yet.
    ["never used, created 2 days ago", key({ createdAt: daysAgo(2), lastUsed: undefined }), "n/a"],
    ["used once", key({ createdAt: daysAgo(30), lastUsed: daysAgo(29) }), "n/a"],
    ["inactive, never used", key({ createdAt: daysAgo(30), lastUsed: undefined, active: false }), "n/a"],
  ])("key-never-used: %s → %s", (_what, k, expected) => {
    expect(verdict(keyNeverUsed.check(k, [k], NOT_ADMIN, ctx))).toBe(expected);
  });

  const older = key({ accessKeyId: "AKIAOLDEROLDEROLDER1", createdAt: daysAgo(50) });
  const newer = key({ accessKeyId: "AKIANEWERNEWERNEWER2", createdAt: daysAgo(5) });
  it.each([
    ["the older of two active keys", older, [older, newer], "act"],
    ["the newer of two active keys", newer, [older, newer], "n/a"],
    ["an active key beside an inactive one", older, [older, { ...newer, active: false }], "dont"],
    ["the only key", older, [older], "dont"],
  ])("two-active-keys: %s → %s", (_what, k, siblings, expected) => {
    expect(verdict(twoActiveKeys.check(k, siblings, NOT_ADMIN, ctx))).toBe(expected);
  });

  it("admin-key: an admin user's active key acts, a non-admin's does not, an inactive key is n/a", () => {
    const admin = { admin: true, via: ["AdministratorAccess"] };
    expect(adminKey.check(key(), [], admin, ctx)).toEqual({
      verdict: "act",
      detail: "admin-equivalent via AdministratorAccess",
    });
    expect(verdict(adminKey.check(key(), [], NOT_ADMIN, ctx))).toBe("dont");
    expect(verdict(adminKey.check(key({ active: false }), [], admin, ctx))).toBe("n/a");
  });

  it("admin-key: an unreadable admin scope throws (the audit reports it as a rule error)", () => {
    expect(() => adminKey.check(key(), [], { error: "AccessDenied" }, ctx)).toThrow(/AccessDenied/);
  });
});

describe("user and root rules on published rows", () => {
  it("console-without-mfa: a console user without MFA acts; with MFA, or without console, does not", () => {
    const noMfa = parseCredentialReport(withRow("IAM-user", { mfa_active: "false" })).find(
      (u) => u.userName === "IAM-user",
    );
    if (noMfa === undefined) throw new Error("fixture");
    expect(verdict(consoleWithoutMfa.check(noMfa, ctx))).toBe("act");
    expect(verdict(consoleWithoutMfa.check(user("IAM-user"), ctx))).toBe("dont");
    expect(verdict(consoleWithoutMfa.check(user("credential-user"), ctx))).toBe("n/a");
    expect(verdict(consoleWithoutMfa.check(user("<root_account>"), ctx))).toBe("dont");
  });

  it("root-recent-use: root's password used within 30 days acts; the published 2016 use does not", () => {
    expect(verdict(rootRecentUse.check(user("<root_account>"), ctx))).toBe("dont");
    const recent = parseCredentialReport(
      withRow("<root_account>", { password_last_used: "2026-11-20T08:00:00+00:00" }),
    )[0];
    if (recent === undefined) throw new Error("fixture");
    expect(rootRecentUse.check(recent, ctx)).toMatchObject({ verdict: "act", days: 10 });
    expect(verdict(rootRecentUse.check(user("IAM-user"), ctx))).toBe("n/a");
  });

  it("root-key: a root key in a slot acts (active or not); the published root has none", () => {
    const root = user("<root_account>");
    expect(root.keySlots.map((s) => verdict(rootKey.check(s, ctx)))).toEqual(["dont", "dont"]);
    const withKey = parseCredentialReport(
      withRow("<root_account>", {
        access_key_1_active: "true",
        access_key_1_last_rotated: "2016-01-01T00:00:00+00:00",
      }),
    )[0];
    expect(withKey?.keySlots.map((s) => verdict(rootKey.check(s, ctx)))).toEqual(["act", "dont"]);
  });
});

const A1 = "AKIAUSERAKEY00000001";
const A2 = "AKIAUSERAKEY00000002";

function facts(keys: readonly KeyFacts[], extra: Partial<AuditFacts> = {}): AuditFacts {
  const u = user("with-disabled-key");
  return {
    users: [u],
    keysByUser: new Map([[u.userName, keys.map((k) => ({ ...k, userName: u.userName }))]]),
    adminByUser: new Map([[u.userName, NOT_ADMIN]]),
    incidentsByKey: new Map(),
    ...extra,
  };
}
const summary = (f: ReturnType<typeof evaluateAudit>) => f.map((x) => `${x.kind} ${x.accessKeyId}`).sort();

describe("evaluateAudit: per key, never per user (regressions of other scanners)", () => {
  it("flags only the key that matches: the user's other key gets nothing of it (Custodian #5583)", () => {
    const old = key({ accessKeyId: A1, createdAt: daysAgo(200), lastUsed: daysAgo(1) });
    const fresh = key({ accessKeyId: A2, createdAt: daysAgo(3), lastUsed: daysAgo(1), active: false });
    expect(summary(evaluateAudit(facts([old, fresh]), ctx))).toEqual([`key-old ${A1}`]);
  });

  it("reports two old keys as two findings, one per key id (Prowler #1915)", () => {
    const k1 = key({ accessKeyId: A1, createdAt: daysAgo(200), lastUsed: daysAgo(1) });
    const k2 = key({ accessKeyId: A2, createdAt: daysAgo(100), lastUsed: daysAgo(1) });
    expect(summary(evaluateAudit(facts([k1, k2]), ctx))).toEqual([
      `key-old ${A1}`,
      `key-old ${A2}`,
      `two-active-keys ${A1}`,
    ]);
  });

  it("keeps key 1's and key 2's unused findings apart, each with its own days (Prowler PR #2847)", () => {
    const k1 = key({ accessKeyId: A1, createdAt: daysAgo(80), lastUsed: daysAgo(70) });
    const k2 = key({ accessKeyId: A2, createdAt: daysAgo(60), lastUsed: daysAgo(50) });
    const found = evaluateAudit(facts([k1, k2]), ctx).filter((f) => f.kind === "key-unused");
    expect(found.map((f) => [f.accessKeyId, f.days])).toEqual(
      expect.arrayContaining([
        [A1, 70],
        [A2, 50],
      ]),
    );
    expect(found).toHaveLength(2);
  });

  it("does not count the published inactive key 1 as unrotated (Prowler PR #1929, Steampipe #909)", () => {
    const u = user("with-disabled-key");
    const published = [
      key({
        accessKeyId: A1,
        active: false,
        createdAt: "2017-04-19T15:47:39.000Z",
        lastUsed: "2017-04-19T15:48:00.000Z",
      }),
      key({
        accessKeyId: A2,
        active: true,
        createdAt: "2016-07-29T09:20:20.000Z",
        lastUsed: "2017-05-24T11:35:00.000Z",
      }),
    ];
    const found = evaluateAudit(facts(published), ctx);
    expect(found.every((f) => f.accessKeyId === A2 && f.userName === u.userName)).toBe(true);
    expect(summary(found)).toEqual([`key-old ${A2}`, `key-unused ${A2}`]);
  });

  it("does not flag a new unused key within its grace period as never used (Prowler #645)", () => {
    expect(
      evaluateAudit(facts([key({ accessKeyId: A1, createdAt: daysAgo(2), lastUsed: undefined })]), ctx),
    ).toEqual([]);
  });

  it("does not call a key in use old-unused by its creation age (Custodian #6732)", () => {
    const inUse = key({ accessKeyId: A1, createdAt: daysAgo(400), lastUsed: daysAgo(0) });
    expect(summary(evaluateAudit(facts([inUse]), ctx))).toEqual([`key-old ${A1}`]);
  });

  it("reports an unreadable admin scope as a rule error on the key (fails closed, never skipped)", () => {
    const k = key({ accessKeyId: A1 });
    const found = evaluateAudit(facts([k], { adminByUser: new Map() }), ctx);
    expect(found).toEqual([
      expect.objectContaining({
        kind: "rule-error",
        accessKeyId: A1,
        detail: expect.stringMatching(/^admin-key could not be decided/),
      }),
    ]);
  });

  it("orders by risk: an admin's exposed key above a plain one; root's key above all", () => {
    const plain = key({ accessKeyId: A1, createdAt: daysAgo(200) });
    const u = user("with-disabled-key");
    const other = { ...user("credential-user") };
    const root = parseCredentialReport(
      withRow("<root_account>", {
        access_key_1_active: "true",
        access_key_1_last_rotated: "2016-01-01T00:00:00+00:00",
      }),
    )[0];
    if (root === undefined) throw new Error("fixture");
    const found = evaluateAudit(
      {
        users: [root, u, other],
        keysByUser: new Map([
          [u.userName, [{ ...plain, userName: u.userName }]],
          [
            other.userName,
            [{ ...key({ accessKeyId: A2, createdAt: daysAgo(200) }), userName: other.userName }],
          ],
        ]),
        adminByUser: new Map([
          [u.userName, NOT_ADMIN],
          [other.userName, { admin: true, via: ["AdministratorAccess"] }],
        ]),
        incidentsByKey: new Map([[A2, [`123456789012-${A2}`]]]),
      },
      ctx,
    );
    expect(found.map((f) => `${f.kind} ${f.userName}`)).toEqual([
      "root-key <root_account>",
      "key-old credential-user",
      "admin-key credential-user",
      "key-old with-disabled-key",
    ]);
    expect(found[1]).toMatchObject({ admin: true, incidents: [`123456789012-${A2}`], risk: 75 });
    expect(found[3]?.risk).toBe(30);
  });
});
