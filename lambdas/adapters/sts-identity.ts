import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { call } from "./aws-errors.js";

export interface CallerIdentity {
  readonly arn: string;
  readonly accountId: string;
}

/** Who is calling: recorded as the releaser, and the account a drill runs in. */
export async function callerIdentityOf(sts: STSClient): Promise<CallerIdentity> {
  const out = await call("sts:GetCallerIdentity", () => sts.send(new GetCallerIdentityCommand({})));
  if (!out.Arn || !out.Account) throw new Error("sts:GetCallerIdentity returned no ARN or account");
  return { arn: out.Arn, accountId: out.Account };
}
