import { describe, expect, it } from "vitest";
import {
  auditIdOf,
  digestOf,
  isAuditRecordId,
  MAX_FINGERPRINTS,
  MAX_STORED_FINDINGS,
  newFindingsOf,
  recordOf,
  renderDigestAlert,
  shouldAlert,
} from "../../../lambdas/core/audit/digest.js";
import { type Finding, fingerprintOf } from "../../../lambdas/core/audit/findings.js";
import { NOW } from "./support.js";

const f = (kind: Finding["kind"], userName: string, accessKeyId: string | null, risk: number): Finding => ({
  kind,
  userName,
  accessKeyId,
  risk,
  detail: `${kind} of ${userName}`,
});
const OLD = f("key-old", "alice", "AKIAALICEALICEALICE1", 55);
const ROOT = { ...f("root-key", "<root_account>", null, 90), keySlot: 1 as const };
const MFA = f("console-without-mfa", "bob", null, 50);

describe("the audit digest", () => {
  it("is one record per UTC day under audit#, which incident listings skip", () => {
    expect(auditIdOf(NOW)).toBe("audit#2026-12-01");
    expect(isAuditRecordId("audit#latest")).toBe(true);
    expect(isAuditRecordId("123456789012-AKIAALICEALICEALICE1")).toBe(false);
  });

  it("counts by kind and tells new findings from those of the last audit", () => {
    const first = digestOf({
      accountId: "123456789012",
      now: NOW,
      reportGeneratedAt: undefined,
      findings: [ROOT, OLD],
      previous: undefined,
    });
    expect(first.newFindings).toEqual([ROOT, OLD]);
    expect(first.counts["root-key"]).toBe(1);
    expect(first.counts["key-old"]).toBe(1);
    const second = digestOf({
      accountId: "123456789012",
      now: NOW,
      reportGeneratedAt: undefined,
      findings: [ROOT, OLD, MFA],
      previous: recordOf(first),
    });
    expect(second.newFindings).toEqual([MFA]);
  });

  it("alerts every run with findings in `all` mode, only new ones in `change-only`", () => {
    const same = digestOf({
      accountId: "123456789012",
      now: NOW,
      reportGeneratedAt: undefined,
      findings: [OLD],
      previous: recordOf(
        digestOf({
          accountId: "123456789012",
          now: NOW,
          reportGeneratedAt: undefined,
          findings: [OLD],
          previous: undefined,
        }),
      ),
    });
    expect(shouldAlert(same, "all")).toBe(true);
    expect(shouldAlert(same, "change-only")).toBe(false);
    const none = { ...same, findings: [], newFindings: [] };
    expect(shouldAlert(none, "all")).toBe(false);
  });

  it("counts everything as new when the last audit's fingerprints were cut short", () => {
    expect(newFindingsOf([OLD], { fingerprints: [fingerprintOf(OLD)], fingerprintsComplete: false })).toEqual(
      [OLD],
    );
    expect(newFindingsOf([OLD], { fingerprints: [fingerprintOf(OLD)], fingerprintsComplete: true })).toEqual(
      [],
    );
  });

  it("tells root's two key slots apart by fingerprint", () => {
    expect(fingerprintOf(ROOT)).not.toBe(fingerprintOf({ ...ROOT, keySlot: 2 }));
    expect(fingerprintOf(OLD)).toBe("key-old:alice:AKIAALICEALICEALICE1");
  });

  it("stores whole counts, and says when findings or fingerprints were cut to fit an item", () => {
    const many = Array.from({ length: MAX_FINGERPRINTS + 1 }, (_, i) => f("key-old", `u${i}`, null, 30));
    const record = recordOf(
      digestOf({
        accountId: "123456789012",
        now: NOW,
        reportGeneratedAt: undefined,
        findings: many,
        previous: undefined,
      }),
    );
    expect(record.total).toBe(many.length);
    expect(record.findings).toHaveLength(MAX_STORED_FINDINGS);
    expect(record.findingsComplete).toBe(false);
    expect(record.fingerprintsComplete).toBe(false);
  });

  it("renders email text, Chatbot JSON and machine JSON with counts and the worst keys", () => {
    const digest = digestOf({
      accountId: "123456789012",
      now: NOW,
      reportGeneratedAt: "2026-11-30T23:00:00.000Z",
      findings: [ROOT, OLD, MFA],
      previous: undefined,
    });
    const alert = renderDigestAlert(digest, { topN: 2, mode: "all" });
    expect(alert.subject).toBe("Key hygiene: 3 findings (3 new) in 123456789012");
    expect(alert.text).toContain("  - root-key: 1");
    expect(alert.text).toContain(
      "  - risk 90  root-key  <root_account>  root key 1  root-key of <root_account>",
    );
    expect(alert.text).toContain("AKIA...ICE1");
    expect(alert.text).not.toContain("console-without-mfa  bob");
    const chat = JSON.parse(alert.chat);
    expect(chat).toMatchObject({
      version: "1.0",
      source: "custom",
      metadata: { threadId: "audit#2026-12-01" },
    });
    expect(chat.content.title).toMatch(/^:rotating_light: Key hygiene/);
    const machine = JSON.parse(alert.machine);
    expect(machine).toMatchObject({ total: 3, newCount: 3, counts: { "root-key": 1, "key-old": 1 } });
    expect(machine.findings.map((x: Finding) => x.kind)).toEqual(["root-key", "key-old"]);
  });
});
