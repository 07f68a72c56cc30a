import type { Exposure } from "../../lambdas/core/exposure.js";

export const KEY = "AKIAIOSFODNN7EXAMPLE";
export const NOW = "2026-11-28T12:00:00.000Z";

/** A contain-worthy GuardDuty exposure of alice's key, to vary field by field in core specs. */
export const GUARDDUTY_EXPOSURE: Exposure = {
  source: "guardduty",
  signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
  signalId: "guardduty:f1",
  sourceEventId: "e1",
  accountId: "123456789012",
  region: "us-east-1",
  accessKeyId: KEY,
  principal: { type: "user", name: "alice" },
  intent: "contain",
  severity: "high",
  sample: false,
  observedAt: NOW,
  title: "t",
  evidence: {},
};
