import { describe, expect, it } from "vitest";
import { InvalidEventError, NoSuchEntityError, TransientAwsError } from "../../lambdas/core/errors.js";
import type { Exposure } from "../../lambdas/core/exposure.js";
import { type PlanContext, planResponse } from "../../lambdas/core/plan.js";
import type { IamPort } from "../../lambdas/core/ports.js";
import { exposuresOfAwsQuarantine, exposuresOfUserKeys } from "../../lambdas/core/respond/aws-quarantine.js";
import type { AwsQuarantine } from "../../lambdas/core/sources/aws-quarantine.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../lambdas/core/sources/registry.js";
import { readFixture } from "../support/events.js";

const RESPONDER_ROLE = "arn:aws:iam::123456789012:role/LeakedKeyResponder-RespondRole";
const options = {
  guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY,
  watch: { fencePolicyArns: [], responderRoleArns: [RESPONDER_ROLE] },
};

type Json = Record<string, unknown>;
function fixture(path: string, change: (detail: Json) => void = () => undefined): Json {
  const event = structuredClone(readFixture(path));
  change(event.detail as Json);
  return event;
}

function read(event: unknown) {
  const result = normalizeEvent(event, options);
  if (result.kind !== "exposures") throw new Error("unsupported");
  return result;
}

const PUT = "aws.iam/put-user-policy-aws-exposed-credential.json";
const ATTACH_BY_USER = "aws.iam/attach-user-policy-aws-quarantine-by-user.json";
const ATTACH_V2 = "aws.iam/attach-user-policy-aws-quarantine-v2.json";

