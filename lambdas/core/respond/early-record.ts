import { describeError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import { earlyFailure, isSameKey, previousStatusOf, unplannedDisableAction } from "./early-disable.js";
import type { Execution, Lookup, RespondDeps } from "./execution.js";

/**
 * An early disable (early-disable.ts) that the plan made from the reads does not include: the key
 * stays Inactive — the safe side — and the record says what was done, so nothing changed in IAM is
 * left unrecorded.
 */

/** A plan without this disable (the lookup failed, the key is not the user's): record it before the steps run. */
export async function recordUnplannedEarlyDisable(run: Execution): Promise<void> {
  const early = run.lookup.early;
  if (early === undefined) return;
  if (run.plan.steps.some((s) => s.kind === "disable-key" && isSameKey(early, s))) return;
  const sent = await early.result;
  if (!sent.ok) {
    run.log.info("early disable failed, and the plan has no disable", { error: earlyFailure(sent) });
    return;
  }
  const previous = previousStatusOf(run.lookup.facts, run.lookup.incident);
  if (previous.outcome === "already") return;
  const facts = run.lookup.facts;
  const enableKey = run.lookup.iam?.enableKey?.bind(run.lookup.iam);
  if (facts.kind === "user" && facts.honeyKey === true && previous.previousStatus === "Active" && enableKey) {
    // A honey key is powerless already and must stay Active to stay a tripwire: the early disable
    // (sent before the reads said so) is undone at once. Failing that, it stays Inactive and recorded.
    try {
      await enableKey(early.userName, early.accessKeyId);
      run.log.warn("early disable of a honey key undone", { accessKeyId: early.accessKeyId });
      return;
    } catch (error) {
      run.log.error("early disable of a honey key could not be undone", { error: describeError(error) });
    }
  }
  const why = run.plan.reasons.join("; ") || run.plan.decision;
  run.record(unplannedDisableAction(early, previous, run.now(), run.exposure.signalId, why));
}

/**
 * A signal handled already (a re-delivery): when its early disable changed a key the incident no
 * longer held (released meanwhile, or re-enabled), the change is appended to the incident.
 */
export async function recordDuplicateEarlyDisable(
  exposure: Exposure,
  lookup: Lookup,
  deps: RespondDeps,
  incidentId: string,
): Promise<void> {
  const early = lookup.early;
  if (early === undefined) return;
  const sent = await early.result;
  if (!sent.ok) return;
  const previous = previousStatusOf(lookup.facts, lookup.incident);
  if (previous.outcome === "already") return;
  const at = deps.now().toISOString();
  const action = unplannedDisableAction(
    early,
    previous,
    at,
    exposure.signalId,
    "the signal was handled already",
  );
  deps.log.warn("key disabled by a repeated signal", { accessKeyId: early.accessKeyId, previous });
  await deps.incidents.appendActions(incidentId, [action], at).catch((error: unknown) => {
    deps.log.error("repeated signal's disable not recorded", { error: describeError(error) });
  });
}
