import { describe, expect, it } from "vitest";
import { DEFAULT_GUARDDUTY_POLICY } from "../../lambdas/core/sources/guardduty.js";
import { exposuresOfDetach } from "../../lambdas/core/sources/iam-watch.js";
import { type NormalizeOptions, normalizeEvent } from "../../lambdas/core/sources/registry.js";
import { renderTagNotice } from "../../lambdas/core/tag-notice.js";
import { readFixture } from "../../local/events.js";

const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const SESSION_DENY = "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny";
const RESPOND_ROLE = "arn:aws:iam::123456789012:role/LeakedKeyResponder-RespondRole";
const options: NormalizeOptions = {
  guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY,
  watch: { fencePolicyArns: [QUARANTINE, SESSION_DENY], responderRoleArns: [RESPOND_ROLE] },
};

function watched(fixture: string, opts: NormalizeOptions = options) {
  const result = normalizeEvent(readFixture(`aws.iam/${fixture}`), opts);
  if (result.kind !== "exposures") throw new Error(`unsupported: ${fixture}`);
  return result;
}

function withParameters(fixture: string, change: (p: Record<string, unknown>) => void): unknown {
  const event = structuredClone(readFixture(`aws.iam/${fixture}`)) as {
    detail: { requestParameters: Record<string, unknown> };
  };
  change(event.detail.requestParameters);
  return event;
}

const tamper = {
  source: "cloudtrail",
  accountId: "123456789012",
  region: "us-east-1",
  intent: "recontain-if-open",
  severity: "high",
  sample: false,
};