describe("AWS's own quarantine call (CloudTrail), the earliest signal", () => {
  it("PutUserPolicy AWSExposedCredentialPolicy_DO_NOT_REMOVE under the user's own identity: contain exactly the key it was made with, critical", () => {
    const { exposures, quarantined } = read(readFixture(PUT));
    expect(quarantined).toEqual([]);
    expect(exposures).toEqual([
      {
        source: "cloudtrail",
        signal: "PutUserPolicy AWSExposedCredentialPolicy_DO_NOT_REMOVE",
        signalId: "cloudtrail:1c2a53d1-58cc-41b3-85b8-bd7565370e0d:AKIAAWSQUAR01EXAMPLE",
        sourceEventId: "0b7e2c51-9d3a-4f6e-8a12-5c4d3e2f1a01",
        accountId: "123456789012",
        region: "us-east-1",
        // userIdentity.userName is "Nulluser", the request's "NullUser": IAM names ignore case.
        accessKeyId: "AKIAAWSQUAR01EXAMPLE",
        principal: { type: "user", name: "NullUser" },
        intent: "contain",
        severity: "critical",
        sample: false,
        observedAt: "2020-04-10T06:22:08.000Z",
        title:
          "AWS quarantined user NullUser: its access key was found exposed (AWS's own call, before its Health event)",
        evidence: {
          actor: "arn:aws:iam::123456789012:user/NullUser",
          eventId: "1c2a53d1-58cc-41b3-85b8-bd7565370e0d",
          policy: "AWSExposedCredentialPolicy_DO_NOT_REMOVE",
          sourceIp: "72.21.217.97",
        },
      },
    ]);
  });

  it("AttachUserPolicy of AWSCompromisedKeyQuarantineV3 under the user's own identity: contain that key", () => {
    const { exposures } = read(readFixture(ATTACH_BY_USER));
    expect(exposures.map((e) => [e.accessKeyId, e.signal, e.intent, e.severity])).toEqual([
      ["AKIAAWSQUAR01EXAMPLE", "AttachUserPolicy AWSCompromisedKeyQuarantineV3", "contain", "critical"],
    ]);
  });

  it("AttachUserPolicy of AWSCompromisedKeyQuarantineV2 under another identity names no key of the user: the user's keys decide", () => {
    const { exposures, quarantined } = read(readFixture(ATTACH_V2));
    expect(exposures).toEqual([]);
    expect(quarantined).toEqual([
      {
        kind: "aws-quarantine",
        accountId: "123456789012",
        region: "us-east-1",
        userName: "test-user",
        policy: "AWSCompromisedKeyQuarantineV2",
        signal: "AttachUserPolicy AWSCompromisedKeyQuarantineV2",
        eventId: "e7bb4b23-66e1-4656-b607-f575fde3b790",
        sourceEventId: "6a1f4d2e-3c5b-4e7a-9b80-1d2c3e4f5a02",
        observedAt: "2023-11-21T23:23:52.000Z",
        evidence: {
          actor: "arn:aws:sts::123456789012:assumed-role/a-role/user.name",
          eventId: "e7bb4b23-66e1-4656-b607-f575fde3b790",
          policy: "AWSCompromisedKeyQuarantineV2",
          sourceIp: "1.2.3.4",
        },
      },
    ]);
  });

  it("a session key (ASIA) under the user's identity is no key of the user: nothing named, the user's keys decide", () => {
    const event = fixture(PUT, (d) => {
      (d.userIdentity as Json).accessKeyId = "ASIAAWSQUAR03EXAMPLE";
    });
    const { exposures, quarantined } = read(event);
    expect(exposures).toEqual([]);
    expect(quarantined.map((q) => q.userName)).toEqual(["NullUser"]);
  });

  it.each<[string, string, (d: Json) => void]>([
    [
      "the responder's own attachment (its SDK's user agent)",
      ATTACH_BY_USER,
      (d) => {
        d.userAgent = "aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#24";
      },
    ],
    [
      "a call by one of the responder's roles, even with AWS's user agent",
      ATTACH_V2,
      (d) => {
        const issuer = ((d.userIdentity as Json).sessionContext as Json).sessionIssuer as Json;
        issuer.arn = RESPONDER_ROLE;
      },
    ],
    [
      "a failed call",
      ATTACH_BY_USER,
      (d) => {
        d.errorCode = "AccessDenied";
      },
    ],
    [
      "another managed policy",
      ATTACH_BY_USER,
      (d) => {
        (d.requestParameters as Json).policyArn = "arn:aws:iam::aws:policy/AdministratorAccess";
      },
    ],
    [
      "a customer policy named like AWS's",
      ATTACH_BY_USER,
      (d) => {
        (d.requestParameters as Json).policyArn =
          "arn:aws:iam::123456789012:policy/AWSCompromisedKeyQuarantineV3";
      },
    ],
    [
      "another inline policy",
      PUT,
      (d) => {
        (d.requestParameters as Json).policyName = "TestUserDenyAll";
      },
    ],
    [
      "a role's quarantine (AttachRolePolicy names no user)",
      ATTACH_V2,
      (d) => {
        d.eventName = "AttachRolePolicy";
      },
    ],
  ])("is not AWS's quarantine of a user: %s", (_name, path, change) => {
    const { exposures, quarantined } = read(fixture(path, change));
    expect(exposures).toEqual([]);
    expect(quarantined).toEqual([]);
  });
});

const QUARANTINE: AwsQuarantine = {
  kind: "aws-quarantine",
  accountId: "123456789012",
  region: "us-east-1",
  userName: "test-user",
  policy: "AWSCompromisedKeyQuarantineV2",
  signal: "AttachUserPolicy AWSCompromisedKeyQuarantineV2",
  eventId: "ev-1",
  sourceEventId: "env-1",
  observedAt: "2023-11-21T23:23:52.000Z",
  evidence: { eventId: "ev-1" },
};
const K1 = "AKIAQUARANTINE1EXAMP";
const K2 = "AKIAQUARANTINE2EXAMP";

