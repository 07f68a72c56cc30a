import {
  ListParentsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { OrganizationsPlacement } from "../../lambdas/adapters/organizations.js";
import {
  extraTopicsFor,
  formatAlertRoutes,
  needsPlacement,
  parseAlertRoutes,
} from "../../lambdas/core/alert-routes.js";
import { ConfigError } from "../../lambdas/core/errors.js";

const PAYMENTS = "arn:aws:sns:us-east-1:123456789012:payments-alerts";
const DATA = "arn:aws:sns:us-east-1:123456789012:data-alerts";
const TEAM = "arn:aws:sns:us-east-1:123456789012:team-blue";
const ROUTES = `210987654321=${PAYMENTS},ou-ab12-cdef3456=${DATA},tag:team=blue=${TEAM}`;

describe("alert routes (ALERT_ROUTES)", () => {
  const routes = parseAlertRoutes(ROUTES);

  it("reads account, OU and account-tag routes, and writes them back the same", () => {
    expect(routes).toEqual([
      { match: "210987654321", topicArn: PAYMENTS },
      { match: "ou-ab12-cdef3456", topicArn: DATA },
      { match: "tag:team=blue", topicArn: TEAM },
    ]);
    expect(formatAlertRoutes(routes)).toBe(ROUTES);
    expect(parseAlertRoutes(undefined)).toEqual([]);
  });

  it.each([`finance=${PAYMENTS}`, "210987654321=arn:aws:sqs:us-east-1:123456789012:q", "210987654321"])(
    "refuses %s, naming the variable",
    (entry) => {
      expect(() => parseAlertRoutes(entry)).toThrow(ConfigError);
      expect(() => parseAlertRoutes(entry)).toThrow(/ALERT_ROUTES contains/);
    },
  );

  it("routes an account by its id, an OU above it and its tags; the account route alone without its placement", () => {
    const placement = { ouIds: ["ou-ab12-99998888", "ou-ab12-cdef3456"], tags: { team: "blue" } };
    expect(extraTopicsFor(routes, "210987654321", placement)).toEqual([PAYMENTS, DATA, TEAM]);
    expect(extraTopicsFor(routes, "210987654321", undefined)).toEqual([PAYMENTS]);
    expect(extraTopicsFor(routes, "333344445555", { ouIds: [], tags: { team: "red" } })).toEqual([]);
    expect(needsPlacement(routes)).toBe(true);
    expect(needsPlacement(parseAlertRoutes(`210987654321=${PAYMENTS}`))).toBe(false);
  });
});

describe("OrganizationsPlacement", () => {
  const orgs = mockClient(OrganizationsClient);
  beforeEach(() => orgs.reset());

  it("walks the account's OUs up to the root, reads its tags, and asks once per account", async () => {
    orgs
      .on(ListParentsCommand, { ChildId: "210987654321" })
      .resolves({ Parents: [{ Id: "ou-ab12-99998888", Type: "ORGANIZATIONAL_UNIT" }] })
      .on(ListParentsCommand, { ChildId: "ou-ab12-99998888" })
      .resolves({ Parents: [{ Id: "ou-ab12-cdef3456", Type: "ORGANIZATIONAL_UNIT" }] })
      .on(ListParentsCommand, { ChildId: "ou-ab12-cdef3456" })
      .resolves({ Parents: [{ Id: "r-ab12", Type: "ROOT" }] });
    orgs
      .on(ListTagsForResourceCommand)
      .resolvesOnce({ Tags: [{ Key: "team", Value: "blue" }], NextToken: "n" })
      .resolvesOnce({ Tags: [{ Key: "cost", Value: "42" }] });
    const placement = new OrganizationsPlacement(new OrganizationsClient({ region: "us-east-1" }));

    const first = await placement.placementOf("210987654321");
    await placement.placementOf("210987654321");

    expect(first).toEqual({
      ouIds: ["ou-ab12-99998888", "ou-ab12-cdef3456"],
      tags: { team: "blue", cost: "42" },
    });
    expect(orgs.commandCalls(ListParentsCommand)).toHaveLength(3);
    expect(orgs.commandCalls(ListTagsForResourceCommand)).toHaveLength(2);
  });
});