describe("the tamper watch over CloudTrail IAM events", () => {
  it("turns a deleted revoke policy of a role into a re-containment of the key its name carries", () => {
    const r = watched("delete-role-policy-revoke.json");
    expect(r.exposures).toEqual([
      expect.objectContaining({
        ...tamper,
        signal: "DeleteRolePolicy",
        signalId: "cloudtrail:EXAMPLE-delete-role-policy-revoke-EXAMPLE:ASIACTROLE001EXAMPLE",
        accessKeyId: "ASIACTROLE001EXAMPLE",
        principal: { type: "role", name: "cloudtrail-role" },
        evidence: expect.objectContaining({
          actor: "arn:aws:iam::123456789012:user/test@elastic.co",
          policyName: "leaked-key-responder-revoke-ASIACTROLE001EXAMPLE",
        }),
      }),
    ]);
    expect(r.detached).toEqual([]);
    expect(r.notices).toEqual([]);
  });

  it("does the same for an older version's revoke policy deleted from a user", () => {
    expect(watched("delete-user-policy-revoke.json").exposures).toEqual([
      expect.objectContaining({
        ...tamper,
        accessKeyId: "AKIACTUPDATE1EXAMPLE",
        principal: { type: "user", name: "Bob" },
      }),
    ]);
  });

  it("ignores a deleted inline policy that is not the responder's, or whose name carries no key", () => {
    for (const name of ["app-policy", "leaked-key-responder-revoke-not-a-key"]) {
      const event = withParameters("delete-user-policy-revoke.json", (p) => {
        p.policyName = name;
      });
      expect(normalizeEvent(event, options)).toMatchObject({ exposures: [], detached: [], notices: [] });
    }
  });

  it.each([
    ["untag-user-quarantine.json", "AKIACTUPDATE1EXAMPLE", { type: "user", name: "Bob" }],
    ["untag-role-quarantine.json", "ASIACTROLE001EXAMPLE", { type: "role", name: "cloudtrail-role" }],
  ])("turns %s (a quarantine tag removed) into a re-containment of that key", (fixture, key, principal) => {
    const r = watched(fixture);
    expect(r.exposures).toEqual([
      expect.objectContaining({
        ...tamper,
        accessKeyId: key,
        principal,
        signal: expect.stringMatching(/^Untag/),
      }),
    ]);
    expect(r.notices).toEqual([]);
  });

  it.each([
    ["detach-user-policy-quarantine.json", { type: "user", name: "malicious-iam-user" }],
    ["detach-role-policy-quarantine.json", { type: "role", name: "cloudtrail-role" }],
  ])(
    "reads %s as a fence policy detached from a principal, whose keys its tags will tell",
    (fixture, target) => {
      const r = watched(fixture);
      expect(r.exposures).toEqual([]);
      expect(r.detached).toEqual([
        expect.objectContaining({
          kind: "policy-detached",
          target,
          policyArn: QUARANTINE,
          accountId: "123456789012",
        }),
      ]);
    },
  );

  it("watches the session-deny policy as it watches the quarantine policy, and no other policy", () => {
    const deny = withParameters("detach-user-policy-quarantine.json", (p) => {
      p.policyArn = SESSION_DENY;
    });
    expect(normalizeEvent(deny, options)).toMatchObject({ detached: [{ policyArn: SESSION_DENY }] });
    const other = withParameters("detach-user-policy-quarantine.json", (p) => {
      p.policyArn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    });
    expect(normalizeEvent(other, options)).toMatchObject({ exposures: [], detached: [], notices: [] });
  });

  it("turns one detach into one exposure per key the principal's quarantine tags still mark", () => {
    const [detached] = watched("detach-user-policy-quarantine.json").detached;
    if (detached === undefined) throw new Error("no detach");
    const exposures = exposuresOfDetach(detached, {
      "leaked-key-responder:quarantine:AKIAKEYTWO000EXAMPLE": "x",
      "leaked-key-responder:quarantine:AKIAKEYONE000EXAMPLE": "x",
      "leaked-key-responder:quarantine:not-a-key": "x",
      team: "payments",
    });
    expect(exposures.map((e) => [e.accessKeyId, e.signalId, e.intent])).toEqual([
      [
        "AKIAKEYONE000EXAMPLE",
        "cloudtrail:EXAMPLE-detach-user-policy-quarantine-EXAMPLE:AKIAKEYONE000EXAMPLE",
        "recontain-if-open",
      ],
      [
        "AKIAKEYTWO000EXAMPLE",
        "cloudtrail:EXAMPLE-detach-user-policy-quarantine-EXAMPLE:AKIAKEYTWO000EXAMPLE",
        "recontain-if-open",
      ],
    ]);
    expect(exposuresOfDetach(detached, { team: "payments" })).toEqual([]);
  });

  it("raises a notice (no change) for the exempt tag set by the user on itself", () => {
    const r = watched("tag-user-exempt.json");
    expect(r.exposures).toEqual([]);
    expect(r.notices).toEqual([
      expect.objectContaining({
        kind: "tag-notice",
        target: { type: "user", name: "Alice" },
        signal: "TagUser",
        tagKeys: ["leaked-key-responder:exempt"],
        actor: "arn:aws:iam::123456789012:user/Alice",
      }),
    ]);
  });

  it("watches not the responder's own quarantine tagging, nor a tag that is not the responder's", () => {
    expect(watched("tag-user-by-responder.json")).toMatchObject({ exposures: [], detached: [], notices: [] });
    expect(watched("tag-user-other-tag.json")).toMatchObject({ exposures: [], detached: [], notices: [] });
  });

  it("watches not the responder's tagging through its member-account role either", () => {
    const member = {
      ...options,
      watch: {
        fencePolicyArns: [QUARANTINE],
        responderRoleArns: [],
        responderRoleNames: ["LeakedKeyResponder-RespondRole"],
      },
    };
    expect(watched("tag-user-by-responder.json", member)).toMatchObject({ exposures: [], notices: [] });
  });

  it("takes a quarantine tag set by anyone else as a notice (a forged mark would confuse a release)", () => {
    const noResponder = { ...options, watch: { fencePolicyArns: [QUARANTINE], responderRoleArns: [] } };
    expect(watched("tag-user-by-responder.json", noResponder).notices).toEqual([
      expect.objectContaining({ tagKeys: ["leaked-key-responder:quarantine:AKIACTUPDATE1EXAMPLE"] }),
    ]);
  });

  it("splits an untag of a quarantine tag and the exempt tag into a re-containment and a notice", () => {
    const event = withParameters("untag-user-quarantine.json", (p) => {
      (p.tagKeys as string[]).push("Leaked-Key-Responder:Exempt", "team");
    });
    const r = normalizeEvent(event, options);
    expect(r).toMatchObject({
      exposures: [{ accessKeyId: "AKIACTUPDATE1EXAMPLE" }],
      notices: [{ tagKeys: ["Leaked-Key-Responder:Exempt"] }],
    });
  });

  it("raises nothing when the drill mark is removed (lkr drill removing its canary), but does when it is set", () => {
    const removed = withParameters("untag-user-quarantine.json", (p) => {
      p.tagKeys = ["leaked-key-responder:drill"];
    });
    expect(normalizeEvent(removed, options)).toMatchObject({ exposures: [], notices: [] });
    const set = withParameters("tag-user-exempt.json", (p) => {
      p.tags = [{ key: "leaked-key-responder:drill", value: "true" }];
    });
    expect(normalizeEvent(set, options)).toMatchObject({
      notices: [{ tagKeys: ["leaked-key-responder:drill"] }],
    });
  });

  it("ignores a failed call, and watches nothing without the watch options", () => {
    const failed = structuredClone(readFixture("aws.iam/untag-user-quarantine.json")) as {
      detail: Record<string, unknown>;
    };
    failed.detail.errorCode = "AccessDenied";
    expect(normalizeEvent(failed, options)).toMatchObject({ exposures: [], notices: [] });
    expect(
      normalizeEvent(readFixture("aws.iam/untag-user-quarantine.json"), {
        guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY,
      }),
    ).toMatchObject({ exposures: [], detached: [], notices: [] });
  });

  it("rejects a watched call whose parameters are malformed (it ends in the DLQ)", () => {
    const bad = withParameters("untag-user-quarantine.json", (p) => {
      p.tagKeys = "leaked-key-responder:quarantine:AKIACTUPDATE1EXAMPLE";
    });
    expect(() => normalizeEvent(bad, options)).toThrow(/malformed aws.iam event/);
  });
});

