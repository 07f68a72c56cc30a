import { describe, expect, it } from "vitest";
import { toLookupEventRecord } from "../../../lambdas/adapters/cloudtrail.js";
import type { Incident } from "../../../lambdas/core/incident.js";
import {
  findPersistence,
  PersistenceCollector,
  type PersistenceDetail,
  trustPolicyDiff,
} from "../../../lambdas/core/investigation/persistence.js";
import { renderAlert } from "../../../lambdas/core/notification.js";
import { type PlanContext, type PrincipalFacts, planResponse } from "../../../lambdas/core/plan.js";
import type { Envelope } from "../../../lambdas/core/sources/envelope.js";
import { persistenceToExposures } from "../../../lambdas/core/sources/persistence.js";
import { type CloudTrailRecord, loadRecord, place, toLookupEvent } from "./support.js";

const NOW = "2026-12-01T12:00:00.000Z";
const POLICY = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const SESSION_DENY = "arn:aws:iam::229654561268:policy/SessionDeny";

/** The record as LookupEvents hands it to the investigation. */
function looked(record: CloudTrailRecord) {
  return toLookupEventRecord(toLookupEvent(record));
}

/** The context of a record: its own account, the leaked key being the one that signed it. */
function contextOf(record: CloudTrailRecord, overrides: { accountId?: string } = {}) {
  const identity = record.userIdentity as { accessKeyId: string };
  const accountId = overrides.accountId ?? (record.recipientAccountId as string);
  return {
    incidentId: `${accountId}-${identity.accessKeyId}`,
    accountId,
    leakedKeyId: identity.accessKeyId,
    region: "us-east-1",
  };
}

describe("findPersistence: what a published CloudTrail record left behind", () => {
  const cases: readonly (readonly [string, PersistenceDetail["finding"]])[] = [
    [
      "stratus-create-access-key",
      { kind: "access-key", accessKeyId: "AKIAXAFZN8JEPF6L682H", userName: "malicious-iam-user" },
    ],
    ["stratus-create-user", { kind: "user", userName: "malicious-iam-user" }],
    [
      "stratus-create-login-profile",
      { kind: "login-profile", userName: "stratus-red-team-login-profile-user" },
    ],
    [
      "stratus-update-login-profile",
      { kind: "login-profile", userName: "stratus-red-team-update-login-profile-user" },
    ],
    [
      "stratus-assume-role",
      {
        kind: "role-sessions",
        roleName: "stratus-red-team-ec2lui-role-idtzskbvtd",
        sessionKeyId: "ASIA9F6MXE9HSYOXYQOS",
      },
    ],
  ];
  for (const [fixture, finding] of cases) {
    it(`${fixture} → ${finding.kind}`, () => {
      const record = loadRecord(fixture);
      const detail = findPersistence(looked(record), contextOf(record));
      expect(detail?.finding).toEqual(finding);
      expect(detail).toMatchObject({
        eventId: record.eventID,
        eventName: record.eventName,
        madeWith: (record.userIdentity as { accessKeyId: string }).accessKeyId,
        eventTime: new Date(record.eventTime as string).toISOString(),
        region: record.awsRegion,
      });
    });
  }

  it("stratus-update-assume-role-policy → trust-policy with the document the call set", () => {
    const record = loadRecord("stratus-update-assume-role-policy");
    const detail = findPersistence(looked(record), contextOf(record));
    expect(detail?.finding).toEqual({
      kind: "trust-policy",
      roleName: "stratus-red-team-backdoor-r-role",
      policyDocument: (record.requestParameters as { policyDocument: string }).policyDocument,
    });
  });

  it("a role of another account assumed with the key is no finding: out of reach, and a same-named role here is not it", () => {
    const record = loadRecord("iam-guide-assume-role-cross-account");
    const ownAccount = contextOf(loadRecord("stratus-assume-role"));
    expect(
      findPersistence(looked(record), { ...contextOf(record), accountId: ownAccount.accountId }),
    ).toBeUndefined();
    const assume = loadRecord("stratus-assume-role");
    expect(findPersistence(looked(assume), contextOf(assume, { accountId: "111122223333" }))).toBeUndefined();
  });

  it("ignores calls that leave nothing behind, records with no event id, and events without their CloudTrail record", () => {
    for (const fixture of [
      "stratus-attach-user-policy",
      "stratus-get-secret-value",
      "cloudtrail-guide-update-trail-error",
    ]) {
      const record = loadRecord(fixture);
      expect(findPersistence(looked(record), contextOf(record))).toBeUndefined();
    }
    // The CloudTrail guide's early CreateUser record (eventVersion 1.0) carries no eventID: no identity, no finding.
    const early = loadRecord("cloudtrail-guide-create-user");
    expect(
      findPersistence(looked(early), { ...contextOf(loadRecord("stratus-create-user")) }),
    ).toBeUndefined();
    const bare = looked(loadRecord("stratus-create-user"));
    expect(
      findPersistence({ ...bare, cloudTrailEvent: undefined }, contextOf(loadRecord("stratus-create-user"))),
    ).toBeUndefined();
  });

  it("collects each call once (a record seen in two searches), oldest first", () => {
    const user = loadRecord("stratus-create-user");
    const key = loadRecord("stratus-create-access-key");
    const collector = new PersistenceCollector(contextOf(key));
    collector.add(looked(key), "us-east-1");
    collector.add(looked(place(user, { eventTime: "2024-08-01T13:33:00Z" })), "us-east-1");
    collector.add(looked(key), "eu-west-1");
    expect(collector.findings().map((f) => f.eventName)).toEqual(["CreateUser", "CreateAccessKey"]);
  });
});

