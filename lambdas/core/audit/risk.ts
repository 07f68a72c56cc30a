import type { FindingKind } from "./findings.js";

/** How bad each kind is on its own (0-100). */
export const BASE_RISK: Readonly<Record<FindingKind, number>> = {
  "root-key": 90,
  "root-recent-use": 70,
  "console-without-mfa": 50,
  "admin-key": 50,
  "key-unused": 35,
  "key-never-used": 30,
  "key-old": 30,
  "two-active-keys": 20,
  "rule-error": 60,
};

/** The facts about a key (or user) that make any finding about it worse. */
export interface RiskFacts {
  /** The user holds admin-equivalent permissions. */
  readonly admin: boolean;
  /** The responder has had an incident about this key (it was exposed or abused before). */
  readonly exposed: boolean;
  /** The active key was never used. */
  readonly neverUsed: boolean;
  /** Days the active key has gone unused (since creation when never used). */
  readonly idleDays: number | undefined;
  /** The root user. */
  readonly root: boolean;
}

/**
 * The risk of a finding: its kind's base, plus admin scope (+25), public-exposure history (+20),
 * a never-used key (+10), idleness (+1 for each 30 days, at most +10), capped at 100.
 */
export function riskOf(kind: FindingKind, facts: RiskFacts): number {
  let risk = BASE_RISK[kind];
  if (facts.admin && kind !== "admin-key") risk += 25;
  if (facts.exposed) risk += 20;
  if (facts.neverUsed) risk += 10;
  if (facts.idleDays !== undefined) risk += Math.min(10, Math.floor(facts.idleDays / 30));
  if (facts.root && kind === "console-without-mfa") risk += 40;
  return Math.min(100, risk);
}
