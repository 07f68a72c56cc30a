import { describe, expect, it } from "vitest";
import {
  type AuditSources,
  auditFindings,
  mapLimit,
  runScheduledAudit,
  UNKNOWN_ACCOUNT,
} from "../../../lambdas/core/audit/audit.js";
import type { AuditRecord } from "../../../lambdas/core/audit/digest.js";
import type { KeyLastUsed, ListedKey } from "../../../lambdas/core/audit/keys.js";
import { CREDENTIAL_REPORT_COLUMNS } from "../../../lambdas/core/audit/report.js";
import { type AdminScope, DEFAULT_THRESHOLDS } from "../../../lambdas/core/audit/rules.js";
import type { RenderedAlert } from "../../../lambdas/core/ports.js";
import { NOW, reportFixture } from "./support.js";

const options = { thresholds: DEFAULT_THRESHOLDS, concurrency: 4, now: NOW };
const KEY2 = "AKIAKEYTWOKEYTWOKEY2";
const CREDENTIAL_USER_KEY = "AKIACREDCREDCREDCRED";
const DIFFERENT_REGION_KEY = "AKIADIFFDIFFDIFFDIFF";

/** IAM of the Guardian's published account: the keys its report rows show, as ListAccessKeys lists them. */
function published(calls: string[] = []): AuditSources {
  const keys: Record<string, ListedKey[]> = {
    "with-disabled-key": [
      { accessKeyId: "AKIAKEYONEKEYONEKEY1", status: "Inactive", createDate: "2017-04-19T15:47:39Z" },
      { accessKeyId: KEY2, status: "Active", createDate: "2016-07-29T09:20:20Z" },
    ],
    "different-region": [
      { accessKeyId: DIFFERENT_REGION_KEY, status: "Active", createDate: "2015-05-28T15:00:00Z" },
    ],
    "credential-user": [
      { accessKeyId: CREDENTIAL_USER_KEY, status: "Active", createDate: "2015-10-22T14:45:00Z" },
    ],
  };
  return {
    report: {
      fetch: async () => ({ csv: reportFixture("guardian-security-hq.csv"), generatedAt: undefined }),
    },
    directory: {
      listKeys: async (user) => {
        calls.push(`listKeys ${user}`);
        return keys[user] ?? [];
      },
      lastUsed: async (id): Promise<KeyLastUsed> => {
        calls.push(`lastUsed ${id}`);
        return { lastUsed: undefined, service: undefined, region: undefined };
      },
      adminScopes: async () => {
        calls.push("adminScopes");
        return new Map<string, AdminScope>([
          ["with-disabled-key", { admin: false, via: [] }],
          ["different-region", { admin: true, via: ["AdministratorAccess"] }],
          ["credential-user", { admin: false, via: [] }],
        ]);
      },
    },
    exposure: {
      incidentsOf: async (account, ids) => {
        calls.push(`incidentsOf ${account} ${ids.length}`);
        return new Map([[CREDENTIAL_USER_KEY, [`${account}-${CREDENTIAL_USER_KEY}`]]]);
      },
    },
  };
}

describe("auditFindings over the published report", () => {
  it("lists keys only of users the report shows with keys, reads admin scopes once, looks up every key's incidents", async () => {
    const calls: string[] = [];
    const { gathered, findings } = await auditFindings(published(calls), options);
    expect(gathered.accountId).toBe("0123456789");
    expect(calls.sort()).toEqual([
      "adminScopes",
      "incidentsOf 0123456789 4",
      "listKeys credential-user",
      "listKeys different-region",
      "listKeys with-disabled-key",
    ]);
    expect(findings.map((f) => `${f.kind} ${f.userName} ${f.accessKeyId}`)).toEqual([
      // Unused since 2016-17 weighs more than old; admin scope (+25) and exposure history (+20) lift a key.
      `key-unused different-region ${DIFFERENT_REGION_KEY}`,
      `key-unused credential-user ${CREDENTIAL_USER_KEY}`,
      `key-old different-region ${DIFFERENT_REGION_KEY}`,
      `key-old credential-user ${CREDENTIAL_USER_KEY}`,
      `admin-key different-region ${DIFFERENT_REGION_KEY}`,
      `key-unused with-disabled-key ${KEY2}`,
      `key-old with-disabled-key ${KEY2}`,
    ]);
  });

  it("audits a report without users (moto in an empty account) to no findings", async () => {
    const header = `${CREDENTIAL_REPORT_COLUMNS.join(",")}\n`;
    const sources = published();
    const { gathered, findings } = await auditFindings(
      { ...sources, report: { fetch: async () => ({ csv: header, generatedAt: undefined }) } },
      options,
    );
    expect(gathered.accountId).toBe(UNKNOWN_ACCOUNT);
    expect(findings).toEqual([]);
  });
});

describe("runScheduledAudit", () => {
  function deps(previous?: AuditRecord) {
    const steps: string[] = [];
    const records: AuditRecord[] = [];
    const alerts: RenderedAlert[] = [];
    return {
      steps,
      records,
      alerts,
      deps: {
        ...published(),
        store: {
          previous: async () => previous,
          record: async (r: AuditRecord) => {
            steps.push("record");
            records.push(r);
          },
        },
        alerts: {
          publish: async (a: RenderedAlert) => {
            steps.push("alert");
            alerts.push(a);
          },
        },
        log: { info: () => {}, warn: () => {}, error: () => {} },
      },
    };
  }
  const settings = { ...options, mode: "all" as const, topN: 3 };

  it("alerts the digest, then records it (a failed record is retried, the alert is never lost)", async () => {
    const run = deps();
    const outcome = await runScheduledAudit(run.deps, settings);
    expect(run.steps).toEqual(["alert", "record"]);
    expect(outcome.alerted).toBe(true);
    expect(run.records[0]).toMatchObject({ incidentId: "audit#2026-12-01", total: 7, newCount: 7 });
    expect(run.alerts[0]?.subject).toBe("Key hygiene: 7 findings (7 new) in 0123456789");
  });

  it("in change-only mode records but does not alert when nothing is new", async () => {
    const first = deps();
    await runScheduledAudit(first.deps, settings);
    const second = deps(first.records[0]);
    const outcome = await runScheduledAudit(second.deps, { ...settings, mode: "change-only" });
    expect(outcome.alerted).toBe(false);
    expect(second.steps).toEqual(["record"]);
    expect(second.records[0]?.newCount).toBe(0);
  });
});

describe("mapLimit", () => {
  it("keeps at most `limit` calls in flight and the results in input order", async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
