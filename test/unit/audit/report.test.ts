import { describe, expect, it } from "vitest";
import { CredentialReportError } from "../../../lambdas/core/audit/errors.js";
import { csvFields, parseCredentialReport, ROOT_ACCOUNT } from "../../../lambdas/core/audit/report.js";
import { guardianUsers, reportFixture, withRow } from "./support.js";

describe("parseCredentialReport on published reports", () => {
  it("reads every row of the Guardian's report, root first, with IAM's markers as undefined", () => {
    const users = parseCredentialReport(reportFixture("guardian-security-hq.csv"));
    expect(users.map((u) => u.userName)).toEqual([
      ROOT_ACCOUNT,
      "IAM-user",
      "with-disabled-key",
      "different-region",
      "credential-user",
    ]);
    expect(users[0]).toMatchObject({
      isRoot: true,
      accountId: "0123456789",
      consoleAccess: true,
      mfaActive: true,
      passwordLastUsed: "2016-10-07T14:30:00.000Z",
      keySlots: [
        { slot: 1, active: false, lastRotated: undefined, lastUsed: undefined },
        { slot: 2, active: false, lastRotated: undefined, lastUsed: undefined },
      ],
    });
  });

  it("reads both key slots of a user: key 1 inactive, key 2 active, each with its own use", () => {
    const user = guardianUsers().get("with-disabled-key");
    expect(user?.consoleAccess).toBe(false);
    expect(user?.keySlots).toEqual([
      {
        slot: 1,
        active: false,
        lastRotated: "2017-04-19T15:47:39.000Z",
        lastUsed: "2017-04-19T15:48:00.000Z",
        lastUsedRegion: "eu-west-1",
        lastUsedService: "ec2",
      },
      {
        slot: 2,
        active: true,
        lastRotated: "2016-07-29T09:20:20.000Z",
        lastUsed: "2017-05-24T11:35:00.000Z",
        lastUsedRegion: "us-east-1",
        lastUsedService: "sts",
      },
    ]);
  });

  it("reads no_information as no known use", () => {
    const [user] = parseCredentialReport(reportFixture("guardian-security-hq-no-information.csv"));
    expect(user?.passwordLastUsed).toBeUndefined();
    expect(user?.keySlots[0].lastUsed).toBe("2017-08-30T13:32:00.000Z");
  });

  it("rejects a report cut short, naming the missing columns", () => {
    expect(() => parseCredentialReport(reportFixture("guardian-security-hq-truncated.csv"))).toThrow(
      CredentialReportError,
    );
    expect(() => parseCredentialReport(reportFixture("guardian-security-hq-truncated.csv"))).toThrow(
      /lacks columns: password_last_changed, .*cert_2_last_rotated/,
    );
  });

  it("rejects an empty report", () => {
    expect(() => parseCredentialReport("")).toThrow(/empty/);
  });

  it.each([
    ["a time IAM never writes", { access_key_1_last_rotated: "yesterday" }, /access_key_1_last_rotated/],
    ["a flag that is not true/false", { mfa_active: "yes" }, /mfa_active/],
    ["an ARN that is not a user's", { arn: "arn:aws:iam::0123456789:role/x" }, /arn/],
  ])("rejects a row with %s, naming the row and the column", (_what, changes, column) => {
    const csv = withRow("credential-user", changes);
    expect(() => parseCredentialReport(csv)).toThrow(column);
    expect(() => parseCredentialReport(csv)).toThrow(/row 5 \(credential-user\)/);
  });

  it("rejects a row with a field too many", () => {
    const csv = `${reportFixture("guardian-security-hq.csv").trimEnd()},extra\n`;
    expect(() => parseCredentialReport(csv)).toThrow(/row 5: 23 fields, header has 22/);
  });

  it("reads columns by name, so a column IAM adds at the end changes nothing", () => {
    const csv = reportFixture("guardian-security-hq.csv")
      .trimEnd()
      .split("\n")
      .map((line, i) => `${line},${i === 0 ? "new_column" : "x"}`)
      .join("\n");
    expect(parseCredentialReport(csv)).toEqual(
      parseCredentialReport(reportFixture("guardian-security-hq.csv")),
    );
  });

  it("keeps a user name with commas whole, quoted or not (IAM names may hold commas)", () => {
    const quoted = withRow("credential-user", {
      user: '"a,b"',
      arn: '"arn:aws:iam::0123456789:user/a,b"',
    });
    expect(parseCredentialReport(quoted).at(-1)?.userName).toBe("a,b");
    const bare = withRow("credential-user", { user: "a,b", arn: "arn:aws:iam::0123456789:user/a,b" });
    expect(parseCredentialReport(bare).at(-1)).toMatchObject({
      userName: "a,b",
      arn: "arn:aws:iam::0123456789:user/a,b",
    });
  });

  it("splits CSV fields with quotes and doubled quotes", () => {
    expect(csvFields('a,"b,c","d""e",')).toEqual(["a", "b,c", 'd"e', ""]);
  });
});