describe("the tag notice", () => {
  const [notice] = watched("tag-user-exempt.json").notices;
  if (notice === undefined) throw new Error("no notice");

  it("is a high alert that says who touched which responder tag, and that nothing changed", () => {
    const alert = renderTagNotice(notice, false);
    expect(alert.subject).toBe(
      "[HIGH] Responder tag set on user Alice by another caller - account 123456789012",
    );
    expect(alert.text).toContain("Tag keys:  leaked-key-responder:exempt");
    expect(alert.text).toContain("Caller:    arn:aws:iam::123456789012:user/Alice");
    expect(alert.text).toContain("not honoured here (HONOR_EXEMPT_TAG=false)");
    expect(alert.text).toContain("Nothing was changed by the responder.");
    expect(JSON.parse(alert.machine)).toMatchObject({
      type: "leaked-key-responder.tag-notice",
      severity: "high",
    });
    expect(JSON.parse(alert.chat).metadata.threadId).toBe("tag-watch:123456789012:user/Alice");
  });

  it("warns that the principal is no longer contained where the tag is honoured", () => {
    expect(renderTagNotice(notice, true).text).toContain("is no longer contained by the responder");
  });
});

describe("the tamper watch in a member account (the member stack forwards its IAM calls)", () => {
  const MEMBER = "210987654321";
  const MEMBER_ROLE = "LkrMember";
  const memberDeny = `arn:aws:iam::${MEMBER}:policy/${MEMBER_ROLE}-SessionDeny`;
  const watch = {
    fencePolicyArns: [QUARANTINE, SESSION_DENY],
    responderRoleArns: [RESPOND_ROLE],
    memberRoleName: MEMBER_ROLE,
  };
  const org: NormalizeOptions = { ...options, watch };

  /** The fixture as account MEMBER's CloudTrail records it (the call was made there, by its own user). */
  function inMember(fixture: string, policyArn: string): unknown {
    const event = structuredClone(readFixture(`aws.iam/${fixture}`)) as {
      account: string;
      detail: {
        recipientAccountId: string;
        requestParameters: Record<string, unknown>;
        userIdentity: { accountId: string; arn: string };
      };
    };
    event.account = MEMBER;
    event.detail.recipientAccountId = MEMBER;
    event.detail.userIdentity.accountId = MEMBER;
    event.detail.userIdentity.arn = event.detail.userIdentity.arn.replace("123456789012", MEMBER);
    event.detail.requestParameters.policyArn = policyArn;
    return event;
  }

  it.each([
    ["detach-user-policy-quarantine.json", { type: "user", name: "malicious-iam-user" }],
    ["detach-role-policy-quarantine.json", { type: "role", name: "cloudtrail-role" }],
  ])(
    "reads %s of the member's own session-deny policy as a fence detached in that account",
    (fixture, target) => {
      expect(normalizeEvent(inMember(fixture, memberDeny), org)).toMatchObject({
        exposures: [],
        detached: [{ kind: "policy-detached", accountId: MEMBER, target, policyArn: memberDeny }],
      });
    },
  );

  it("reads a detach of AWS's quarantine policy in the member account as a fence of that account", () => {
    expect(normalizeEvent(inMember("detach-user-policy-quarantine.json", QUARANTINE), org)).toMatchObject({
      detached: [{ accountId: MEMBER, policyArn: QUARANTINE }],
    });
  });

  it.each([
    ["another account's session-deny policy", `arn:aws:iam::444455556666:policy/${MEMBER_ROLE}-SessionDeny`],
    ["a look-alike name", `arn:aws:iam::${MEMBER}:policy/${MEMBER_ROLE}-SessionDenyAll`],
    ["a session-deny policy of another member role name", `arn:aws:iam::${MEMBER}:policy/Other-SessionDeny`],
    ["a path in front of the name", `arn:aws:iam::${MEMBER}:policy/x/${MEMBER_ROLE}-SessionDeny`],
  ])("acts on no detach of %s", (_what, policyArn) => {
    expect(normalizeEvent(inMember("detach-user-policy-quarantine.json", policyArn), org)).toMatchObject({
      exposures: [],
      detached: [],
      notices: [],
    });
  });

  it("knows no member session-deny policy without a member role (a single-account deployment)", () => {
    expect(normalizeEvent(inMember("detach-user-policy-quarantine.json", memberDeny), options)).toMatchObject(
      {
        detached: [],
      },
    );
  });

  it("ignores the member role's own detach (a release through it)", () => {
    const event = inMember("detach-user-policy-quarantine.json", memberDeny) as {
      detail: { userIdentity: Record<string, unknown> };
    };
    event.detail.userIdentity = {
      type: "AssumedRole",
      arn: `arn:aws:sts::${MEMBER}:assumed-role/${MEMBER_ROLE}/lkr`,
      accountId: MEMBER,
      sessionContext: {
        sessionIssuer: { type: "Role", arn: `arn:aws:iam::${MEMBER}:role/${MEMBER_ROLE}`, accountId: MEMBER },
      },
    };
    const withNames = { ...org, watch: { ...watch, responderRoleNames: [MEMBER_ROLE] } };
    expect(normalizeEvent(event, withNames)).toMatchObject({ detached: [] });
  });
});
