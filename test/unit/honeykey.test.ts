import { describe, expect, it } from "vitest";
import { type AuditSources, auditFindings } from "../../lambdas/core/audit/audit.js";
import { DEFAULT_THRESHOLDS } from "../../lambdas/core/audit/rules.js";
import { InvalidEventError } from "../../lambdas/core/errors.js";
import { renderHoneyUseAlert, renderSafetyNetAlert } from "../../lambdas/core/honeykey/alert.js";
import {
  DEFAULT_NAME_PATTERN,
  type HoneyKeyRecord,
  honeyPathProblem,
  honeyUserNameOf,
  renderCredentials,
  tellTaleWordIn,
} from "../../lambdas/core/honeykey/model.js";
import type { HoneyKeyFacts } from "../../lambdas/core/honeykey/ports.js";
import { checkHoneyKey } from "../../lambdas/core/honeykey/safety-net.js";
import { honeyUseCandidateOf, isUnderPath, testNonceOf } from "../../lambdas/core/honeykey/use.js";
import { planResponse } from "../../lambdas/core/plan.js";
import { cloudTrailApiCallEvent, readCloudTrailRecord, readFixture } from "../../local/events.js";
import { GUARDDUTY_EXPOSURE, NOW } from "../support/exposures.js";
import { NOW as AUDIT_NOW, reportFixture } from "./audit/support.js";

const PATH = "/service/";
const HONEY = "AKIAHONEY0000EXAMPLE";
const DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll";

/** The published record, signed by a honey user under the path (the overrides the fixture README lists). */
function underPath(file: string, extra: { sourceIp?: string; key?: string } = {}) {
  const record = readCloudTrailRecord(file) as { userIdentity: { arn: string; userName: string } };
  const [prefix, name] = record.userIdentity.arn.split(":user/") as [string, string];
  return cloudTrailApiCallEvent(record, {
    arn: `${prefix}:user${PATH}${name}`,
    userName: name,
    key: extra.key ?? HONEY,
    ...(extra.sourceIp ? { sourceIp: extra.sourceIp } : {}),
  });
}

describe("a honey key's use, read from published CloudTrail records", () => {
  it.each([
    [
      "stratus-get-caller-identity-iam-user.json",
      {
        call: "sts.amazonaws.com:GetCallerIdentity",
        sourceIp: "253.234.5.234",
        userAgent: "stratus-red-team_99dfa7e5-00d3-40b7-8cfd-b2573ada0eac",
        region: "ap-central-2r",
        eventTime: "2024-08-01T13:42:21.000Z",
        eventId: "e544d47e-6d75-45cf-a8a9-7e90d5f7d38d",
        accountId: "070411556318",
        userName: "christophe",
        errorCode: undefined,
      },
    ],
    [
      "stratus-list-secrets.json",
      {
        call: "secretsmanager.amazonaws.com:ListSecrets",
        sourceIp: "253.201.144.253",
        region: "cn-centraleast-1r",
        eventTime: "2024-07-31T12:36:48.000Z",
        errorCode: undefined,
      },
    ],
    [
      "stratus-assume-role-denied-iam-user.json",
      {
        call: "sts.amazonaws.com:AssumeRole",
        sourceIp: "200.249.253.51",
        errorCode: "AccessDenied",
        eventTime: "2024-07-30T21:31:12.000Z",
      },
    ],
  ])(
    "%s by a user under the honey path is a candidate with call, IP, agent, region and time",
    (file, expected) => {
      const use = honeyUseCandidateOf(underPath(file), PATH);
      expect(use).toMatchObject({ ...expected, accessKeyId: HONEY });
      expect(use?.userArn).toContain(`:user${PATH}`);
    },
  );

  it("the same published records as they are (users at path /) are not candidates", () => {
    for (const file of [
      "stratus-get-caller-identity-iam-user.json",
      "stratus-list-secrets.json",
      "stratus-assume-role-denied-iam-user.json",
    ]) {
      expect(honeyUseCandidateOf(cloudTrailApiCallEvent(readCloudTrailRecord(file)), PATH)).toBeUndefined();
    }
  });

  it("a federated user's GetCallerIdentity (an ASIA key, no IAM user) is no candidate", () => {
    const event = cloudTrailApiCallEvent(readCloudTrailRecord("stratus-get-caller-identity-federated.json"));
    expect(honeyUseCandidateOf(event, PATH)).toBeUndefined();
  });

  it("the same record under a custom source (anyone may PutEvents one) is no candidate", () => {
    const forged = { ...underPath("stratus-get-caller-identity-iam-user.json"), source: "acme.cloudtrail" };
    expect(honeyUseCandidateOf(forged, PATH)).toBeUndefined();
  });

  it("an ASIA key of a user under the path is no candidate (honey keys are long-term keys)", () => {
    const event = underPath("stratus-get-caller-identity-iam-user.json", { key: "ASIAHONEY0000EXAMPLE" });
    expect(honeyUseCandidateOf(event, PATH)).toBeUndefined();
  });

  it("signals of other kinds are not candidates (a Health event, a GuardDuty finding)", () => {
    expect(
      honeyUseCandidateOf(readFixture("aws.health/risk-credentials-exposed.json"), PATH),
    ).toBeUndefined();
    expect(honeyUseCandidateOf(readFixture("aws.guardduty/iamuser-toripcaller.json"), PATH)).toBeUndefined();
    expect(honeyUseCandidateOf({ not: "an event" }, PATH)).toBeUndefined();
  });

  it("a CloudTrail event under the path that cannot be read is an InvalidEventError (it goes to the DLQ)", () => {
    const event = underPath("stratus-get-caller-identity-iam-user.json") as {
      detail: Record<string, unknown>;
    };
    delete event.detail.eventID;
    expect(() => honeyUseCandidateOf(event, PATH)).toThrow(InvalidEventError);
  });

  it("tells the path apart from look-alikes: /service/ is not /services/ nor /service itself", () => {
    expect(isUnderPath("arn:aws:iam::123456789012:user/service/backup-prod-07", PATH)).toBe(true);
    expect(isUnderPath("arn:aws:iam::123456789012:user/service/team/etl", PATH)).toBe(true);
    expect(isUnderPath("arn:aws:iam::123456789012:user/services/backup", PATH)).toBe(false);
    expect(isUnderPath("arn:aws:iam::123456789012:user/backup", PATH)).toBe(false);
    expect(isUnderPath("arn:aws:sts::123456789012:assumed-role/service/x", PATH)).toBe(false);
  });

  it("finds the test nonce in a user agent, and none in an ordinary one", () => {
    expect(testNonceOf("aws-sdk-js/3.0 lkr-honeykey-test/0a1b2c3d4e5f6071 md/x")).toBe("0a1b2c3d4e5f6071");
    expect(testNonceOf("aws-cli/2.15.30 Python/3.11.6")).toBeUndefined();
  });
});

