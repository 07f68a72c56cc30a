import { describe, expect, it } from "vitest";
import { isoTimeOf } from "../../lambdas/core/sources/envelope.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../lambdas/core/sources/registry.js";
import { readFixture } from "../support/events.js";

const options = { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY };

function exposuresOf(event: unknown) {
  const result = normalizeEvent(event, options);
  if (result.kind !== "exposures") return result;
  return result.exposures.map((e) => ({
    accessKeyId: e.accessKeyId,
    principal: e.principal,
    intent: e.intent,
    severity: e.severity,
    sample: e.sample,
    signal: e.signal,
    accountId: e.accountId,
  }));
}

const HEALTH_ARN =
  "arn:aws:health:us-east-1::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/AWS_RISK_CREDENTIALS_EXPOSED-DVNePcpQ2o";
const base = { accountId: "123456789012", sample: false };

describe("signal parsers over real published events", () => {
  it.each([
    [
      "aws.health/risk-credentials-exposed.json",
      [
        {
          ...base,
          accessKeyId: "AKIAHEALTH001EXAMPLE",
          principal: { type: "user", name: "test-1" },
          intent: "contain",
          severity: "critical",
          signal: "AWS_RISK_CREDENTIALS_EXPOSED",
        },
      ],
    ],
    [
      "aws.health/risk-credentials-exposed-two-keys.json",
      [
        {
          ...base,
          accessKeyId: "AKIAHEALTH001EXAMPLE",
          principal: { type: "user", name: "test-1" },
          intent: "contain",
          severity: "critical",
          signal: "AWS_RISK_CREDENTIALS_EXPOSED",
        },
        {
          ...base,
          accessKeyId: "AKIAHEALTH002EXAMPLE",
          principal: { type: "user", name: undefined },
          intent: "contain",
          severity: "critical",
          signal: "AWS_RISK_CREDENTIALS_EXPOSED",
        },
      ],
    ],
    [
      "aws.health/risk-credentials-exposed-legacy-minimal.json",
      [
        {
          ...base,
          accessKeyId: "AKIAHEALTH003EXAMPLE",
          principal: { type: "user", name: undefined },
          intent: "contain",
          severity: "critical",
          signal: "AWS_RISK_CREDENTIALS_EXPOSED",
        },
      ],
    ],
    [
      "aws.trustedadvisor/exposed-access-keys-error.json",
      [
        {
          ...base,
          accessKeyId: "AKIATRUSTADV1EXAMPLE",
          principal: { type: "user", name: "test-user" },
          intent: "contain",
          severity: "critical",
          signal: "Exposed Access Keys",
        },
      ],
    ],
    [
      "aws.guardduty/iamuser-maliciousipcaller-custom.json",
      [
        {
          ...base,
          accessKeyId: "AKIAGDMALIP01EXAMPLE",
          principal: { type: "user", name: "gd-maliciousip-user" },
          intent: "contain",
          severity: "medium",
          signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        },
      ],
    ],
    [
      "aws.guardduty/iamuser-toripcaller.json",
      [
        {
          ...base,
          accessKeyId: "AKIAGDTORIP01EXAMPLE",
          principal: { type: "user", name: "gd-tor-user" },
          intent: "contain",
          severity: "medium",
          signal: "UnauthorizedAccess:IAMUser/TorIPCaller",
        },
      ],
    ],
    [
      "aws.guardduty/iamuser-pentest-kalilinux.json",
      [
        {
          ...base,
          accessKeyId: "AKIAGDKALI001EXAMPLE",
          principal: { type: "user", name: "gd-kali-user" },
          intent: "contain",
          severity: "medium",
          signal: "PenTest:IAMUser/KaliLinux",
        },
      ],
    ],
    [
      "aws.guardduty/iamuser-anomalous-behavior.json",
      [
        {
          ...base,
          accessKeyId: "AKIAGDANOM001EXAMPLE",
          principal: { type: "user", name: "gd-anomalous-user" },
          intent: "notify",
          severity: "low",
          signal: "Discovery:IAMUser/AnomalousBehavior",
        },
      ],
    ],
    [
      "aws.guardduty/instance-credential-exfiltration-outside-aws.json",
      [
        {
          ...base,
          accessKeyId: "ASIAGDEXFIL01EXAMPLE",
          principal: { type: "role", name: "gd-instance-role" },
          intent: "revoke-sessions",
          severity: "high",
          signal: "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        },
      ],
    ],
    [
      "aws.guardduty/root-credential-usage.json",
      [
        {
          ...base,
          accessKeyId: "AKIAGDROOT001EXAMPLE",
          principal: { type: "root" },
          intent: "notify",
          severity: "critical",
          signal: "Policy:IAMUser/RootCredentialUsage",
        },
      ],
    ],
    [
      "aws.guardduty/sample-finding.json",
      [
        {
          ...base,
          sample: true,
          accessKeyId: "GeneratedFindingAccessKeyId",
          principal: { type: "other", description: "AWSService" },
          intent: "notify",
          severity: "medium",
          signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        },
      ],
    ],
    [
      "aws.iam/create-access-key.json",
      [
        {
          ...base,
          accessKeyId: "AKIACTSELF001EXAMPLE",
          principal: { type: "user", name: "user1" },
          intent: "notify",
          severity: "low",
          signal: "CreateAccessKey",
        },
      ],
    ],
    [
      "aws.iam/create-access-key-other-user.json",
      [
        {
          ...base,
          accessKeyId: "AKIACTOTHER01EXAMPLE",
          principal: { type: "user", name: "Bob" },
          intent: "notify",
          severity: "high",
          signal: "CreateAccessKey",
        },
      ],
    ],
    [
      "aws.iam/create-access-key-root.json",
      [
        {
          ...base,
          accessKeyId: "AKIACTROOT001EXAMPLE",
          principal: { type: "root" },
          intent: "notify",
          severity: "critical",
          signal: "CreateAccessKey",
        },
      ],
    ],
    [
      "aws.iam/update-access-key-active.json",
      [
        {
          ...base,
          accessKeyId: "AKIACTUPDATE1EXAMPLE",
          principal: { type: "user", name: "Bob" },
          intent: "recontain-if-open",
          severity: "high",
          signal: "UpdateAccessKey",
        },
      ],
    ],
  ])("%s → exactly the keys it names", (fixture, expected) => {
    expect(exposuresOf(readFixture(fixture))).toEqual(expected);
  });

  it.each([
    "aws.health/ec2-scheduled-change.json",
    "aws.health/ec2-instance-store-degraded-backup.json",
    "aws.trustedadvisor/exposed-access-keys-ok.json",
    "aws.guardduty/ec2-finding.json",
    "aws.guardduty/s3-finding-with-accesskeydetails.json",
    "aws.guardduty/s3-policy-finding-resourcetype-accesskey.json",
    "aws.iam/delete-access-key.json",
  ])("%s → no exposure (never acted on)", (fixture) => {
    expect(exposuresOf(readFixture(fixture))).toEqual([]);
  });

  it("gives the backup copy of a Health event the same signal id as the original, so it is a duplicate", () => {
    const ids = (f: string) => {
      const r = normalizeEvent(readFixture(f), options);
      return r.kind === "exposures" ? r.exposures.map((e) => e.signalId) : [];
    };
    expect(ids("aws.health/risk-credentials-exposed-backup.json")).toEqual(
      ids("aws.health/risk-credentials-exposed.json"),
    );
    expect(ids("aws.health/risk-credentials-exposed.json")).toEqual([
      `health:${HEALTH_ARN}:acf0ec863d311e61f725cc6ba09b94d9798e78869a17:AKIAHEALTH001EXAMPLE`,
    ]);
  });

  it("gives a re-published GuardDuty finding the same signal id (its finding id)", () => {
    const event = readFixture("aws.guardduty/iamuser-maliciousipcaller-custom.json") as {
      id: string;
      detail: { updatedAt: string; service: { count: number } };
    };
    const republished = structuredClone(event);
    republished.id = "another-delivery";
    republished.detail.updatedAt = "2026-11-28T18:00:00.000Z";
    republished.detail.service.count += 5;
    const id = (e: unknown) =>
      (normalizeEvent(e, options) as { exposures: readonly { signalId: string }[] }).exposures[0]?.signalId;
    expect(id(republished)).toBe(id(event));
    expect(id(event)).toBe("guardduty:40bf27df0ab8f7086d6e0a2a33bb7c4e");
  });

  it("contains any IAM finding at or above the configured severity, and none below it", () => {
    const event = readFixture("aws.guardduty/iamuser-anomalous-behavior.json") as {
      detail: { severity: number };
    };
    event.detail.severity = 7;
    expect(exposuresOf(event)).toMatchObject([{ intent: "contain", severity: "high" }]);
    const strict = normalizeEvent(readFixture("aws.guardduty/iamuser-toripcaller.json"), {
      guardDutyPolicy: { containTypePatterns: [], containMinSeverity: 11 },
    });
    expect(strict.kind === "exposures" && strict.exposures[0]?.intent).toBe("notify");
  });

  it("acts in the member account for a member's GuardDuty finding delivered to the administrator account", () => {
    const event = readFixture("aws.guardduty/iamuser-toripcaller.json") as {
      account: string;
      detail: { accountId: string };
    };
    event.account = "999999999999";
    expect(exposuresOf(event)).toMatchObject([
      { accountId: "123456789012", accessKeyId: "AKIAGDTORIP01EXAMPLE" },
    ]);
  });

  it("reports an unknown source as unsupported", () => {
    const event = { ...readFixture("aws.guardduty/iamuser-toripcaller.json"), source: "my.app" };
    expect(normalizeEvent(event, options)).toEqual({
      kind: "unsupported",
      source: "my.app",
      detailType: "GuardDuty Finding",
    });
  });
});

describe("malformed events of known sources throw InvalidEventError naming the field", () => {
  /** The fixture with the value at `path` replaced, or removed when `value` is undefined. */
  function mutate(fixture: string, path: readonly string[], value?: unknown) {
    const event = structuredClone(readFixture(fixture));
    let node = event as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path[path.length - 1] as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
    return event;
  }

  it.each([
    ["not an object", () => "hello", /malformed eventbridge event/, ["(root): Invalid input"]],
    [
      "envelope without detail-type",
      () => mutate("aws.guardduty/iamuser-toripcaller.json", ["detail-type"]),
      /malformed eventbridge event/,
      ["detail-type: Invalid input"],
    ],
    [
      "GuardDuty severity as text",
      () => mutate("aws.guardduty/iamuser-toripcaller.json", ["detail", "severity"], "HIGH"),
      /malformed aws.guardduty event/,
      ["severity: Invalid input"],
    ],
    [
      "GuardDuty key id of the wrong shape",
      () =>
        mutate(
          "aws.guardduty/iamuser-toripcaller.json",
          ["detail", "resource", "accessKeyDetails", "accessKeyId"],
          "AKIA-not-a-key",
        ),
      /finding names no valid access key id/,
      ["resource.accessKeyDetails.accessKeyId: not an AKIA/ASIA key id"],
    ],
    [
      "GuardDuty AccessKey finding without key details",
      () => mutate("aws.guardduty/iamuser-toripcaller.json", ["detail", "resource", "accessKeyDetails"]),
      /AccessKey finding without accessKeyDetails/,
      ["resource.accessKeyDetails: missing"],
    ],
    [
      "Health RISK event without a key",
      () =>
        mutate(
          "aws.health/risk-credentials-exposed.json",
          ["detail", "affectedEntities"],
          [{ entityValue: "arn:aws:iam::123456789012:user/x" }],
        ),
      /names no valid access key id/,
      ["detail.affectedEntities: 1 entities, none an AKIA/ASIA key id"],
    ],
    [
      "Trusted Advisor item without a key",
      () =>
        mutate(
          "aws.trustedadvisor/exposed-access-keys-error.json",
          ["detail", "check-item-detail", "Access Key ID"],
          "",
        ),
      /names no valid access key id/,
      ['detail.check-item-detail["Access Key ID"]: not an AKIA/ASIA key id'],
    ],
    [
      "CreateAccessKey without the created key",
      () => mutate("aws.iam/create-access-key.json", ["detail", "responseElements"], null),
      /malformed aws.iam event/,
      ["(root): Invalid input"],
    ],
    [
      "drill event with an injected user name",
      () => ({
        version: "0",
        id: "d",
        "detail-type": "Leaked Key Drill",
        source: "leaked-key-responder.drill",
        account: "123456789012",
        time: "t",
        region: "us-east-1",
        detail: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "x; rm -rf /", drillId: "1" },
      }),
      /malformed leaked-key-responder.drill event/,
      ["userName: Invalid input"],
    ],
  ])("%s", (_name, build, message, issues) => {
    expect(() => normalizeEvent(build(), options)).toThrow(message);
    expect(() => normalizeEvent(build(), options)).toThrow(
      expect.objectContaining({ name: "InvalidEventError", issues }),
    );
  });
});

describe("signal times", () => {
  it.each([
    ["aws.health/risk-credentials-exposed.json", "2025-02-12T00:37:54.000Z"],
    ["aws.trustedadvisor/exposed-access-keys-error.json", "2017-06-10T03:13:31.198Z"],
    ["aws.guardduty/iamuser-toripcaller.json", "2022-01-28T21:12:25.490Z"],
    ["aws.iam/create-access-key.json", "2022-09-27T17:09:18.000Z"],
  ])("%s → an ISO 8601 observedAt", (fixture, expected) => {
    const result = normalizeEvent(readFixture(fixture), options);
    const observedAt = result.kind === "exposures" ? result.exposures[0]?.observedAt : undefined;
    expect(observedAt).toBe(expected);
  });

  it("falls back to the envelope's time when the signal's own time is unreadable", () => {
    expect(isoTimeOf("next tuesday", "2026-11-28T12:00:00Z")).toBe("2026-11-28T12:00:00.000Z");
    expect(isoTimeOf("1580000000000", "x")).toBe("2020-01-26T00:53:20.000Z");
  });
});
