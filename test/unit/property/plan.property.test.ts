import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Exposure } from "../../../lambdas/core/exposure.js";
import {
  type PlanContext,
  planResponse,
  quarantineTagKey,
  type ResponsePlan,
  revokePolicyName,
  type Step,
} from "../../../lambdas/core/plan.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../../lambdas/core/sources/registry.js";
import {
  contextOf,
  contextRecipeArb,
  drillEventArb,
  exposureArb,
  mutatedEventArb,
  QUARANTINE_POLICY_ARN,
  SESSION_DENY_POLICY_ARN,
  settle,
} from "./arbitraries.js";

const options = { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY };
const TIMEOUT = 60_000;
const IAM_STEP_KINDS: readonly Step["kind"][] = [
  "disable-key",
  "attach-quarantine-policy",
  "attach-session-deny-policy",
  "revoke-sessions",
  "tag-principal",
];

/** IAM names are not distinguished by case (IAM CreateUser: "you cannot create users named both TESTUSER and testuser"). */
function sameIamName(a: string, b: string): boolean {
  const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return fold(a) === fold(b);
}

/** Why this exposure must not be contained in this context, if it must not. */
function forbiddenBecause(exposure: Exposure, context: PlanContext): string | undefined {
  const facts = context.facts;
  if (exposure.sample) return "sample finding";
  if (context.mode === "notify-only") return "notify-only mode";
  if (exposure.principal.type === "root" || exposure.principal.type === "other")
    return `${exposure.principal.type} principal`;
  if (facts.kind === "user" || facts.kind === "role") {
    if (facts.exempt && context.honorExemptTag === true) return "exempt tag";
    if (context.exemptPrincipals.some((name) => sameIamName(name, facts.name))) return "exempt list";
  }
  if (exposure.source === "drill" && !(facts.kind === "user" && facts.drillCanary))
    return "drill without a canary";
  return undefined;
}

/** (3) No containment where it is forbidden: no "contain" decision, no IAM step to execute. */
function expectNoContainmentWhereForbidden(
  exposure: Exposure,
  context: PlanContext,
  plan: ResponsePlan,
): void {
  const reason = forbiddenBecause(exposure, context);
  if (reason === undefined) return;
  expect(plan.decision, reason).not.toBe("contain");
  expect(
    plan.steps.filter((s) => IAM_STEP_KINDS.includes(s.kind)),
    reason,
  ).toEqual([]);
}

/** (4) Each IAM step, planned or withheld, names exactly the exposure's key or the looked-up principal. */
function expectStepsNameOnlyTheKeyAndPrincipal(exposure: Exposure, context: PlanContext, plan: ResponsePlan) {
  const facts = context.facts;
  const key = exposure.accessKeyId;
  const incidentId = `${exposure.accountId}-${key}`;
  expect(plan.incidentId).toBe(incidentId);
  for (const step of [...plan.steps, ...plan.withheld]) {
    switch (step.kind) {
      case "disable-key":
        expect(step.accessKeyId).toBe(key);
        expect(facts).toMatchObject({ kind: "user", name: step.userName });
        break;
      case "attach-quarantine-policy":
        expect(facts).toMatchObject({ kind: step.target.type, name: step.target.name });
        expect(step.policyArn).toBe(QUARANTINE_POLICY_ARN);
        break;
      case "attach-session-deny-policy":
        // Only users get the deny-only session policy; a role's sessions go to the revoker.
        expect(facts).toMatchObject({ kind: "user", name: step.target.name });
        expect(step.policyArn).toBe(SESSION_DENY_POLICY_ARN);
        break;
      case "revoke-sessions":
        expect(facts).toMatchObject({ kind: "role", name: step.target.name });
        expect(step.policyName).toBe(revokePolicyName(key));
        break;
      case "tag-principal":
        expect(facts).toMatchObject({ kind: step.target.type, name: step.target.name });
        expect(Object.keys(step.tags)).toEqual([quarantineTagKey(key)]);
        break;
      case "record-incident":
        expect(step).toEqual({ kind: "record-incident", incidentId, accessKeyId: key });
        break;
      case "notify":
      case "emit-contained-event":
        expect(step.incidentId).toBe(incidentId);
        break;
    }
  }
  expect(plan.steps.filter((s) => s.kind === "disable-key").length).toBeLessThanOrEqual(1);
}

function checkPlan(exposure: Exposure, context: PlanContext): ResponsePlan {
  const plan = planResponse(exposure, context);
  expectNoContainmentWhereForbidden(exposure, context, plan);
  expectStepsNameOnlyTheKeyAndPrincipal(exposure, context, plan);
  return plan;
}

describe("planResponse never contains what it must not, and names only the signal's key and principal", () => {
  it(
    "holds for 2,000 exposures parsed from mutated published events, in random contexts",
    () => {
      let contained = 0;
      let withheld = 0;
      let exposures = 0;
      fc.assert(
        fc.property(
          mutatedEventArb,
          fc.array(contextRecipeArb, { minLength: 1, maxLength: 3 }),
          (m, recipes) => {
            const result = settle(() => normalizeEvent(m.event, options));
            if (!result.ok || result.value.kind !== "exposures") return;
            for (const exposure of result.value.exposures) {
              exposures++;
              for (const recipe of recipes) {
                const plan = checkPlan(exposure, contextOf(recipe, exposure));
                if (plan.decision === "contain") contained++;
                if (plan.withheld.length > 0) withheld++;
              }
            }
          },
        ),
        { numRuns: 2_000 },
      );
      expect(exposures).toBeGreaterThan(300);
      expect(contained).toBeGreaterThan(20);
      expect(withheld).toBeGreaterThan(100);
    },
    TIMEOUT,
  );

  it(
    "holds for 2,000 arbitrary exposures in arbitrary contexts",
    () => {
      let contained = 0;
      fc.assert(
        fc.property(exposureArb, contextRecipeArb, (exposure, recipe) => {
          if (checkPlan(exposure, contextOf(recipe, exposure)).decision === "contain") contained++;
        }),
        { numRuns: 2_000 },
      );
      expect(contained).toBeGreaterThan(20);
    },
    TIMEOUT,
  );
});

describe("drill events", () => {
  it(
    "holds for 1,000 drill events: no containment unless the user's facts say drill canary",
    () => {
      let contained = 0;
      fc.assert(
        fc.property(drillEventArb, contextRecipeArb, ({ event }, recipe) => {
          const result = normalizeEvent(event, options);
          expect(result.kind).toBe("exposures");
          const exposures = result.kind === "exposures" ? result.exposures : [];
          expect(exposures).toHaveLength(1);
          for (const exposure of exposures) {
            const context = contextOf(recipe, exposure);
            const plan = checkPlan(exposure, context);
            const canary = context.facts.kind === "user" && context.facts.drillCanary;
            if (!canary) {
              expect(plan.decision).not.toBe("contain");
              expect(plan.steps.filter((s) => IAM_STEP_KINDS.includes(s.kind))).toEqual([]);
            }
            if (plan.decision === "contain") contained++;
          }
        }),
        { numRuns: 1_000 },
      );
      // The canary path is exercised too, so the property is not vacuous.
      expect(contained).toBeGreaterThan(10);
    },
    TIMEOUT,
  );
});
