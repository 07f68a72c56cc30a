import { describe, expect, it } from "vitest";
import { runScheduledAudit, type ScheduledAuditDeps } from "../../../lambdas/core/audit/audit.js";
import type { AuditRecord } from "../../../lambdas/core/audit/digest.js";
import {
  type Announcement,
  type EnforcementDetail,
  enforcementSignalsOf,
  formatEnforcementPolicy,
  MAX_ANNOUNCEMENTS,
  parseEnforcementPolicy,
  planAnnouncements,
  unannouncedBecause,
  withDisableDates,
} from "../../../lambdas/core/audit/enforcement.js";
import type { Finding } from "../../../lambdas/core/audit/findings.js";
import type { ListedKey } from "../../../lambdas/core/audit/keys.js";
import { DEFAULT_THRESHOLDS } from "../../../lambdas/core/audit/rules.js";
import type { RenderedAlert } from "../../../lambdas/core/ports.js";
import { NOW, reportFixture } from "./support.js";

const DAY = 86_400_000;
const KEY = "AKIAIOSFODNN7EXAMPLE";
const OTHER = "AKIAI44QH8DHBEXAMPLE";
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    kind: "key-old",
    userName: "alice",
    accessKeyId: KEY,
    risk: 60,
    detail: "created 120 days ago (rotate every 90)",
    ...overrides,
  };
}

describe("parseEnforcementPolicy", () => {
  it("reads kind=days per enforced kind, and writes it back in a fixed order", () => {
    const policy = parseEnforcementPolicy("key-unused=14, key-old=30,admin-key=0");
    expect(policy).toEqual({ "key-old": 30, "key-unused": 14, "admin-key": 0 });
    expect(formatEnforcementPolicy(policy)).toBe("key-old=30,key-unused=14,admin-key=0");
    expect(parseEnforcementPolicy(" ")).toEqual({});
  });

  it.each([
    ["root-key=1", /"root-key" is not an enforceable kind/],
    ["console-without-mfa=1", /"console-without-mfa" is not an enforceable kind/],
    ["key-old=366", /key-old=366: days out of range/],
    ["key-old=-1", /"key-old=-1" is not kind=days/],
    ["key-old", /"key-old" is not kind=days/],
  ])("refuses %s (root keys and console users have no key the responder may disable)", (text, message) => {
    expect(() => parseEnforcementPolicy(text)).toThrow(message);
  });
});

describe("planAnnouncements", () => {
  const policy = { "key-old": 30 } as const;

  it("announces a finding of an enforced kind, due the notice period from now; other kinds are only reported", () => {
    const plan = planAnnouncements({
      findings: [finding(), finding({ kind: "key-unused", accessKeyId: OTHER })],
      previous: [],
      policy,
      exemptPrincipals: [],
      now: NOW,
    });
    const announced: Announcement = {
      kind: "key-old",
      userName: "alice",
      accessKeyId: KEY,
      announcedAt: NOW.toISOString(),
      dueAt: at(30).toISOString(),
    };
    expect(plan).toEqual({ announcements: [announced], fresh: [announced], cleared: [], due: [] });
  });

  it("keeps the announcement's date from one audit to the next, and makes it due once the date has passed", () => {
    const first = planAnnouncements({
      findings: [finding()],
      previous: [],
      policy,
      exemptPrincipals: [],
      now: NOW,
    });
    const tomorrow = planAnnouncements({
      findings: [finding()],
      previous: first.announcements,
      policy: { "key-old": 5 },
      exemptPrincipals: [],
      now: at(1),
    });
    expect(tomorrow.announcements).toEqual(first.announcements);
    expect(tomorrow.fresh).toEqual([]);
    expect(tomorrow.due).toEqual([]);
    const later = planAnnouncements({
      findings: [finding()],
      previous: first.announcements,
      policy,
      exemptPrincipals: [],
      now: at(30),
    });
    expect(later.due).toEqual(first.announcements);
  });

  it("clears the announcement of a key that stops matching (rotated, used, deactivated) or whose kind is no longer enforced", () => {
    const first = planAnnouncements({
      findings: [finding()],
      previous: [],
      policy,
      exemptPrincipals: [],
      now: NOW,
    });
    const fixed = planAnnouncements({
      findings: [],
      previous: first.announcements,
      policy,
      exemptPrincipals: [],
      now: at(31),
    });
    expect(fixed).toEqual({ announcements: [], fresh: [], cleared: first.announcements, due: [] });
    const off = planAnnouncements({
      findings: [finding()],
      previous: first.announcements,
      policy: {},
      exemptPrincipals: [],
      now: at(31),
    });
    expect(off.cleared).toEqual(first.announcements);
    expect(off.due).toEqual([]);
  });

  it("never announces an exempt user's key (names compared as IAM does, without case)", () => {
    const plan = planAnnouncements({
      findings: [finding({ userName: "BreakGlass" })],
      previous: [],
      policy,
      exemptPrincipals: ["breakglass"],
      now: NOW,
    });
    expect(plan.announcements).toEqual([]);
  });

  it("announces the worst keys first when there are more than it can keep, and keeps what it announced before", () => {
    const findings = Array.from({ length: MAX_ANNOUNCEMENTS + 5 }, (_, i) =>
      finding({ accessKeyId: `AKIA${String(i).padStart(16, "0")}` }),
    );
    const plan = planAnnouncements({ findings, previous: [], policy, exemptPrincipals: [], now: NOW });
    expect(plan.announcements).toHaveLength(MAX_ANNOUNCEMENTS);
    expect(plan.announcements[0]?.accessKeyId).toBe(findings[0]?.accessKeyId);
  });

  it("dates the findings it announced (disableOn), and no other", () => {
    const plan = planAnnouncements({
      findings: [finding()],
      previous: [],
      policy,
      exemptPrincipals: [],
      now: NOW,
    });
    const dated = withDisableDates([finding(), finding({ kind: "key-unused" })], plan.announcements);
    expect(dated.map((f) => f.disableOn)).toEqual(["2026-12-31", undefined]);
  });
});

