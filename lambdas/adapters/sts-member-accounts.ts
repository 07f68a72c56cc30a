import type { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { AwsCallError, TransientAwsError } from "../core/errors.js";
import { MemberAccountUnreachableError, memberRoleArn, NoMemberRoleError } from "../core/organization.js";
import { assumedRoleCredentials } from "./sts.js";

export interface MemberAccountsOptions {
  /** MEMBER_ROLE_NAME; unset: the home account only. */
  readonly roleName: string | undefined;
  /** STS of the home account; built once, on the first member account. */
  readonly sts: () => STSClient;
  /** The role session's name (CloudTrail of the member account shows it). */
  readonly sessionName: string;
  readonly now?: () => Date;
}

/**
 * Credentials for acting in an account: none for the home account (its own credentials act there);
 * the member role's in any other, assumed on first use and cached per account for their lifetime
 * (refreshed before they expire). An account whose member role cannot be assumed raises
 * MemberAccountUnreachableError, and is asked again next time (the member stack may arrive later).
 */
export class MemberAccounts {
  private readonly providers = new Map<string, AwsCredentialIdentityProvider>();
  private sts: STSClient | undefined;

  constructor(private readonly options: MemberAccountsOptions) {}

  /** Whether acting in `accountId` goes through the member role (not the home account, when the home account is known). */
  isMember(accountId: string, homeAccount: string | undefined): boolean {
    return homeAccount !== undefined && accountId !== homeAccount;
  }

  /** The member role's credentials of the account, resolved once so an unreachable account is known before anything is planned. */
  async credentialsFor(accountId: string, homeAccount: string): Promise<AwsCredentialIdentityProvider> {
    const roleName = this.options.roleName;
    if (roleName === undefined) throw new NoMemberRoleError(accountId, homeAccount);
    let provider = this.providers.get(accountId);
    if (provider === undefined) {
      this.sts ??= this.options.sts();
      provider = assumedRoleCredentials(
        this.sts,
        memberRoleArn(accountId, roleName),
        this.options.sessionName,
        this.options.now,
      );
      this.providers.set(accountId, provider);
    }
    try {
      await provider();
    } catch (error) {
      this.providers.delete(accountId);
      if (error instanceof TransientAwsError) throw error;
      if (error instanceof AwsCallError)
        throw new MemberAccountUnreachableError(accountId, roleName, { cause: error });
      throw error;
    }
    return provider;
  }
}
