import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { assumedRoleCredentials } from "../lambdas/adapters/sts.js";
import { type CallerIdentity, callerIdentityOf } from "../lambdas/adapters/sts-identity.js";
import { SERVICE_NAME } from "../lambdas/core/contract.js";
import type { CommandContext } from "./commands/common.js";
import { ConfigurationError, UsageError } from "./errors.js";
import { actingIn } from "./member-account.js";

/**
 * Where `lkr honeykey` creates or disables a honey user: the account lkr's own (central) credentials
 * are for, or a member account of the Organization (`--account`). The member role holds no power to
 * create users or keys (it never grants), so planting in a member account uses credentials the
 * operator has there: `--account-profile` (a profile of theirs in that account) or `--role-arn` (a
 * role of theirs there, assumed with the central credentials). Either is checked with
 * sts:GetCallerIdentity to be in the account named before anything is created. The record always
 * goes to the central incident table with the central credentials.
 */
export interface HoneyAccount {
  readonly iam: IAMClient;
  readonly accountId: string;
  /** Who acts in IAM there (recorded as the honey key's creator). */
  readonly arn: string;
  /** How lkr reached the account, for messages. */
  readonly via: string;
  /** Releases the clients built for this account (lkr's shared ones stay). */
  readonly destroy: () => void;
}

/** What lkr needs to do in the honey key's account: create users and keys, or only set a key Inactive. */
export type HoneyAccountNeed = "create" | "disable";

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** `--account`, validated: one 12-digit account id, or undefined. */
export function honeyAccountOption(ctx: CommandContext): string | undefined {
  const account = ctx.args.account?.trim();
  if (account === undefined || account === "") return undefined;
  if (!ACCOUNT_ID.test(account)) {
    throw new UsageError(`--account "${account}": expected one 12-digit account id`);
  }
  return account;
}

/** The operator's own credentials for the account (--account-profile / --role-arn), unverified. */
function operatorClients(
  ctx: CommandContext,
  accountId: string,
): { iam: IAMClient; sts: STSClient; via: string } | undefined {
  const { accountProfile, roleArn } = ctx.args;
  if (accountProfile !== undefined && roleArn !== undefined) {
    throw new UsageError("give --account-profile or --role-arn, not both");
  }
  if (accountProfile !== undefined) {
    if (accountProfile.trim() === "") throw new UsageError("--account-profile needs a profile name");
    const config = { ...ctx.aws.config, profile: accountProfile };
    return { iam: new IAMClient(config), sts: new STSClient(config), via: `profile ${accountProfile}` };
  }
  if (roleArn !== undefined) {
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new UsageError(`--role-arn "${roleArn}" is not an IAM role ARN`);
    if (match[1] !== accountId) {
      throw new UsageError(
        `--role-arn ${roleArn} is a role of account ${match[1]}, not of --account ${accountId}`,
      );
    }
    const { profile: _central, ...config } = ctx.aws.config;
    const credentials = assumedRoleCredentials(ctx.aws.sts(), roleArn, `${SERVICE_NAME}-lkr-honeykey`);
    return {
      iam: new IAMClient({ ...config, credentials }),
      sts: new STSClient({ ...config, credentials }),
      via: `role ${roleArn}`,
    };
  }
  return undefined;
}

/**
 * IAM of the honey key's account (`--account`, else `recordAccount`, else the central one), able to
 * do what `need` says. Refuses, changing nothing: operator credentials that are not in the account
 * named; creating in another account without operator credentials there. Disabling in another
 * account without them goes through the member role (it may set keys Inactive).
 */
export async function honeyAccountFor(
  ctx: CommandContext,
  central: CallerIdentity,
  need: HoneyAccountNeed,
  recordAccount?: string,
): Promise<HoneyAccount> {
  const named = honeyAccountOption(ctx);
  if (named === undefined && (ctx.args.accountProfile !== undefined || ctx.args.roleArn !== undefined)) {
    throw new UsageError(
      "--account-profile and --role-arn need --account <id>: lkr checks that the credentials are in that account",
    );
  }
  const accountId = named ?? recordAccount ?? central.accountId;
  const own = operatorClients(ctx, accountId);
  if (own !== undefined) {
    const identity = await callerIdentityOf(own.sts).finally(() => own.sts.destroy());
    if (identity.accountId !== accountId) {
      own.iam.destroy();
      throw new ConfigurationError(
        `the credentials of ${own.via} are in account ${identity.accountId} (${identity.arn}), not in account ${accountId}: nothing was changed. Give a profile or role of account ${accountId}.`,
      );
    }
    return { iam: own.iam, accountId, arn: identity.arn, via: own.via, destroy: () => own.iam.destroy() };
  }
  if (accountId === central.accountId) {
    return {
      iam: ctx.aws.iam(),
      accountId,
      arn: central.arn,
      via: "lkr's own credentials",
      destroy: () => {},
    };
  }
  if (need === "disable") {
    const acting = await actingIn(ctx.aws, central, accountId);
    if (acting.accountId === accountId) {
      return {
        iam: acting.iam,
        accountId,
        arn: central.arn,
        via: "the member role",
        destroy: () => acting.iam.destroy(),
      };
    }
  }
  throw new UsageError(
    need === "create"
      ? `account ${accountId} is not the account of lkr's credentials (${central.accountId}), and the member role never creates users or keys: ` +
          `pass --account-profile <your profile in ${accountId}> or --role-arn arn:aws:iam::${accountId}:role/<your role>`
      : `account ${accountId} is not the account of lkr's credentials (${central.accountId}) and no member role is known (LKR_MEMBER_ROLE_NAME): ` +
          `pass --account-profile or --role-arn for account ${accountId}`,
  );
}
