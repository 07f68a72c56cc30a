import { describe, expect, it } from "vitest";
import {
  allowsEverything,
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
