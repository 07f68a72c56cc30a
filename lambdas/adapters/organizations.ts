import {
  ListParentsCommand,
  ListTagsForResourceCommand,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import type { AccountPlacement } from "../core/alert-routes.js";
import { call } from "./aws-errors.js";

/** The Organizations actions the respond function calls (alert routing by OU or account tag). */
export const ORGANIZATIONS_ACTIONS = [
  "organizations:ListParents",
  "organizations:ListTagsForResource",
] as const;

/**
 * An account's OUs (walking up to the root) and its tags, from AWS Organizations; asked once per
 * account for the life of the container. Callable from the management account, or from an account
 * the Organization's resource-based delegation policy allows (see the README).
 */
export class OrganizationsPlacement {
  private readonly cache = new Map<string, Promise<AccountPlacement>>();

  constructor(private readonly client: OrganizationsClient) {}

  placementOf(accountId: string): Promise<AccountPlacement> {
    let found = this.cache.get(accountId);
    if (found === undefined) {
      found = this.lookUp(accountId);
      found.catch(() => this.cache.delete(accountId));
      this.cache.set(accountId, found);
    }
    return found;
  }

  private async lookUp(accountId: string): Promise<AccountPlacement> {
    const ouIds: string[] = [];
    let child = accountId;
    for (let depth = 0; depth < 6; depth++) {
      const out = await call("organizations:ListParents", () =>
        this.client.send(new ListParentsCommand({ ChildId: child })),
      );
      const parent = out.Parents?.[0];
      if (parent?.Id === undefined || parent.Type !== "ORGANIZATIONAL_UNIT") break;
      ouIds.push(parent.Id);
      child = parent.Id;
    }
    const tags: Record<string, string> = {};
    let NextToken: string | undefined;
    do {
      const out = await call("organizations:ListTagsForResource", () =>
        this.client.send(new ListTagsForResourceCommand({ ResourceId: accountId, NextToken })),
      );
      for (const t of out.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? "";
      NextToken = out.NextToken;
    } while (NextToken);
    return { ouIds, tags };
  }
}
