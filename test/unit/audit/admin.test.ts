import { describe, expect, it } from "vitest";
import {
  type AuthorizationDetails,
  adminScopesOf,
  allowsEverything,
  decodePolicyDocument,
  isAdministratorAccess,
  isCustomerManaged,
} from "../../../lambdas/core/audit/admin.js";

const doc = (statement: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: statement });

describe("admin-equivalent policy documents", () => {
  it.each([
    [
      "Allow * on * (AdministratorAccess's own document)",
      doc([{ Effect: "Allow", Action: "*", Resource: "*" }]),
      true,
    ],
    [
      "Allow *:* as a list, one statement object",
      doc({ Effect: "Allow", Action: ["s3:*", "*:*"], Resource: ["*"] }),
      true,
    ],
    ["Allow s3:* on *", doc([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]), false],
    ["Allow * on one bucket", doc([{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }]), false],
    [
      "Allow * on * under a condition",
      doc([
        {
          Effect: "Allow",
          Action: "*",
          Resource: "*",
          Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
        },
      ]),
      false,
    ],
    ["Deny * on *", doc([{ Effect: "Deny", Action: "*", Resource: "*" }]), false],
    ["Allow NotAction iam:*", doc([{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }]), false],
  ])("%s → %s", (_what, json, expected) => {
    expect(allowsEverything(json)).toBe(expected);
  });

  it("answers undefined for a document that does not parse", () => {
    expect(allowsEverything("{not json")).toBeUndefined();
    expect(allowsEverything(JSON.stringify({ Version: "2012-10-17" }))).toBeUndefined();
  });

  it("knows AdministratorAccess in any partition, and customer managed policies by account", () => {
    expect(isAdministratorAccess("arn:aws:iam::aws:policy/AdministratorAccess")).toBe(true);
    expect(isAdministratorAccess("arn:aws-us-gov:iam::aws:policy/AdministratorAccess")).toBe(true);
    expect(isAdministratorAccess("arn:aws:iam::aws:policy/AdministratorAccess-Amplify")).toBe(false);
    expect(isAdministratorAccess("arn:aws:iam::123456789012:policy/AdministratorAccess")).toBe(false);
    expect(isCustomerManaged("arn:aws:iam::123456789012:policy/team/admin")).toBe(true);
    expect(isCustomerManaged("arn:aws:iam::aws:policy/ReadOnlyAccess")).toBe(false);
  });
});

describe("adminScopesOf", () => {
  const ALL = encodeURIComponent(doc([{ Effect: "Allow", Action: "*", Resource: "*" }]));
  const S3 = encodeURIComponent(doc([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]));
  const TEAM = "arn:aws:iam::123456789012:policy/team";
  const user = (userName: string, extra: Partial<AuthorizationDetails["users"][number]> = {}) => ({
    userName,
    inline: [],
    attached: [],
    groups: [],
    ...extra,
  });

  it("finds AdministratorAccess, an inline *:*, a group's customer managed *:* policy; narrow users are not admin", () => {
    const scopes = adminScopesOf({
      users: [
        user("direct", {
          attached: [{ name: "AdministratorAccess", arn: "arn:aws:iam::aws:policy/AdministratorAccess" }],
        }),
        user("inline", {
          inline: [
            { name: "all", document: ALL },
            { name: "s3", document: S3 },
          ],
        }),
        user("via-group", { groups: ["ops"] }),
        user("narrow", {
          inline: [{ name: "s3", document: S3 }],
          attached: [{ name: "ReadOnlyAccess", arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
        }),
      ],
      groups: [{ groupName: "ops", inline: [], attached: [{ name: "team", arn: TEAM }] }],
      managedPolicies: [{ arn: TEAM, document: ALL }],
    });
    expect(Object.fromEntries(scopes)).toEqual({
      direct: { admin: true, via: ["AdministratorAccess"] },
      inline: { admin: true, via: ["inline policy all"] },
      "via-group": { admin: true, via: ["team (group ops)"] },
      narrow: { admin: false, via: [] },
    });
  });

  it("gives an error, never 'not admin', where a document or a group cannot be read", () => {
    const scopes = adminScopesOf({
      users: [
        user("broken", { inline: [{ name: "bad", document: "%7Bnot" }] }),
        user("lost-group", { groups: ["gone"] }),
        user("lost-policy", { attached: [{ name: "team", arn: TEAM }] }),
      ],
      groups: [],
      managedPolicies: [],
    });
    expect(Object.fromEntries(scopes)).toEqual({
      broken: { error: "inline policy bad does not parse" },
      "lost-group": { error: "group gone missing from the authorization details" },
      "lost-policy": { error: `managed policy ${TEAM} has no readable default version` },
    });
  });

  it("decodes IAM's URL-encoded documents and takes raw JSON as it is", () => {
    expect(decodePolicyDocument("%7B%22a%22%3A1%7D")).toBe('{"a":1}');
    expect(decodePolicyDocument(' {"a":"100%"}')).toBe('{"a":"100%"}');
  });
});