describe("enforcementSignalsOf", () => {
  it("sends one signal per key, naming every kind due on it and the earliest date", () => {
    const due: Announcement[] = [
      {
        kind: "key-old",
        userName: "alice",
        accessKeyId: KEY,
        announcedAt: "a",
        dueAt: "2026-12-05T00:00:00.000Z",
      },
      {
        kind: "admin-key",
        userName: "alice",
        accessKeyId: KEY,
        announcedAt: "a",
        dueAt: "2026-12-01T00:00:00.000Z",
      },
      {
        kind: "key-old",
        userName: "bob",
        accessKeyId: OTHER,
        announcedAt: "a",
        dueAt: "2026-12-02T00:00:00.000Z",
      },
    ];
    expect(enforcementSignalsOf(due, { auditId: "audit#2026-12-09", accountId: "123456789012" })).toEqual([
      {
        accountId: "123456789012",
        accessKeyId: KEY,
        userName: "alice",
        kinds: ["key-old", "admin-key"],
        dueAt: "2026-12-01T00:00:00.000Z",
        auditId: "audit#2026-12-09",
      },
      {
        accountId: "123456789012",
        accessKeyId: OTHER,
        userName: "bob",
        kinds: ["key-old"],
        dueAt: "2026-12-02T00:00:00.000Z",
        auditId: "audit#2026-12-09",
      },
    ]);
  });
});

describe("unannouncedBecause (the respond function's check of a signal)", () => {
  const announcement: Announcement = {
    kind: "key-old",
    userName: "alice",
    accessKeyId: KEY,
    announcedAt: NOW.toISOString(),
    dueAt: at(30).toISOString(),
  };
  const record = { accountId: "123456789012", announcements: [announcement] };
  const signal = { accountId: "123456789012", accessKeyId: KEY, userName: "alice" };

  it("backs a signal for the announced key of that user, once its date has passed", () => {
    expect(unannouncedBecause(signal, record, at(30))).toBeUndefined();
  });

  it.each([
    ["not due yet", signal, record, at(29), /announced, not due yet/],
    ["another key", { ...signal, accessKeyId: OTHER }, record, at(31), /is not announced/],
    ["another user", { ...signal, userName: "mallory" }, record, at(31), /is not announced/],
    ["another account", { ...signal, accountId: "210987654321" }, record, at(31), /of account 123456789012/],
    ["no audit record", signal, undefined, at(31), /no audit record/],
    ["a record of before enforcement", signal, { accountId: "123456789012" }, at(31), /no audit record/],
  ])("refuses a signal for %s", (_what, s, r, now, reason) => {
    expect(unannouncedBecause(s, r, now)).toMatch(reason);
  });
});