describe("trustPolicyDiff", () => {
  const set = (
    loadRecord("stratus-update-assume-role-policy").requestParameters as { policyDocument: string }
  ).policyDocument;
  const ec2Only = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Action: "sts:AssumeRole", Principal: { Service: "ec2.amazonaws.com" }, Effect: "Allow" }],
  });

  it("says which statements set are still in effect (formatting and key order aside) and which are gone", () => {
    expect(trustPolicyDiff(set, JSON.stringify(JSON.parse(set)))).toEqual([
      'set, still in effect: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}',
      'set, still in effect: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"}}',
    ]);
    expect(trustPolicyDiff(set, ec2Only)).toEqual([
      'set, still in effect: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}',
      'set, since removed: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"}}',
    ]);
    expect(trustPolicyDiff(ec2Only, set)).toEqual([
      'set, still in effect: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}',
      'in effect now, not set by the call: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"}}',
    ]);
  });

  it("lists what was set when the role's policy now is unknown", () => {
    expect(trustPolicyDiff(set, undefined)).toHaveLength(2);
    expect(trustPolicyDiff(set, undefined)[0]).toMatch(/^set \(role's policy now unknown\): /);
  });
});

/** Persistence Found as the investigate function puts it on the responder's bus. */
function persistenceEvent(detail: PersistenceDetail): Envelope {
  return {
    version: "0",
    id: `ev-${detail.eventId}`,
    "detail-type": "Persistence Found",
    source: "leaked-key-responder",
    account: detail.accountId,
    time: NOW,
    region: "us-east-1",
    resources: [],
    detail,
  } as Envelope;
}

function detailOf(fixture: string): PersistenceDetail {
  const record = loadRecord(fixture);
  const detail = findPersistence(looked(record), contextOf(record, { accountId: "229654561268" }));
  if (detail === undefined) throw new Error(`${fixture}: no finding`);
  return detail;
}

function incidentOf(detail: PersistenceDetail, status: Incident["status"]): Incident {
  return {
    incidentId: detail.incidentId,
    accountId: detail.accountId,
    accessKeyId: detail.leakedKeyId,
    status,
    severity: "high",
    principal: { type: "user", name: "christophe" },
    createdAt: NOW,
    updatedAt: NOW,
    mode: "enforce",
    sample: false,
    signalIds: ["guardduty:f1"],
    alertedSignalIds: ["guardduty:f1"],
    completedSignalIds: ["guardduty:f1"],
    signals: [],
    actions: [],
  };
}

