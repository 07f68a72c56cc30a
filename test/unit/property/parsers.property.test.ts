import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACCESS_KEY_ID_PATTERN } from "../../../lambdas/core/access-key.js";
import { InvalidEventError } from "../../../lambdas/core/errors.js";
import { type Exposure, SEVERITY_ORDER } from "../../../lambdas/core/exposure.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../../lambdas/core/sources/guardduty.js";
import { type Normalized, normalizeEvent } from "../../../lambdas/core/sources/registry.js";
import {
  BASE_EVENTS,
  mutatedEventArb,
  randomKnownSourceEventArb,
  randomValueArb,
  repeatedKeyEventArb,
  type Settled,
  settle,
  spoofedEventArb,
  stringsIn,
} from "./arbitraries.js";

const options = { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY };
const TIMEOUT = 60_000;

const SOURCES = ["health", "trusted-advisor", "guardduty", "cloudtrail", "drill"];
const INTENTS = ["contain", "revoke-sessions", "notify", "recontain-if-open"];

interface Tally {
  exposures: number;
  empty: number;
  unsupported: number;
  invalid: number;
}

function tally(): Tally {
  return { exposures: 0, empty: 0, unsupported: 0, invalid: 0 };
}

/** (1) Only InvalidEventError escapes, and it says what was wrong. */
function expectOnlyInvalidEventError(error: unknown): void {
  expect(error).toBeInstanceOf(InvalidEventError);
  expect(error).toMatchObject({ name: "InvalidEventError", message: expect.any(String) });
  const issues: unknown = (error as { issues?: unknown }).issues;
  expect(Array.isArray(issues)).toBe(true);
  expect(issues).not.toHaveLength(0);
  expect((issues as unknown[]).every((issue) => typeof issue === "string")).toBe(true);
}

/** (2) The key is literally in the event, and has the AKIA/ASIA shape unless it is a sample's placeholder. */
function expectKeyFromEvent(exposure: Exposure, inputStrings: ReadonlySet<string>): void {
  expect(
    inputStrings.has(exposure.accessKeyId),
    `key ${JSON.stringify(exposure.accessKeyId)} not in event`,
  ).toBe(true);
  if (!exposure.sample) expect(exposure.accessKeyId).toMatch(ACCESS_KEY_ID_PATTERN);
}

/** Every exposure is one the planner can read: known enums, strings where strings belong. */
function expectWellFormed(exposure: Exposure): void {
  expect(SOURCES).toContain(exposure.source);
  expect(SEVERITY_ORDER).toContain(exposure.severity);
  expect(INTENTS).toContain(exposure.intent);
  expect(typeof exposure.sample).toBe("boolean");
  if (exposure.sample) expect(exposure.intent).toBe("notify");
  expect(exposure.accountId).toMatch(/^\d{12}$/);
  for (const field of ["signal", "signalId", "sourceEventId", "region", "observedAt", "title"] as const) {
    expect(typeof exposure[field], field).toBe("string");
  }
  expect(Object.values(exposure.evidence).every((v) => typeof v === "string")).toBe(true);
  const p = exposure.principal;
  if (p.type === "user") expect(p.name === undefined || typeof p.name === "string").toBe(true);
  else if (p.type === "role") expect(typeof p.name).toBe("string");
  else if (p.type === "other") expect(typeof p.description).toBe("string");
  else expect(p).toEqual({ type: "root" });
}

/** Properties 1 and 2 (and well-formedness) for one input; counts outcomes so no run is vacuous. */
function checkParse(event: unknown, counts: Tally): void {
  const result: Settled<Normalized> = settle(() => normalizeEvent(event, options));
  if (!result.ok) {
    counts.invalid++;
    expectOnlyInvalidEventError(result.error);
    return;
  }
  if (result.value.kind === "unsupported") {
    counts.unsupported++;
    return;
  }
  const exposures = result.value.exposures;
  if (exposures.length === 0) counts.empty++;
  else counts.exposures++;
  const inputStrings = stringsIn(event);
  for (const exposure of exposures) {
    expectKeyFromEvent(exposure, inputStrings);
    expectWellFormed(exposure);
  }
}

describe("normalizeEvent throws only InvalidEventError and yields only keys the event names", () => {
  it("holds for every published event unmutated (baseline)", () => {
    const counts = tally();
    for (const { event } of BASE_EVENTS) checkParse(event, counts);
    expect(counts).toMatchObject({ invalid: 0, unsupported: 0 });
    expect(counts.exposures).toBeGreaterThan(10);
  });

  it(
    "holds for 6,000 mutated published events (removed, retyped, look-alike, oversized, duplicated, transplanted fields)",
    () => {
      const counts = tally();
      fc.assert(
        fc.property(mutatedEventArb, ({ event }) => checkParse(event, counts)),
        { numRuns: 6_000 },
      );
      // Not vacuous: many mutants still parse to exposures, many are rejected.
      expect(counts.exposures).toBeGreaterThan(600);
      expect(counts.invalid).toBeGreaterThan(600);
    },
    TIMEOUT,
  );

  it(
    "holds for 1,000 events re-read from JSON text with repeated keys",
    () => {
      const counts = tally();
      fc.assert(
        fc.property(repeatedKeyEventArb, ({ event }) => checkParse(event, counts)),
        { numRuns: 1_000 },
      );
      expect(counts.exposures).toBeGreaterThan(100);
      expect(counts.invalid).toBeGreaterThan(50);
    },
    TIMEOUT,
  );

  it(
    "holds for 1,500 random envelopes of registered sources (random, foreign or non-JSON detail)",
    () => {
      const counts = tally();
      fc.assert(
        fc.property(randomKnownSourceEventArb, (event) => checkParse(event, counts)),
        { numRuns: 1_500 },
      );
      expect(counts.exposures + counts.empty).toBeGreaterThan(50);
      expect(counts.invalid).toBeGreaterThan(500);
    },
    TIMEOUT,
  );

  it(
    "holds for 1,000 fully random values (JSON and non-JSON)",
    () => {
      const counts = tally();
      fc.assert(
        fc.property(randomValueArb, (event) => checkParse(event, counts)),
        { numRuns: 1_000 },
      );
      expect(counts.invalid).toBeGreaterThan(500);
    },
    TIMEOUT,
  );
});

describe("spoofed sources", () => {
  it(
    "holds for 1,000 events whose source or detail-type imitates a registered one: unsupported",
    () => {
      fc.assert(
        fc.property(spoofedEventArb, ({ event }) => {
          expect(normalizeEvent(event, options)).toEqual({
            kind: "unsupported",
            source: event.source,
            detailType: event["detail-type"],
          });
        }),
        { numRuns: 1_000 },
      );
    },
    TIMEOUT,
  );
});