describe("runScheduledAudit with enforcement", () => {
  const KEY2 = "AKIAKEYTWOKEYTWOKEY2";
  const CREDENTIAL_USER_KEY = "AKIACREDCREDCREDCRED";
  const DIFFERENT_REGION_KEY = "AKIADIFFDIFFDIFFDIFF";
  const keys: Record<string, ListedKey[]> = {
    "with-disabled-key": [{ accessKeyId: KEY2, status: "Active", createDate: "2016-07-29T09:20:20Z" }],
    "different-region": [
      { accessKeyId: DIFFERENT_REGION_KEY, status: "Active", createDate: "2015-05-28T15:00:00Z" },
    ],
    "credential-user": [
      { accessKeyId: CREDENTIAL_USER_KEY, status: "Active", createDate: "2015-10-22T14:45:00Z" },
    ],
  };

  function run(previous: AuditRecord | undefined, options: { bus?: boolean } = {}) {
    const steps: string[] = [];
    const records: AuditRecord[] = [];
    const alerts: RenderedAlert[] = [];
    const signals: EnforcementDetail[] = [];
    const deps: ScheduledAuditDeps = {
      report: {
        fetch: async () => ({ csv: reportFixture("guardian-security-hq.csv"), generatedAt: undefined }),
      },
      directory: {
        listKeys: async (user) => keys[user] ?? [],
        lastUsed: async () => ({ lastUsed: undefined, service: undefined, region: undefined }),
        adminScopes: async () => new Map(),
      },
      store: {
        previous: async () => previous,
        record: async (r) => {
          steps.push("record");
          records.push(r);
        },
      },
      alerts: {
        publish: async (a) => {
          steps.push("alert");
          alerts.push(a);
        },
      },
      log: { info: () => {}, warn: () => {}, error: () => {} },
      ...(options.bus === false
        ? {}
        : {
            enforcement: {
              emit: async (d: EnforcementDetail) => {
                steps.push(`emit ${d.accessKeyId}`);
                signals.push(d);
              },
            },
          }),
    };
    return { deps, steps, records, alerts, signals };
  }
  const settings = (now: Date, mode: "all" | "change-only" = "all") => ({
    thresholds: DEFAULT_THRESHOLDS,
    concurrency: 2,
    now,
    mode,
    topN: 10,
    enforcement: { policy: { "key-old": 14 }, exemptPrincipals: ["credential-user"] },
  });

  it("announces first: the digest and its machine JSON say when each key would be disabled; nothing is signalled", async () => {
    const day1 = run(undefined);
    const outcome = await runScheduledAudit(day1.deps, settings(NOW));
    expect(outcome.enforced).toBe(0);
    expect(day1.steps).toEqual(["alert", "record"]);
    expect(day1.records[0]?.announcements?.map((a) => `${a.accessKeyId} ${a.dueAt}`).sort()).toEqual([
      `${DIFFERENT_REGION_KEY} 2026-12-15T00:00:00.000Z`,
      `${KEY2} 2026-12-15T00:00:00.000Z`,
    ]);
    const alert = day1.alerts[0] as RenderedAlert;
    expect(alert.text).toContain("ENFORCEMENT (notify first)");
    expect(alert.text).toMatch(
      /key-old {2}with-disabled-key {2}AKIA\S+ {2}would be disabled on 2026-12-15 \(new\)/,
    );
    expect(alert.text).toMatch(
      /risk \d+ {2}key-old {2}different-region .* \(would be disabled on 2026-12-15\)/,
    );
    const machine = JSON.parse(alert.machine) as {
      findings: Finding[];
      enforcement: { announced: { accessKeyId: string; disableOn: string }[]; due: unknown[] };
    };
    expect(machine.findings.find((f) => f.kind === "key-old" && f.accessKeyId === KEY2)?.disableOn).toBe(
      "2026-12-15",
    );
    // The exempt user's key is reported, never announced.
    expect(
      machine.findings.find((f) => f.accessKeyId === CREDENTIAL_USER_KEY && f.kind === "key-old"),
    ).not.toHaveProperty("disableOn");
    expect(machine.enforcement.announced.map((a) => a.disableOn)).toEqual(["2026-12-15", "2026-12-15"]);
    expect(machine.enforcement.due).toEqual([]);
  });

  it("before the date: no signal; in change-only mode no digest either", async () => {
    const day1 = run(undefined);
    await runScheduledAudit(day1.deps, settings(NOW));
    const day2 = run(day1.records[0]);
    const outcome = await runScheduledAudit(day2.deps, settings(at(13), "change-only"));
    expect(outcome).toMatchObject({ alerted: false, enforced: 0 });
    expect(day2.records[0]?.announcements).toEqual(day1.records[0]?.announcements);
  });

  it("on the date: records first, then hands each due key to the respond function", async () => {
    const day1 = run(undefined);
    await runScheduledAudit(day1.deps, settings(NOW));
    const due = run(day1.records[0]);
    const outcome = await runScheduledAudit(due.deps, settings(at(14)));
    expect(outcome.enforced).toBe(2);
    expect(due.steps.slice(0, 2)).toEqual(["alert", "record"]);
    expect(due.steps.slice(2).sort()).toEqual([`emit ${DIFFERENT_REGION_KEY}`, `emit ${KEY2}`]);
    expect(due.signals.find((s) => s.accessKeyId === KEY2)).toEqual({
      accountId: "0123456789",
      accessKeyId: KEY2,
      userName: "with-disabled-key",
      kinds: ["key-old"],
      dueAt: "2026-12-15T00:00:00.000Z",
      auditId: "audit#2026-12-15",
    });
    expect(due.alerts[0]?.text).toMatch(
      /key-old {2}with-disabled-key {2}AKIA\S+ {2}due 2026-12-15: handed to the responder/,
    );
  });

  it("without the responder's bus announces nothing (an announcement is a promise to disable)", async () => {
    const noBus = run(undefined, { bus: false });
    const outcome = await runScheduledAudit(noBus.deps, settings(NOW));
    expect(outcome.enforced).toBe(0);
    expect(noBus.records[0]).not.toHaveProperty("announcements");
    expect(noBus.alerts[0]?.text).not.toContain("ENFORCEMENT");
  });
});
