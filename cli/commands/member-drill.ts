import { IamMemberDrillUser } from "../../lambdas/adapters/iam-member-drill.js";
import { type CallerIdentity, callerIdentityOf } from "../../lambdas/adapters/sts-identity.js";
import { drillIdOf, drillSignalIdOf } from "../../lambdas/core/drill-canary.js";
import { describeError } from "../../lambdas/core/errors.js";
import { incidentIdOf } from "../../lambdas/core/incident.js";
import { drillRestoreSteps, MEMBER_DRILL_USER_NAME } from "../../lambdas/core/member-drill.js";
import { planRelease } from "../../lambdas/core/release/plan.js";
import { ConfigurationError, UsageError } from "../errors.js";
import { eprintln } from "../io.js";
import { actingIn } from "../member-account.js";
import type { CommandContext } from "./common.js";
import { drillCommand, drillSession, finishDrill, resolveDrillIncident, sendAndWatchDrill } from "./drill.js";

/** `--account`: one 12-digit account id. */
function parseDrillAccount(text: string): string {
  if (!/^\d{12}$/.test(text)) throw new UsageError(`--account "${text}": expected one 12-digit account id`);
  return text;
}

/**
 * lkr drill [--account A]: the home drill (a canary of its own) in the caller's account, the member
 * drill in any other account of the Organization.
 */
export async function drillAnyCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args.account === undefined) return drillCommand(ctx);
  const accountId = parseDrillAccount(ctx.args.account);
  const caller = await callerIdentityOf(ctx.aws.sts());
  if (accountId === caller.accountId) return drillCommand(ctx);
  return memberDrillCommand(ctx, accountId, caller);
}

/**
 * lkr drill --account A: the member stack's drill user of account A, through the member role: its
 * key (Inactive at rest) set Active, a drill event naming account A and the key sent on the
 * responder's bus, the key watched going Inactive (through the member role) and the incident,
 * alert and actions in the central table; then the incident resolved and the fence taken off, so
 * the user is at rest again. The key is never left Active, whatever fails.
 */
export async function memberDrillCommand(
  ctx: CommandContext,
  accountId: string,
  caller: CallerIdentity,
): Promise<number> {
  const session = await drillSession(ctx);
  const { io, say, eventBus, review } = session;
  const region = await ctx.aws.region();
  if ((await ctx.aws.memberRoleName()) === undefined) {
    throw new ConfigurationError(
      `drilling account ${accountId} needs the member role: set LKR_MEMBER_ROLE_NAME or deploy the Organization stack (its MemberRoleName output)`,
    );
  }
  const acting = await actingIn(ctx.aws, caller, accountId);
  const drillUser = new IamMemberDrillUser(acting.iam, accountId);
  const key = await drillUser.key();
  const { accessKeyId } = key;
  const drillId = drillIdOf(io.now(), io.random());
  const detail = { accessKeyId, userName: MEMBER_DRILL_USER_NAME, drillId, accountId };
  const signalId = drillSignalIdOf(detail, caller.accountId, region);
  const incidentId = incidentIdOf(accountId, accessKeyId);
  say(
    `Drill ${drillId}: account ${accountId} (member role, from ${caller.accountId}), region ${region}, bus ${eventBus}`,
  );
  say(`  drill user ${MEMBER_DRILL_USER_NAME}: access key ${accessKeyId} (${key.status} at rest)`);

  let failure: unknown;
  let result: Record<string, unknown> = {
    drillId,
    accountId,
    region,
    userName: MEMBER_DRILL_USER_NAME,
    accessKeyId,
    incidentId,
  };
  try {
    await drillUser.setKeyStatus(accessKeyId, "Active");
    say(`  access key ${accessKeyId} set Active (through the member role)`);
    const { eventId, containedMs, responderMs } = await sendAndWatchDrill(ctx, session, detail, {
      signalId,
      hint: `is the responder deployed in ${region}, with its drill rule on bus ${eventBus}, and MEMBER_ROLE_NAME set?`,
      keyStatus: () => drillUser.keyStatus(accessKeyId),
      incident: () => review.get(incidentId),
    });
    const resolved = await resolveDrillIncident(
      review,
      incidentId,
      caller.arn,
      `drill ${drillId} of account ${accountId} passed; the drill user's fence is taken off, its key stays Inactive`,
      io.now,
    );
    say(`  incident ${incidentId} resolved (drill)`);
    const removed = await drillUser.restore(drillRestoreSteps(accountId, planRelease(resolved)));
    say(`  drill user at rest: key Inactive${removed.length > 0 ? `; removed ${removed.join(", ")}` : ""}`);
    result = { ...result, eventId, containedMs, responderMs: responderMs ?? null, resolved: true, removed };
  } catch (error) {
    failure = error;
  } finally {
    try {
      if ((await drillUser.keyStatus(accessKeyId)) === "Active") {
        await drillUser.setKeyStatus(accessKeyId, "Inactive");
        say(`  access key ${accessKeyId} set Inactive again (the responder had not)`);
      }
    } catch (error) {
      eprintln(
        io,
        `Could not set the drill key Inactive again (${describeError(error)}). In account ${accountId}: aws iam update-access-key --user-name ${MEMBER_DRILL_USER_NAME} --access-key-id ${accessKeyId} --status Inactive`,
      );
      failure ??= error;
    }
  }
  return finishDrill(session, failure, result);
}