describe("honey user names and paths look ordinary", () => {
  it("fills the default pattern from randomness, the same randomness giving the same name", () => {
    expect(honeyUserNameOf(DEFAULT_NAME_PATTERN, "00000000")).toBe("backup-prod-00");
    expect(honeyUserNameOf(DEFAULT_NAME_PATTERN, "0a1b2c3d")).toBe(
      honeyUserNameOf(DEFAULT_NAME_PATTERN, "0a1b2c3d"),
    );
    expect(honeyUserNameOf("svc-{word}", "03000000")).toBe("svc-etl");
  });

  it("never gives a name with a tell-tale word, whatever the randomness", () => {
    for (let i = 0; i < 2000; i++) {
      const name = honeyUserNameOf(DEFAULT_NAME_PATTERN, (i * 2654435761).toString(16).padStart(8, "0"));
      expect(tellTaleWordIn(name)).toBeUndefined();
      expect(name).toMatch(/^[\w+=,.@-]{1,64}$/);
    }
  });

  it.each([
    ["canary-{n}", /contains "canary"/],
    ["{word}-Honey", /contains "honey"/],
    ["bad name {n}", /not a valid IAM user name/],
  ])("refuses the pattern %s", (pattern, message) => {
    expect(() => honeyUserNameOf(pattern, "00000000")).toThrow(message);
  });

  it.each([
    ["/service/", undefined],
    ["/ci/deploy/", undefined],
    ["/", /every user's/],
    ["/decoys/", /contains "decoy"/],
    ["service/", /not an IAM path/],
    ["/a//b/", /not an IAM path/],
  ])("path %s", (path, problem) => {
    const found = honeyPathProblem(path);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it("prints the key in the three forms people paste", () => {
    const text = renderCredentials("backup-prod-07", "AKIAHONEY0000EXAMPLE", "s3cr3t", "us-east-1");
    expect(text).toContain(
      "[backup-prod-07]\naws_access_key_id = AKIAHONEY0000EXAMPLE\naws_secret_access_key = s3cr3t",
    );
    expect(text).toContain(
      "export AWS_ACCESS_KEY_ID=AKIAHONEY0000EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=s3cr3t",
    );
    expect(text).toContain(
      '{"AccessKeyId":"AKIAHONEY0000EXAMPLE","SecretAccessKey":"s3cr3t","Region":"us-east-1"}',
    );
  });
});

const RECORD: HoneyKeyRecord = {
  accessKeyId: HONEY,
  accountId: "123456789012",
  userName: "backup-prod-07",
  path: PATH,
  placement: "acme/infra .env",
  state: "active",
  createdAt: "2026-11-01T00:00:00.000Z",
  createdBy: "arn:aws:iam::123456789012:user/admin",
};

describe("the honey key alert", () => {
  it("is critical and names placement, source IP, user agent, region, call and time, in the key's own thread", () => {
    const use = honeyUseCandidateOf(underPath("stratus-get-caller-identity-iam-user.json"), PATH);
    if (use === undefined) throw new Error("no use");
    const alert = renderHoneyUseAlert(RECORD, use, false);
    expect(alert.subject).toBe(
      "[CRITICAL] Honey key AKIA...MPLE used from 253.234.5.234 - acme/infra .env leaked",
    );
    for (const fact of [
      "acme/infra .env",
      "253.234.5.234",
      "stratus-red-team_99dfa7e5-00d3-40b7-8cfd-b2573ada0eac",
      "ap-central-2r",
      "sts.amazonaws.com:GetCallerIdentity",
      "2024-08-01T13:42:21.000Z",
    ]) {
      expect(alert.text).toContain(fact);
    }
    expect(alert.text).toContain("Do NOT disable or delete the honey key");
    expect(JSON.parse(alert.chat).metadata.threadId).toBe(`honeykey-123456789012-${HONEY}`);
    expect(JSON.parse(alert.machine)).toMatchObject({
      type: "leaked-key-responder.honeykey-used",
      severity: "critical",
    });
  });

  it("says test only for a test, and tells the reader nothing is to be done then", () => {
    const use = honeyUseCandidateOf(underPath("stratus-get-caller-identity-iam-user.json"), PATH);
    if (use === undefined) throw new Error("no use");
    const alert = renderHoneyUseAlert(RECORD, use, true);
    expect(alert.subject).toMatch(/^\[CRITICAL\] \(lkr honeykey test\) Honey key/);
    expect(renderHoneyUseAlert(RECORD, use, false).subject).not.toContain("test");
  });
});

describe("the safety net (GetAccessKeyLastUsed against the uses CloudTrail showed)", () => {
  const options = { path: PATH, denyPolicyArns: [DENY_ALL], toleranceSeconds: 300 };
  const guarded = (lastUsedAt?: string, keyStatus: HoneyKeyFacts["keyStatus"] = "Active"): HoneyKeyFacts => ({
    lastUsed: lastUsedAt ? { at: lastUsedAt, service: "sns", region: "us-east-1" } : undefined,
    keyStatus,
    attachedPolicyArns: [DENY_ALL],
  });
  const seen = (eventTime: string) => ({
    ...RECORD,
    lastUse: { eventId: "e", eventTime, sourceIp: "1.2.3.4", userAgent: "a", region: "us-east-1", call: "c" },
  });

  it("finds nothing for a key never used", () => {
    expect(checkHoneyKey(RECORD, guarded(), options)).toEqual({ findings: [], lastUsedSeen: undefined });
  });

  it("alerts when last-used moved and CloudTrail showed no use, and remembers the date", () => {
    const verdict = checkHoneyKey(RECORD, guarded("2026-11-28T10:00:00.000Z"), options);
    expect(verdict.findings.map((f) => f.kind)).toEqual(["unseen-use"]);
    expect(verdict.findings[0]?.detail).toContain("service sns, region us-east-1");
    expect(verdict.lastUsedSeen).toBe("2026-11-28T10:00:00.000Z");
  });

  it("does not alert again for a last-used date it examined before", () => {
    const record = { ...RECORD, lastUsedSeen: "2026-11-28T10:00:00.000Z" };
    expect(checkHoneyKey(record, guarded("2026-11-28T10:00:00.000Z"), options).findings).toEqual([]);
  });

  it("matches last-used to a CloudTrail use within the tolerance, and not beyond it", () => {
    expect(
      checkHoneyKey(seen("2026-11-28T10:00:00Z"), guarded("2026-11-28T10:04:00.000Z"), options).findings,
    ).toEqual([]);
    expect(
      checkHoneyKey(seen("2026-11-28T10:00:00Z"), guarded("2026-11-28T10:06:00.000Z"), options).findings.map(
        (f) => f.kind,
      ),
    ).toEqual(["unseen-use"]);
  });

  it("alerts when the deny-all policy is gone, the user or key is gone, or a retired key is Active again", () => {
    const kinds = (record: HoneyKeyRecord, facts: HoneyKeyFacts) =>
      checkHoneyKey(record, facts, options).findings.map((f) => f.kind);
    expect(kinds(RECORD, { ...guarded(), attachedPolicyArns: [] })).toEqual(["guard-missing"]);
    expect(kinds(RECORD, { ...guarded(), attachedPolicyArns: undefined })).toEqual(["gone"]);
    expect(kinds(RECORD, guarded(undefined, "absent"))).toEqual(["gone"]);
    expect(kinds({ ...RECORD, state: "retired" }, guarded(undefined, "Active"))).toEqual(["reactivated"]);
    expect(kinds({ ...RECORD, state: "retired" }, guarded(undefined, "Inactive"))).toEqual([]);
    expect(kinds({ ...RECORD, path: "/ci/" }, guarded())).toEqual(["outside-path"]);
  });

  it("renders its alert in the key's thread", () => {
    const [finding] = checkHoneyKey(RECORD, guarded("2026-11-28T10:00:00.000Z"), options).findings;
    if (!finding) throw new Error("no finding");
    const alert = renderSafetyNetAlert(RECORD, finding);
    expect(alert.subject).toBe(
      "[CRITICAL] Honey key AKIA...MPLE: used without a CloudTrail record - acme/infra .env",
    );
    expect(JSON.parse(alert.chat).metadata.threadId).toBe(`honeykey-123456789012-${HONEY}`);
  });
});

describe("the rest of the responder leaves honey users alone", () => {
  it("a containment signal about a honey user's key only notifies, saying why", () => {
    const plan = planResponse(GUARDDUTY_EXPOSURE, {
      mode: "enforce",
      now: NOW,
      quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
      exemptPrincipals: [],
      incident: undefined,
      facts: {
        kind: "user",
        name: "alice",
        exempt: false,
        drillCanary: false,
        honeyKey: true,
        keyStatus: "Active",
      },
    });
    expect(plan.decision).toBe("notify");
    expect(plan.steps.map((s) => s.kind)).toEqual(["record-incident", "notify"]);
    expect(plan.reasons[0]).toMatch(/honey key: powerless already, never contained/);
  });

  it("the same signal about an ordinary user contains", () => {
    const plan = planResponse(GUARDDUTY_EXPOSURE, {
      mode: "enforce",
      now: NOW,
      quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
      exemptPrincipals: [],
      incident: undefined,
      facts: {
        kind: "user",
        name: "alice",
        exempt: false,
        drillCanary: false,
        honeyKey: false,
        keyStatus: "Active",
      },
    });
    expect(plan.decision).toBe("contain");
  });
});

describe("the key hygiene audit leaves honey users out", () => {
  // The Guardian's published credential report (test/unit/audit), with its user "different-region" as a honey user.
  const KEY = "AKIADIFFDIFFDIFFDIFF";
  const sources = (honey: string[]): AuditSources => ({
    report: {
      fetch: async () => ({ csv: reportFixture("guardian-security-hq.csv"), generatedAt: undefined }),
    },
    directory: {
      listKeys: async (user) =>
        user === "different-region"
          ? [{ accessKeyId: KEY, status: "Active", createDate: "2015-05-28T15:00:00Z" }]
          : [],
      lastUsed: async () => ({ lastUsed: undefined, service: undefined, region: undefined }),
      adminScopes: async () => new Map([["different-region", { admin: false, via: [] }]]),
    },
    honeyUsers: { honeyUsers: async () => new Set(honey) },
  });
  const audit = (honey: string[]) =>
    auditFindings(sources(honey), { thresholds: DEFAULT_THRESHOLDS, concurrency: 2, now: AUDIT_NOW });

  it("an ordinary user's unused, old key has findings", async () => {
    const { findings } = await audit([]);
    expect(
      findings
        .filter((f) => f.userName === "different-region")
        .map((f) => f.kind)
        .sort(),
    ).toEqual(["key-old", "key-unused"]);
  });

  it("the same user as a honey user (account/name from the honey records) has none", async () => {
    const { findings } = await audit(["0123456789/different-region"]);
    expect(findings.filter((f) => f.userName === "different-region")).toEqual([]);
  });
});