describe("AWS's quarantine that names no key: the user's keys decide", () => {
  it("exactly one Active key: contains it, and says it was inferred", () => {
    const exposures = exposuresOfUserKeys(QUARANTINE, [
      { accessKeyId: K2, status: "Inactive" },
      { accessKeyId: K1, status: "Active" },
    ]);
    expect(exposures).toMatchObject([
      {
        accessKeyId: K1,
        signalId: `cloudtrail:ev-1:${K1}`,
        intent: "contain",
        severity: "critical",
        principal: { type: "user", name: "test-user" },
        evidence: { eventId: "ev-1", keyInferred: "true" },
      },
    ]);
  });

  it("two Active keys: fences the user for each candidate, naming both, and changes neither key", () => {
    const exposures = exposuresOfUserKeys(QUARANTINE, [
      { accessKeyId: K2, status: "Active" },
      { accessKeyId: K1, status: "Active" },
    ]);
    expect(exposures.map((e) => [e.accessKeyId, e.intent, e.severity, e.evidence.candidateKeys])).toEqual([
      [K1, "fence-user", "critical", `${K1}, ${K2}`],
      [K2, "fence-user", "critical", `${K1}, ${K2}`],
    ]);
  });

  it("no Active key: fences the user for each of its keys (sessions minted with them may live on)", () => {
    const exposures = exposuresOfUserKeys(QUARANTINE, [{ accessKeyId: K1, status: "Inactive" }]);
    expect(exposures.map((e) => [e.accessKeyId, e.intent])).toEqual([[K1, "fence-user"]]);
  });

  it("no key at all: nothing to act on", () => {
    expect(exposuresOfUserKeys(QUARANTINE, [])).toEqual([]);
  });

  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const iamListing = (listUserKeys: IamPort["listUserKeys"]) => async () =>
    ({ listUserKeys }) as unknown as IamPort;

  it("reads the user's keys in the quarantined user's account", async () => {
    const asked: string[] = [];
    const iamFor = async (account: string) => {
      asked.push(account);
      return iamListing(async (user) => {
        asked.push(user);
        return [{ accessKeyId: K1, status: "Active" as const }];
      })();
    };
    const exposures = await exposuresOfAwsQuarantine(QUARANTINE, iamFor, log);
    expect(asked).toEqual(["123456789012", "test-user"]);
    expect(exposures.map((e) => [e.accessKeyId, e.intent])).toEqual([[K1, "contain"]]);
  });

  it("a user that is gone leaves nothing to act on; a passing fault is thrown for a retry", async () => {
    const gone = new NoSuchEntityError("iam:ListAccessKeys", { cause: new Error("NoSuchEntity") });
    const throttled = new TransientAwsError("iam:ListAccessKeys", { cause: new Error("Throttling") });
    expect(
      await exposuresOfAwsQuarantine(
        QUARANTINE,
        iamListing(() => Promise.reject(gone)),
        log,
      ),
    ).toEqual([]);
    await expect(
      exposuresOfAwsQuarantine(
        QUARANTINE,
        iamListing(() => Promise.reject(throttled)),
        log,
      ),
    ).rejects.toBe(throttled);
  });
});

describe("planning a fence for a candidate key", () => {
  const [candidate] = exposuresOfUserKeys(QUARANTINE, [
    { accessKeyId: K1, status: "Active" },
    { accessKeyId: K2, status: "Active" },
  ]) as [Exposure];
  const context: PlanContext = {
    mode: "enforce",
    now: "2026-11-28T12:00:00.000Z",
    quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
    sessionDenyPolicyArn: "arn:aws:iam::123456789012:policy/SessionDeny",
    exemptPrincipals: [],
    incident: undefined,
    facts: { kind: "user", name: "test-user", exempt: false, drillCanary: false, keyStatus: "Active" },
  };

  it("denies the user's sessions and tags it, disables no key, and keeps the incident notified", () => {
    const plan = planResponse(candidate, context);
    expect(plan.decision).toBe("fence");
    expect(plan.status).toBe("notified");
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "record-incident",
      "attach-session-deny-policy",
      "tag-principal",
      "notify",
    ]);
    expect(plan.incidentId).toBe(`123456789012-${K1}`);
  });

  it("in notify-only mode, only says what it would have done", () => {
    const plan = planResponse(candidate, { ...context, mode: "notify-only" });
    expect(plan.decision).toBe("notify");
    expect(plan.steps.map((s) => s.kind)).toEqual(["record-incident", "notify"]);
    expect(plan.withheld.map((s) => s.kind)).toEqual(["attach-session-deny-policy", "tag-principal"]);
  });

  it("never fences a user on the exempt list", () => {
    const plan = planResponse(candidate, { ...context, exemptPrincipals: ["test-user"] });
    expect(plan.decision).toBe("notify");
    expect(plan.reasons).toEqual(["user test-user is on the exempt list"]);
  });
});

