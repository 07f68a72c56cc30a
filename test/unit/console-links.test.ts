import { describe, expect, it } from "vitest";
import { consoleLinksOf, keyConsoleLinks } from "../../lambdas/core/console-links.js";
import type { Exposure } from "../../lambdas/core/exposure.js";
import { renderAlert } from "../../lambdas/core/notification.js";
import { planResponse } from "../../lambdas/core/plan.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../lambdas/core/sources/registry.js";
import { readFixture } from "../support/events.js";
import { GUARDDUTY_EXPOSURE, NOW } from "../support/exposures.js";

function exposureOf(fixture: string): Exposure {
  const normalized = normalizeEvent(readFixture(fixture), { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY });
  if (normalized.kind !== "exposures" || normalized.exposures[0] === undefined) throw new Error(fixture);
  return normalized.exposures[0];
}

describe("consoleLinksOf", () => {
  it("a GuardDuty finding in us-east-2: the user's credentials page, CloudTrail by key in us-east-1 and us-east-2, the finding", () => {
    const exposure = exposureOf("aws.guardduty/iamuser-maliciousipcaller-custom.json");
    expect(consoleLinksOf(exposure, undefined)).toEqual([
      {
        label: "IAM user gd-maliciousip-user (security credentials)",
        url: "https://us-east-1.console.aws.amazon.com/iam/home#/users/details/gd-maliciousip-user?section=security_credentials",
      },
      {
        label: "CloudTrail event history of the key (us-east-1)",
        url: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=AKIAGDMALIP01EXAMPLE",
      },
      {
        label: "CloudTrail event history of the key (us-east-2)",
        url: "https://us-east-2.console.aws.amazon.com/cloudtrail/home?region=us-east-2#/events?AccessKeyId=AKIAGDMALIP01EXAMPLE",
      },
      {
        label: "GuardDuty finding",
        url: "https://us-east-2.console.aws.amazon.com/guardduty/home?region=us-east-2#/findings?macros=current&fId=40bf27df0ab8f7086d6e0a2a33bb7c4e",
      },
    ]);
  });

  it("a Health event (region global): CloudTrail in us-east-1 only, no finding; a user the signal does not name is the one the lookup found", () => {
    const exposure = exposureOf("aws.health/risk-credentials-exposed.json");
    expect(exposure.region).toBe("us-east-1");
    const unnamed: Exposure = { ...exposure, region: "global", principal: { type: "user", name: undefined } };
    expect(consoleLinksOf(unnamed, "ci-deployer").map((l) => l.label)).toEqual([
      "IAM user ci-deployer (security credentials)",
      "CloudTrail event history of the key (us-east-1)",
    ]);
    expect(consoleLinksOf(unnamed, undefined).map((l) => l.label)).toEqual([
      "CloudTrail event history of the key (us-east-1)",
    ]);
  });

  it("a role's page for a role's session key; the name is URL-encoded", () => {
    const links = consoleLinksOf(
      { ...GUARDDUTY_EXPOSURE, principal: { type: "role", name: "app+ci" } },
      undefined,
    );
    expect(links[0]).toEqual({
      label: "IAM role app+ci",
      url: "https://us-east-1.console.aws.amazon.com/iam/home#/roles/details/app%2Bci",
    });
  });

  it("none for a GuardDuty sample finding (its ids are placeholders)", () => {
    expect(consoleLinksOf(exposureOf("aws.guardduty/sample-finding.json"), undefined)).toEqual([]);
  });

  it("are in the email text, the chat notification and the incident JSON", () => {
    const exposure = exposureOf("aws.guardduty/iamuser-maliciousipcaller-custom.json");
    const plan = planResponse(exposure, {
      mode: "enforce",
      now: NOW,
      quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
      exemptPrincipals: [],
      incident: undefined,
      facts: {
        kind: "user",
        name: "gd-maliciousip-user",
        exempt: false,
        drillCanary: false,
        keyStatus: "Active",
      },
    });
    const alert = renderAlert({
      exposure,
      plan,
      principalName: "gd-maliciousip-user",
      actions: [],
      mode: "enforce",
      stackName: "LeakedKeyResponder",
    });
    const finding =
      "https://us-east-2.console.aws.amazon.com/guardduty/home?region=us-east-2#/findings?macros=current&fId=40bf27df0ab8f7086d6e0a2a33bb7c4e";
    expect(alert.text).toContain(`IN THE CONSOLE (account ${exposure.accountId})\n`);
    expect(alert.text).toContain(`  GuardDuty finding: ${finding}`);
    expect(JSON.parse(alert.chat).content.description).toContain(`GuardDuty finding: ${finding}`);
    expect(JSON.parse(alert.machine).consoleLinks).toHaveLength(4);
  });
});

describe("keyConsoleLinks (the follow-up and release alerts, from the stored incident)", () => {
  it("a user's key seen in eu-west-1: the user's credentials page, CloudTrail by key in us-east-1 and eu-west-1", () => {
    expect(keyConsoleLinks({ type: "user", name: "alice" }, "AKIAIOSFODNN7EXAMPLE", "eu-west-1")).toEqual([
      {
        label: "IAM user alice (security credentials)",
        url: "https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice?section=security_credentials",
      },
      {
        label: "CloudTrail event history of the key (us-east-1)",
        url: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=AKIAIOSFODNN7EXAMPLE",
      },
      {
        label: "CloudTrail event history of the key (eu-west-1)",
        url: "https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events?AccessKeyId=AKIAIOSFODNN7EXAMPLE",
      },
    ]);
  });

  it("a role's page; no IAM page for root, another principal or an unnamed user; region global is us-east-1", () => {
    expect(
      keyConsoleLinks({ type: "role", name: "app+ci" }, "ASIAIOSFODNN7EXAMPLE", "global").map((l) => l.url),
    ).toEqual([
      "https://us-east-1.console.aws.amazon.com/iam/home#/roles/details/app%2Bci",
      "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=ASIAIOSFODNN7EXAMPLE",
    ]);
    for (const principal of [{ type: "root" }, { type: "other", name: "AWSService" }, { type: "user" }]) {
      expect(keyConsoleLinks(principal, "AKIAIOSFODNN7EXAMPLE", "us-east-1").map((l) => l.label)).toEqual([
        "CloudTrail event history of the key (us-east-1)",
      ]);
    }
  });
});
