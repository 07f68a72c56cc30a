import { IamReleaseAdapter } from "../../lambdas/adapters/iam-release.js";
import { SnsAlertPublisher } from "../../lambdas/adapters/sns-alerts.js";
import { callerIdentityOf } from "../../lambdas/adapters/sts-identity.js";
import { accountOfIncident } from "../../lambdas/core/organization.js";
import {
  executeRelease,
  prepareRelease,
  type ReleaseOutcome,
  resolveIncident,
} from "../../lambdas/core/release/close.js";
import { describeConflict, planRelease } from "../../lambdas/core/release/plan.js";
import { EXIT, ReleaseConflictError, ReleaseIncompleteError, UsageError } from "../errors.js";
import { describeInPlace, renderReleasePlan, renderUndoResults } from "../format.js";
import { eprintln, println } from "../io.js";
import { actingIn } from "../member-account.js";
import { deployedRevokerFor, withMemberRevoker } from "../member-release.js";
import { type CommandContext, incidentReview, output, requireReason, resolveIncidentId } from "./common.js";

async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  if (ctx.args.yes) return true;
  const ask = ctx.io.ask;
  if (ask === undefined) {
    throw new UsageError(
      "release changes IAM and asks for confirmation, but there is no terminal to ask in: pass --yes",
    );
  }
  const answer = (await ask(`${question} [y/N] `)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

function releaseSummary(outcome: ReleaseOutcome): string {
  const lines = [`Incident ${outcome.incidentId}: ${outcome.status}`, renderUndoResults(outcome.records)];
  if (outcome.kept.length > 0) {
    lines.push(
      "Left as it was:",
      ...outcome.kept.map((k) => `  - ${k.action.kind} on ${k.action.target}: ${k.reason}`),
    );
  }
  if (outcome.release) lines.push(`Recorded: released by ${outcome.release.by} at ${outcome.release.at}`);
  lines.push(
    outcome.alerted
      ? "Alert sent on the alert topic."
      : `ALERT NOT SENT: ${outcome.alertError ?? "unknown error"}`,
  );
  return lines.join("\n");
}

/**
 * lkr release <incident> --reason "…" [--yes]: undoes exactly what the responder did, records who
 * (the caller's ARN) and why, and alerts. Refuses without a reason; asks unless --yes.
 */
export async function releaseCommand(ctx: CommandContext): Promise<number> {
  const reason = requireReason(ctx);
  const review = await incidentReview(ctx);
  const topicArn = await ctx.aws.topicArn();
  const chatTopicArn = await ctx.aws.chatTopicArn();
  const caller = await callerIdentityOf(ctx.aws.sts());
  const incidentId = await resolveIncidentId(review, ctx.args.target);
  // A member account's incident: through the member role. Without one, an incident of another
  // account is refused before a plan is shown: nothing changed, nothing written.
  const acting = await actingIn(ctx.aws, caller, accountOfIncident(incidentId));
  const prepared = await prepareRelease(review, incidentId, acting.accountId);
  const { incident, plan } = prepared;

  const planText = [
    `Release incident ${incident.incidentId} (${incident.status}) as ${caller.arn}`,
    `Reason: ${reason}`,
    ...renderReleasePlan(plan, incident, "THE RELEASE WILL"),
  ].join("\n");
  if (ctx.args.globals.json) eprintln(ctx.io, planText);
  else println(ctx.io, `${planText}\n`);
  if (!(await confirm(ctx, "Release it?"))) {
    eprintln(ctx.io, "Not released: nothing was changed.");
    return EXIT.failure;
  }

  const outcome = await executeRelease(
    prepared,
    { by: caller.arn, reason },
    {
      incidents: review,
      iam:
        acting.accountId === caller.accountId
          ? new IamReleaseAdapter(acting.iam)
          : withMemberRevoker(
              new IamReleaseAdapter(acting.iam),
              acting.accountId,
              ctx.memberRevokerFor ?? deployedRevokerFor(ctx.aws),
            ),
      callerAccountId: acting.accountId,
      alerts: new SnsAlertPublisher(ctx.aws.sns(), topicArn, chatTopicArn),
      now: ctx.io.now,
      stackName: ctx.aws.stackName,
    },
  );
  output(ctx, outcome, () => releaseSummary(outcome));
  if (!outcome.verdict.complete) {
    throw new ReleaseIncompleteError(
      outcome.incidentId,
      outcome.verdict.failures.map((r) => `${r.kind} ${r.target}: ${r.detail ?? ""}`),
    );
  }
  if (outcome.verdict.conflicts.length > 0) {
    throw new ReleaseConflictError(outcome.incidentId, outcome.verdict.conflicts.map(describeConflict));
  }
  if (!outcome.alerted) {
    eprintln(ctx.io, `Released, but the alert could not be sent: ${outcome.alertError ?? ""}`);
    return EXIT.failure;
  }
  return EXIT.ok;
}

/** lkr resolve <incident> --reason "…": closes it without undoing anything; the key stays Inactive. */
export async function resolveCommand(ctx: CommandContext): Promise<number> {
  const reason = requireReason(ctx);
  const review = await incidentReview(ctx);
  const caller = await callerIdentityOf(ctx.aws.sts());
  const incidentId = await resolveIncidentId(review, ctx.args.target);
  const { incident, release } = await resolveIncident(
    incidentId,
    { by: caller.arn, reason },
    { incidents: review, now: ctx.io.now },
  );
  let inPlace: string[];
  try {
    inPlace = planRelease(incident).steps.map((step) => `  - ${describeInPlace(step)}`);
  } catch (error) {
    inPlace = [`  (not listed: ${error instanceof Error ? error.message : String(error)}; see lkr show)`];
  }
  output(ctx, { incidentId, status: "resolved", release }, () =>
    [
      `Incident ${incidentId}: resolved by ${release.by} at ${release.at}`,
      inPlace.length > 0
        ? "Nothing was undone; what the responder did stays in place:"
        : "Nothing was undone (the responder had changed nothing in IAM).",
      ...inPlace,
    ].join("\n"),
  );
  return EXIT.ok;
}
