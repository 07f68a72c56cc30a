import { CANARY_PATH } from "./drill-canary.js";
import type { ReleasePlan, UndoStep } from "./release/plan.js";

/**
 * The drill of a member account (`lkr drill --account`). The member role may create no user and no
 * key (it holds no grant power), so the member stack provisions the drill user once: under the
 * canary path, tagged as a drill canary, denied everything, with one access key created Inactive
 * whose secret is never output. A drill sets that key Active through the member role, sends the
 * drill event naming the account, watches the responder disable it, resolves the incident and
 * takes the fence off again, so the user is back at rest: key Inactive, no responder policy or tag.
 * Pure: names, the deny-all document and what the restore gives back.
 */

/** The member stack's drill user (every member account has one of this name). */
export const MEMBER_DRILL_USER_NAME = "leaked-key-responder-drill";
export const MEMBER_DRILL_USER_PATH = CANARY_PATH;

/** The drill user's only inline policy: nothing is allowed to its key, whatever is attached later. */
export const MEMBER_DRILL_POLICY_NAME = "DenyEverything";
export const MEMBER_DRILL_POLICY_DOCUMENT = {
  Version: "2012-10-17",
  Statement: [{ Sid: "DenyEverything", Effect: "Deny", Action: "*", Resource: "*" }],
} as const;

/** The drill user's keys, as ListAccessKeys reports them. */
export interface DrillUserKey {
  readonly accessKeyId: string;
  readonly status: string;
}

/** The member account's drill user is missing or not as the member stack made it. */
export class MemberDrillUserError extends Error {
  override readonly name = "MemberDrillUserError";
  constructor(
    readonly accountId: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `account ${accountId}: ${problem}; the member stack provisions user ${MEMBER_DRILL_USER_PATH}${MEMBER_DRILL_USER_NAME} with one access key (update the StackSet)`,
      options,
    );
  }
}

/** The drill user's one key; MemberDrillUserError when it has none or several (not the stack's user). */
export function memberDrillKeyOf(accountId: string, keys: readonly DrillUserKey[] | undefined): DrillUserKey {
  if (keys === undefined) throw new MemberDrillUserError(accountId, `no user ${MEMBER_DRILL_USER_NAME}`);
  const [key, ...more] = keys;
  if (key === undefined)
    throw new MemberDrillUserError(accountId, `user ${MEMBER_DRILL_USER_NAME} has no key`);
  if (more.length > 0) {
    throw new MemberDrillUserError(
      accountId,
      `user ${MEMBER_DRILL_USER_NAME} has ${keys.length} keys, not one`,
    );
  }
  return key;
}

/**
 * What takes the drill's containment off the drill user again: the release plan's steps without
 * the key's reactivation (between drills the key stays Inactive, as the member stack created it).
 * Every step must be on the drill user itself: anything else is not the drill's to undo.
 */
export function drillRestoreSteps(accountId: string, plan: ReleasePlan): UndoStep[] {
  const steps = plan.steps.filter((step) => step.kind !== "reactivate-key");
  for (const step of steps) {
    if (step.target.type !== "user" || step.target.name !== MEMBER_DRILL_USER_NAME) {
      throw new MemberDrillUserError(
        accountId,
        `incident ${plan.incidentId} holds ${step.kind} on ${step.target.type} ${step.target.name}, not on the drill user`,
      );
    }
  }
  return steps;
}
