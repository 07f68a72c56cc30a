import { describeError, IncompleteResponseError, TransientAwsError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import { type ActionRecord, type Incident, incidentIdOf, principalRecordOf } from "../incident.js";
import { type PrincipalFacts, planResponse, type ResponsePlan } from "../plan.js";
import type { IamPort } from "../ports.js";
import type { PrincipalRecord } from "../vocabulary.js";
import { Execution, type Lookup, type RespondDeps } from "./execution.js";
import { lookUpPrincipal, needsPrincipalLookup } from "./lookup.js";
import { executeStep } from "./steps.js";

export type { RespondDeps, RespondSettings } from "./execution.js";

export interface ExposureOutcome {
  readonly incidentId: string;
  readonly decision: ResponsePlan["decision"];
  readonly actions: readonly ActionRecord[];
  readonly alerted: boolean;
}

/** IAM in the key's account, or why there is none (no way into a member account: record and alert, change nothing). */
async function iamForExposure(
  exposure: Exposure,
  deps: RespondDeps,
): Promise<{ iam?: IamPort; unavailable?: PrincipalFacts }> {
  if (!needsPrincipalLookup(exposure)) return {};
  try {
    return { iam: await deps.iamFor(exposure.accountId) };
  } catch (error) {
    if (error instanceof TransientAwsError) throw error;
    return { unavailable: { kind: "lookup-failed", error: describeError(error) } };
  }
}

/** The incident so far and the principal's facts, read in parallel before anything changes. */
async function lookUp(exposure: Exposure, deps: RespondDeps): Promise<Lookup> {
  const { iam, unavailable } = await iamForExposure(exposure, deps);
  let storeFailure: unknown;
  const [incident, facts] = await Promise.all([
    deps.incidents
      .get(incidentIdOf(exposure.accountId, exposure.accessKeyId))
      .catch((error: unknown): Incident | undefined => {
        storeFailure = error; // contain anyway: a store outage must not keep a leaked key active
        deps.log.error("incident lookup failed", { error: describeError(error) });
        return undefined;
      }),
    iam
      ? lookUpPrincipal(exposure, iam)
      : Promise.resolve<PrincipalFacts>(unavailable ?? { kind: "not-looked-up" }),
  ]);
  return { incident, facts, iam, storeFailure };
}

/** The principal as recorded: a user the signal did not name is named by the lookup. */
function principalOf(exposure: Exposure, facts: PrincipalFacts): PrincipalRecord {
  if (exposure.principal.type === "user" && facts.kind === "user") return { type: "user", name: facts.name };
  return principalRecordOf(exposure.principal);
}

/** The last write: what was done after the record and — when nothing needs a retry — that the signal is complete. */
async function recordRest(run: Execution): Promise<void> {
  if (run.recordedCount === undefined) return;
  const complete = run.complete();
  try {
    await run.deps.incidents.appendActions(
      run.plan.incidentId,
      run.actions.slice(run.recordedCount),
      run.now(),
      complete ? run.exposure.signalId : undefined,
    );
  } catch (error) {
    run.storeFailed(error, "incident actions not recorded");
  }
}

/**
 * Normalized exposure → plan → contain → record → fence → notify → emit. Only IAM, DynamoDB, SNS
 * and EventBridge calls happen here, each behind a port; failures are recorded, and the ones a
 * retry can fix make the invocation fail at the end (after the alert went out). A key that could
 * not be contained fails it too: Lambda retries, the errors alarm fires, the DLQ keeps the event.
 */
export async function respondToExposure(exposure: Exposure, deps: RespondDeps): Promise<ExposureOutcome> {
  const { settings, log } = deps;
  const receivedAt = deps.now().toISOString();
  const lookup = await lookUp(exposure, deps);
  const plan = planResponse(exposure, {
    mode: settings.mode,
    now: receivedAt,
    quarantinePolicyArn: settings.quarantinePolicyArn,
    sessionDenyPolicyArn: settings.sessionDenyPolicyArn,
    exemptPrincipals: settings.exemptPrincipals,
    honorExemptTag: settings.honorExemptTag,
    incident: lookup.incident,
    facts: lookup.facts,
  });
  log.info("plan", {
    incidentId: plan.incidentId,
    decision: plan.decision,
    steps: plan.steps.map((s) => s.kind),
    reasons: plan.reasons,
    withheld: plan.withheld.map((s) => s.kind),
  });
  if (plan.decision === "duplicate")
    return { incidentId: plan.incidentId, decision: plan.decision, actions: [], alerted: false };

  const run = new Execution(exposure, plan, lookup, deps, receivedAt, principalOf(exposure, lookup.facts));
  for (const step of plan.steps) await executeStep(step, run);
  await recordRest(run);
  const retryable = run.retryable();
  if (retryable.length > 0) {
    throw new IncompleteResponseError(plan.incidentId, retryable, { cause: run.storeFailure });
  }
  return { incidentId: plan.incidentId, decision: plan.decision, actions: run.actions, alerted: run.alerted };
}
