import { ListAccountsCommand, type OrganizationsClient } from "@aws-sdk/client-organizations";
import { call } from "./aws-errors.js";

/**
 * The Organization's ACTIVE accounts (organizations:ListAccounts, paginated; suspended and
 * closing accounts are left out). Callable from the management account or a delegated administrator.
 */
export async function activeAccountsOf(client: OrganizationsClient): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await call("organizations:ListAccounts", () =>
      client.send(new ListAccountsCommand({ NextToken: nextToken })),
    );
    for (const a of out.Accounts ?? []) {
      // State replaces the deprecated Status (September 2025); either says ACTIVE.
      const state = (a as { State?: string }).State ?? a.Status;
      if (a.Id && state === "ACTIVE") ids.push(a.Id);
    }
    nextToken = out.NextToken;
  } while (nextToken);
  return ids;
}
