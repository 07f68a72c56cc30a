import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyFacts } from "../../../lambdas/core/audit/keys.js";
import { type CredentialUser, parseCredentialReport } from "../../../lambdas/core/audit/report.js";

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "credential-reports");

/** A published credential report of test/fixtures/credential-reports. */
export function reportFixture(name: string): string {
  return readFileSync(join(DIR, name), "utf8");
}

/** The users of the Guardian's published report, by name. */
export function guardianUsers(): Map<string, CredentialUser> {
  return new Map(
    parseCredentialReport(reportFixture("guardian-security-hq.csv")).map((u) => [u.userName, u]),
  );
}

/** The published report with one row's columns replaced (by name). */
export function withRow(user: string, changes: Record<string, string>): string {
  const [header, ...rows] = reportFixture("guardian-security-hq.csv").trimEnd().split("\n");
  const names = (header ?? "").split(",");
  return [
    header,
    ...rows.map((row) => {
      const fields = row.split(",");
      if (fields[0] !== user) return row;
      return names.map((name, i) => changes[name] ?? fields[i]).join(",");
    }),
  ].join("\n");
}

export const NOW = new Date("2026-12-01T00:00:00Z");
const DAY = 86_400_000;

/** An ISO time `days` before NOW. */
export function daysAgo(days: number): string {
  return new Date(NOW.getTime() - days * DAY).toISOString();
}

export function key(overrides: Partial<KeyFacts> = {}): KeyFacts {
  return {
    userName: "credential-user",
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    active: true,
    createdAt: daysAgo(10),
    lastUsed: daysAgo(1),
    lastUsedService: "ec2",
    usageFrom: "credential-report",
    slot: 1,
    ...overrides,
  };
}