describe("GuardDuty Extended Threat Detection: AttackSequence:IAM/CompromisedCredentials", () => {
  const PATH = "aws.guardduty/attack-sequence-iam-compromised-credentials.json";

  it("contains every access key the sequence names, critical, one exposure each", () => {
    const { exposures } = read(readFixture(PATH));
    expect(
      exposures.map((e) => [e.accessKeyId, e.principal, e.intent, e.severity, e.sample, e.signalId]),
    ).toEqual([
      [
        "AKIAGDATKSEQ1EXAMPLE",
        { type: "user", name: "john_doe" },
        "contain",
        "critical",
        false,
        "guardduty:a6c9d1e2f3a4b5c6d7e8f9a0b1c2d3e4:AKIAGDATKSEQ1EXAMPLE",
      ],
      [
        "AKIAGDATKSEQ2EXAMPLE",
        { type: "user", name: "john_doe" },
        "contain",
        "critical",
        false,
        "guardduty:a6c9d1e2f3a4b5c6d7e8f9a0b1c2d3e4:AKIAGDATKSEQ2EXAMPLE",
      ],
    ]);
    expect(exposures[0]?.evidence).toEqual({
      findingId: "a6c9d1e2f3a4b5c6d7e8f9a0b1c2d3e4",
      findingType: "AttackSequence:IAM/CompromisedCredentials",
      severityScore: "9",
      signals: "CreateRole, DeleteTrail, AttachRolePolicy",
      keysInFinding: "AKIAGDATKSEQ1EXAMPLE, AKIAGDATKSEQ2EXAMPLE",
    });
  });

  it("a role's session credentials in the sequence: revokes that role's sessions", () => {
    const event = fixture(PATH, (d) => {
      const sequence = ((d.service as Json).detection as Json).sequence as Json;
      sequence.actors = [
        {
          id: "r",
          user: {
            name: "web",
            uid: "AROAEXAMPLE",
            type: "AssumedRole",
            credentialUid: "ASIAGDATKSEQ3EXAMPLE",
          },
        },
      ];
      sequence.resources = [];
    });
    expect(read(event).exposures.map((e) => [e.accessKeyId, e.principal, e.intent])).toEqual([
      ["ASIAGDATKSEQ3EXAMPLE", { type: "role", name: "web" }, "revoke-sessions"],
    ]);
  });

  it("a sample attack sequence is reported, never acted on", () => {
    const event = fixture(PATH, (d) => {
      (d.service as Json).additionalInfo = { sample: true };
    });
    expect(read(event).exposures.map((e) => [e.sample, e.intent])).toEqual([
      [true, "notify"],
      [true, "notify"],
    ]);
  });

  it("an attack sequence that names no valid key id is invalid (it goes to the DLQ)", () => {
    const event = fixture(PATH, (d) => {
      const sequence = ((d.service as Json).detection as Json).sequence as Json;
      for (const actor of sequence.actors as Json[]) (actor.user as Json).credentialUid = "not-a-key";
      sequence.resources = [];
    });
    expect(() => normalizeEvent(event, options)).toThrow(InvalidEventError);
  });
});