function contextFor(
  facts: PrincipalFacts,
  incident: Incident | undefined,
  extra: Partial<PlanContext> = {},
): PlanContext {
  return {
    mode: "enforce",
    now: NOW,
    quarantinePolicyArn: POLICY,
    sessionDenyPolicyArn: SESSION_DENY,
    exemptPrincipals: [],
    incident,
    facts,
    ...extra,
  };
}

const madeUser = (name: string): Extract<PrincipalFacts, { kind: "user" }> => ({
  kind: "user",
  name,
  exempt: false,
  drillCanary: false,
  keyStatus: "absent",
});

describe("Persistence Found → the respond function's plan", () => {
  it("a key made for a user is contained exactly like a leaked one, as its own incident linked to the leaked key's", () => {
    const detail = detailOf("stratus-create-access-key");
    const [exposure] = persistenceToExposures(persistenceEvent(detail));
    expect(exposure).toMatchObject({
      source: "investigation",
      signal: "CreateAccessKey",
      signalId: `persistence:${detail.eventId}`,
      accessKeyId: "AKIAXAFZN8JEPF6L682H",
      principal: { type: "user", name: "malicious-iam-user" },
      intent: "contain",
      severity: "critical",
      evidence: { linkedIncident: detail.incidentId, leakedKey: detail.leakedKeyId },
    });
    const facts: PrincipalFacts = { ...madeUser("malicious-iam-user"), keyStatus: "Active" };
    const plan = planResponse(exposure as never, contextFor(facts, undefined));
    // Its alert goes to the leaked key's chat thread: the story of one leak stays in one thread.
    const alert = renderAlert({
      exposure: exposure as never,
      plan,
      principalName: "malicious-iam-user",
      actions: [],
      mode: "enforce",
      stackName: "LeakedKeyResponder",
    });
    expect(JSON.parse(alert.chat).metadata.threadId).toBe(detail.incidentId);
    expect(alert.subject).toMatch(
      /^\[CRITICAL\] Attacker-made key AKIA\.\.\.682H disabled - user malicious-iam-user/,
    );
    expect(plan.incidentId).toBe("229654561268-AKIAXAFZN8JEPF6L682H");
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "disable-key",
      "record-incident",
      "attach-quarantine-policy",
      "attach-session-deny-policy",
      "tag-principal",
      "notify",
      "emit-contained-event",
    ]);
  });

  for (const fixture of [
    "stratus-create-user",
    "stratus-create-login-profile",
    "stratus-update-login-profile",
  ]) {
    it(`${fixture}: the user is quarantined (never deleted), on the leaked key's contained incident`, () => {
      const detail = detailOf(fixture);
      const [exposure] = persistenceToExposures(persistenceEvent(detail));
      const name = (detail.finding as { userName: string }).userName;
      expect(exposure).toMatchObject({ accessKeyId: detail.leakedKeyId, intent: "fence-principal" });
      const plan = planResponse(
        exposure as never,
        contextFor(madeUser(name), incidentOf(detail, "contained")),
      );
      expect(plan.incidentId).toBe(detail.incidentId);
      expect(plan.decision).toBe("contain");
      expect(plan.steps).toEqual([
        { kind: "attach-quarantine-policy", target: { type: "user", name }, policyArn: POLICY },
        { kind: "record-incident", incidentId: detail.incidentId, accessKeyId: detail.leakedKeyId },
        { kind: "attach-session-deny-policy", target: { type: "user", name }, policyArn: SESSION_DENY },
        {
          kind: "tag-principal",
          target: { type: "user", name },
          tags: { [`leaked-key-responder:quarantine:${detail.leakedKeyId}`]: `${detail.incidentId} ${NOW}` },
        },
        { kind: "notify", incidentId: detail.incidentId },
        { kind: "emit-contained-event", incidentId: detail.incidentId },
      ]);
    });
  }

  it("a role assumed with the key has its sessions issued before now revoked, for the leaked key's incident", () => {
    const record = loadRecord("stratus-assume-role");
    const detail = findPersistence(looked(record), contextOf(record));
    if (detail === undefined) throw new Error("no finding");
    const [exposure] = persistenceToExposures(persistenceEvent(detail));
    const role: PrincipalFacts = {
      kind: "role",
      name: "stratus-red-team-ec2lui-role-idtzskbvtd",
      exempt: false,
    };
    const plan = planResponse(exposure as never, contextFor(role, incidentOf(detail, "contained")));
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "revoke-sessions",
      "record-incident",
      "tag-principal",
      "notify",
      "emit-contained-event",
    ]);
    expect(plan.steps[0]).toMatchObject({
      target: { type: "role", name: "stratus-red-team-ec2lui-role-idtzskbvtd" },
      policyName: `leaked-key-responder-revoke-${detail.leakedKeyId}`,
      issuedBefore: NOW,
    });
    expect(exposure?.evidence.sessionKey).toBe("ASIA9F6MXE9HSYOXYQOS");
  });

  it("a changed trust policy is alerted critical with the diff, and nothing is changed", () => {
    const detail = detailOf("stratus-update-assume-role-policy");
    const now = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const withNow = {
      ...detail,
      finding: { ...detail.finding, currentPolicyDocument: now },
    } as PersistenceDetail;
    const [exposure] = persistenceToExposures(persistenceEvent(withNow));
    expect(exposure).toMatchObject({ intent: "notify", severity: "critical", principal: { type: "role" } });
    expect(exposure?.evidence.trustPolicyDiff).toContain(
      'set, since removed: {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"}}',
    );
    // A notification needs no principal lookup: the respond function reads nothing of the role.
    const plan = planResponse(
      exposure as never,
      contextFor({ kind: "not-looked-up" }, incidentOf(detail, "contained")),
    );
    expect(plan.decision).toBe("notify");
    expect(plan.steps.map((s) => s.kind)).toEqual(["record-incident", "notify"]);
    expect(plan.withheld).toEqual([]);
    expect(plan.status).toBe("contained");
  });

  it("fences nothing when the leaked key's incident was released (or is unknown): the operator judged it", () => {
    const detail = detailOf("stratus-create-user");
    const [exposure] = persistenceToExposures(persistenceEvent(detail));
    for (const incident of [incidentOf(detail, "released"), undefined]) {
      const plan = planResponse(exposure as never, contextFor(madeUser("malicious-iam-user"), incident));
      expect(plan.decision).toBe("notify");
      expect(plan.reasons[0]).toMatch(/is (released|not recorded), not contained: nothing fenced for it/);
    }
  });

  it("notify-only mode and the exempt list hold the fence back and say what would have been done", () => {
    const detail = detailOf("stratus-create-login-profile");
    const [exposure] = persistenceToExposures(persistenceEvent(detail));
    const name = "stratus-red-team-login-profile-user";
    const incident = incidentOf(detail, "contained");
    const notifyOnly = planResponse(
      exposure as never,
      contextFor(madeUser(name), incident, { mode: "notify-only" }),
    );
    expect(notifyOnly.decision).toBe("notify");
    expect(notifyOnly.reasons).toEqual(["notify-only mode"]);
    expect(notifyOnly.withheld.map((s) => s.kind)).toEqual([
      "attach-quarantine-policy",
      "attach-session-deny-policy",
      "tag-principal",
    ]);
    const exempt = planResponse(
      exposure as never,
      contextFor(madeUser(name), incident, { exemptPrincipals: [name] }),
    );
    expect(exempt.decision).toBe("notify");
    expect(exempt.reasons).toEqual([`user ${name} is on the exempt list`]);
  });

  it("an event whose detail is not a finding is invalid (it ends in the DLQ)", () => {
    const detail = detailOf("stratus-create-user");
    expect(() =>
      persistenceToExposures(
        persistenceEvent({ ...detail, finding: { kind: "user", userName: "" } } as never),
      ),
    ).toThrow(/malformed leaked-key-responder event/);
  });
});
