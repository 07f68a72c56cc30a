import { containmentFailed } from "../containment.js";
import { describeError, IncompleteResponseError, TransientAwsError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import {
  type ActionRecord,
  actionsWorthKeeping,
  type Incident,
  incidentIdOf,
  principalRecordOf,
} from "../incident.js";
import { type PrincipalFacts, planResponse, type ResponsePlan } from "../plan.js";
import type { IamPort } from "../ports.js";
import type { PrincipalRecord } from "../vocabulary.js";
import { earlyDisableTargetOf, startEarlyDisable } from "./early-disable.js";
import { recordDuplicateEarlyDisable, recordUnplannedEarlyDisable } from "./early-record.js";
import { Execution, type Lookup, type RespondDeps } from "./execution.js";
import { lookUpPrincipal, needsPrincipalLookup } from "./lookup.js";
import { disableAgainAfterRelease } from "./release-window.js";
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

/**
 * The incident so far, the signal's own item and the principal's facts, read in parallel — and,
 * when the signal names the key's user, the key's disable sent beside them (early-disable.ts). Then
 * the key's status read and the disable leave first, and the other reads once they have been
 * handed to their connections (`afterSent`): started in the same turn, the SDK would build and sign
 * all five before writing the first. They are still in flight together: one round trip.
 */
async function lookUp(exposure: Exposure, deps: RespondDeps): Promise<Lookup> {
  const { iam, unavailable } = await iamForExposure(exposure, deps);
  const incidentId = incidentIdOf(exposure.accountId, exposure.accessKeyId);
  let storeFailure: unknown;
  const unreadable = (error: unknown): undefined => {
    storeFailure ??= error; // contain anyway: a store outage must not keep a leaked key active
    deps.log.error("incident lookup failed", { error: describeError(error) });
    return undefined;
  };
  const target = iam ? earlyDisableTargetOf(exposure, deps.settings) : undefined;
  const sent = target ? deps.afterSent() : undefined;
  const afterUrgent = <T>(read: () => Promise<T>): Promise<T> => (sent ? sent.then(read) : read());
  // The key's status read (ListAccessKeys) leaves first, so it nearly always answers with the status
  // before the disable; when it answers Inactive, the status before is taken as unknown
  // (early-disable.ts). The user's tags wait, like the incident's reads.
  const principal = iam
    ? lookUpPrincipal(exposure, iam, sent)
    : Promise.resolve<PrincipalFacts>(unavailable ?? { kind: "not-looked-up" });
  const early = iam && target ? startEarlyDisable(target, iam) : undefined;
  const reads = Promise.all([
    afterUrgent(() => deps.incidents.get(incidentId)).catch(unreadable),
    afterUrgent(() => deps.incidents.getSignal(incidentId, exposure.signalId)).catch(unreadable),
    principal,
  ]);
  // A read that fails for a retry still lets the disable land before the invocation ends.
  const [incident, signalState, facts] = await reads.catch(async (error: unknown) => {
    await early?.result;
    throw error;
  });
  return { incident, signalState, facts, iam, storeFailure, early };
}

/**
 * The incident changed since it was read (a release began, another signal contained it): read it
 * again and plan again. A key the release may have reactivated counts as Active, so a later
 * release reactivates it again, as it was before the first containment.
 */
async function lookUpAgain(exposure: Exposure, previous: Lookup, deps: RespondDeps): Promise<Lookup> {
  const incident = await deps.incidents.get(incidentIdOf(exposure.accountId, exposure.accessKeyId));
  const released = incident?.status === "releasing" || incident?.status === "released";
  const facts =
    released && previous.facts.kind === "user" && previous.facts.keyStatus === "Inactive"
      ? { ...previous.facts, keyStatus: "Active" as const }
      : previous.facts;
  return { ...previous, incident, facts, storeFailure: undefined, early: undefined };
}

/**
 * The principal as recorded: a user the signal did not name is named by the lookup. A principal
 * fenced (or alerted) for another key's incident is not that incident's principal: it keeps its own.
 */
function principalOf(
  exposure: Exposure,
  facts: PrincipalFacts,
  incident: Incident | undefined,
): PrincipalRecord {
  // A fence put back on such a principal (tampering) keeps the incident's principal too.
  const forAnother =
    (exposure.source === "investigation" && exposure.intent !== "contain") ||
    exposure.intent === "fence-principal";
  if (forAnother && incident !== undefined) return incident.principal;
  if (exposure.principal.type === "user" && facts.kind === "user") return { type: "user", name: facts.name };
  return principalRecordOf(exposure.principal);
}

/**
 * The last write: what was done after the record (what says something new, on the incident; all of
 * it on the signal's own item) and — when nothing needs a retry — that the signal is complete.
 */
async function recordRest(run: Execution): Promise<"recorded" | "conflict"> {
  if (run.recordedCount === undefined) return "recorded";
  const { incidents } = run.deps;
  const rest = actionsWorthKeeping(
    [...(run.lookup.incident?.actions ?? []), ...run.actions.slice(0, run.recordedCount)],
    run.actions.slice(run.recordedCount),
  );
  try {
    // A containment's fence is recorded only while the incident is still contained: a release that
    // got in after the record would otherwise leave a released incident with a fence attached.
    if (run.plan.decision === "contain" && !containmentFailed(run.actions)) {
      if ((await incidents.appendToContainment(run.plan.incidentId, rest, run.now())) === "conflict") {
        run.log.info("incident released during the containment: planning again", {
          incidentId: run.plan.incidentId,
        });
        return "conflict";
      }
      if (run.complete()) {
        await incidents.appendActions(run.plan.incidentId, [], run.now(), {
          signalId: run.exposure.signalId,
          actions: run.actions,
        });
      }
      return "recorded";
    }
    await incidents.appendActions(
      run.plan.incidentId,
      rest,
      run.now(),
      run.complete() ? { signalId: run.exposure.signalId, actions: run.actions } : undefined,
    );
  } catch (error) {
    run.storeFailed(error, "incident actions not recorded");
  }
  return "recorded";
}

/** How many times a containment is planned again when the incident keeps changing under it. */
const MAX_PLANS = 3;

function planFor(exposure: Exposure, lookup: Lookup, deps: RespondDeps, now: string): ResponsePlan {
  const { settings, log } = deps;
  const plan = planResponse(exposure, {
    mode: settings.mode,
    now,
    quarantinePolicyArn: settings.quarantinePolicyArn,
    sessionDenyPolicyArn: settings.sessionDenyPolicyArn,
    exemptPrincipals: settings.exemptPrincipals,
    honorExemptTag: settings.honorExemptTag,
    incident: lookup.incident,
    facts: lookup.facts,
    signalCompleted: lookup.signalState?.completedAt !== undefined,
  });
  log.info("plan", {
    incidentId: plan.incidentId,
    decision: plan.decision,
    steps: plan.steps.map((s) => s.kind),
    reasons: plan.reasons,
    withheld: plan.withheld.map((s) => s.kind),
  });
  return plan;
}

/**
 * Normalized exposure → plan → contain → claim and record → fence → notify → emit. Only IAM,
 * DynamoDB, SNS and EventBridge calls happen here, each behind a port; failures are recorded, and
 * the ones a retry can fix make the invocation fail at the end (after the alert went out). A key
 * that could not be contained fails it too: Lambda retries, the errors alarm fires, the DLQ keeps
 * the event. A containment whose incident changed since it was read is planned and done again.
 */
export async function respondToExposure(exposure: Exposure, deps: RespondDeps): Promise<ExposureOutcome> {
  const receivedAt = deps.now().toISOString();
  const attemptId = deps.newAttemptId();
  let lookup = await lookUp(exposure, deps);
  for (let attempt = 1; ; attempt++) {
    const plan = planFor(exposure, lookup, deps, receivedAt);
    if (plan.decision === "duplicate") {
      await recordDuplicateEarlyDisable(exposure, lookup, deps, plan.incidentId);
      return { incidentId: plan.incidentId, decision: plan.decision, actions: [], alerted: false };
    }
    const principal = principalOf(exposure, lookup.facts, lookup.incident);
    const run = new Execution(exposure, plan, lookup, deps, receivedAt, principal, attemptId);
    await recordUnplannedEarlyDisable(run);
    for (const step of plan.steps) {
      await executeStep(step, run);
      if (run.halted !== undefined) break;
    }
    await disableAgainAfterRelease(run);
    if (run.halted === "conflict" && attempt < MAX_PLANS) {
      lookup = await lookUpAgain(exposure, lookup, deps);
      continue;
    }
    if (run.halted === "conflict") run.needsRetry("record-incident (incident kept changing)");
    if (run.halted === "duplicate" && run.retryable().length === 0) {
      return { incidentId: plan.incidentId, decision: "duplicate", actions: [], alerted: false };
    }
    if ((await recordRest(run)) === "conflict") {
      if (attempt < MAX_PLANS) {
        lookup = await lookUpAgain(exposure, lookup, deps);
        continue;
      }
      run.needsRetry("record-incident (incident kept changing)");
    }
    const retryable = run.retryable();
    if (retryable.length > 0) {
      // Give the claim back, so the retry takes the signal at once.
      await deps.incidents
        .releaseSignalClaim(plan.incidentId, exposure.signalId, attemptId)
        .catch(() => undefined);
      throw new IncompleteResponseError(plan.incidentId, retryable, { cause: run.storeFailure });
    }
    return {
      incidentId: plan.incidentId,
      decision: plan.decision,
      actions: run.actions,
      alerted: run.alerted,
    };
  }
}
