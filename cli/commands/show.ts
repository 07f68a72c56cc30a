import { loadIncident } from "../../lambdas/core/release/close.js";
import { CLOSABLE_STATUSES, planRelease, type ReleasePlan } from "../../lambdas/core/release/plan.js";
import { EXIT } from "../errors.js";
import { renderIncident } from "../format.js";
import { type CommandContext, incidentReview, output, resolveIncidentId } from "./common.js";

/** lkr show <incident>: signals, actions, investigation, release history, and what a release would do. */
export async function showCommand(ctx: CommandContext): Promise<number> {
  const review = await incidentReview(ctx);
  const incident = await loadIncident(review, await resolveIncidentId(review, ctx.args.target));
  let plan: ReleasePlan | undefined;
  let planError: string | undefined;
  if (CLOSABLE_STATUSES.includes(incident.status)) {
    try {
      plan = planRelease(incident);
    } catch (error) {
      planError = error instanceof Error ? error.message : String(error);
    }
  }
  output(
    ctx,
    { ...incident, releasePlan: plan ?? null, ...(planError ? { releasePlanError: planError } : {}) },
    () =>
      [
        renderIncident(incident, plan, ctx.io),
        ...(planError ? ["", `A RELEASE IS NOT POSSIBLE: ${planError}`] : []),
      ].join("\n"),
  );
  return EXIT.ok;
}
