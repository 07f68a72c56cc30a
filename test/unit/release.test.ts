import { describe, expect, it } from "vitest";
import { fenceTargetOf, keyTargetOf, upgradeLegacyAction } from "../../lambdas/adapters/dynamodb-legacy.js";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../../lambdas/core/errors.js";
import {
  type ActionRecord,
  ActionRecordSchema,
  type Incident,
  type IncidentStatus,
} from "../../lambdas/core/incident.js";
import type { FenceTarget } from "../../lambdas/core/plan.js";
import type { RenderedAlert } from "../../lambdas/core/ports.js";
import { executeRelease, prepareRelease, resolveIncident } from "../../lambdas/core/release/close.js";
import {
  IncidentChangedError,
  IncidentStateConflictError,
  ReleaseInterruptedError,
  UndoFactsError,
  UnknownIncidentError,
  WrongAccountError,
} from "../../lambdas/core/release/errors.js";
import {
  actionsSinceLastClose,
  assertClosable,
  closedStatusOf,
  describeConflict,
  judgeRelease,
  otherQuarantinedKeys,
  planRelease,
  type UndoStep,
} from "../../lambdas/core/release/plan.js";
import type { CloseWrite, IamReleasePort, IncidentReviewStore } from "../../lambdas/core/release/ports.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const ID = `123456789012-${KEY}`;
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const REVOKE = `leaked-key-responder-revoke-${KEY}`;
const TAG = `leaked-key-responder:quarantine:${KEY}`;
const alice: FenceTarget = { type: "user", name: "alice" };

/**
 * An action as older versions stored it (target as text, undo facts as strings), read the way the
 * DynamoDB adapter reads every stored action: upgraded, then parsed through the action schema.
 */
function action(
  kind: string,
  target: string,
  outcome: ActionRecord["outcome"],
  undo?: Record<string, string>,
): ActionRecord {
  const stored = {
    kind,
    target,
    at: "2026-11-28T12:00:00.000Z",
    outcome,
    signalId: "s1",
    ...(undo ? { undo } : {}),
  };
  return ActionRecordSchema.parse(upgradeLegacyAction(stored));
}

const disabled = action("disable-key", `${KEY} (user alice)`, "done", { previousStatus: "Active" });
const attached = action("attach-quarantine-policy", "user alice", "done", { policyArn: QUARANTINE });
const revoked = action("revoke-sessions", "user alice", "done", { policyName: REVOKE });
const tagged = action("tag-principal", "user alice", "done", { tagKeys: TAG });
const FULL = [disabled, attached, revoked, tagged];

const REACTIVATE: UndoStep = { kind: "reactivate-key", accessKeyId: KEY, userName: "alice" };
const DETACH: UndoStep = { kind: "detach-quarantine-policy", target: alice, policyArn: QUARANTINE };
const DELETE: UndoStep = { kind: "delete-revoke-policy", target: alice, policyName: REVOKE };
const UNTAG: UndoStep = { kind: "untag-principal", target: alice, tagKeys: [TAG] };

function incident(actions: ActionRecord[], status: IncidentStatus = "contained"): Incident {
  return {
    incidentId: ID,
    accountId: "123456789012",
    accessKeyId: KEY,
    status,
    severity: "high",
    principal: { type: "user", name: "alice" },
    createdAt: "2026-11-28T12:00:00.000Z",
    updatedAt: "2026-11-28T12:00:00.000Z",
    mode: "enforce",
    sample: false,
    signalIds: ["s1"],
    alertedSignalIds: ["s1"],
    signals: [],
    actions,
  };
}

describe("planRelease", () => {
  const cases: [string, ActionRecord[], UndoStep[], string[]][] = [
    ["full containment: undo all four, key first, tags last", FULL, [REACTIVATE, DETACH, DELETE, UNTAG], []],
    [
      "containment in a different order still undoes in the fixed order",
      [tagged, revoked, attached, disabled],
      [REACTIVATE, DETACH, DELETE, UNTAG],
      [],
    ],
    [
      "attach failed: no detach, the rest undone",
      [disabled, action("attach-quarantine-policy", "user alice", "failed"), revoked, tagged],
      [REACTIVATE, DELETE, UNTAG],
      ["failed when the responder tried it: nothing to undo"],
    ],
    [
      "policy attached before the responder acted: it stays",
      [disabled, action("attach-quarantine-policy", "user alice", "already"), revoked, tagged],
      [REACTIVATE, DELETE, UNTAG],
      ["the policy was attached before the responder acted: it stays attached"],
    ],
    [
      "key Inactive before the responder acted: it stays Inactive",
      [action("disable-key", `${KEY} (user alice)`, "already", { previousStatus: "Inactive" }), attached],
      [DETACH],
      ["the key was already Inactive before the responder acted: it stays Inactive"],
    ],
    [
      "key not found when disabling: nothing to reactivate",
      [action("disable-key", `${KEY} (user alice)`, "not-found")],
      [],
      ["its target did not exist: nothing to undo"],
    ],
    [
      "notify-only: nothing was done, nothing to undo",
      [action("disable-key", `${KEY} (user alice)`, "planned-only")],
      [],
      ["only planned (notify-only): nothing was done"],
    ],
    ["no actions (notify-only incident): nothing to undo", [], [], []],
    [
      "a role's sessions revoked: delete the inline policy and untag the role",
      [
        action("revoke-sessions", "role web", "done", { policyName: "leaked-key-responder-revoke-ASIAX" }),
        action("tag-principal", "role web", "done", { tagKeys: "a,b" }),
      ],
      [
        {
          kind: "delete-revoke-policy",
          target: { type: "role", name: "web" },
          policyName: "leaked-key-responder-revoke-ASIAX",
        },
        { kind: "untag-principal", target: { type: "role", name: "web" }, tagKeys: ["a", "b"] },
      ],
      [],
    ],
    [
      "contained twice (key re-enabled in between): each undone once, tag keys merged, the second pass's 'already' is the responder's own",
      [
        ...FULL,
        disabled,
        action("attach-quarantine-policy", "user alice", "already"),
        revoked,
        action("tag-principal", "user alice", "done", { tagKeys: `${TAG},extra` }),
      ],
      [REACTIVATE, DETACH, DELETE, { ...UNTAG, tagKeys: [TAG, "extra"] }],
      [],
    ],
    [
      "a second containment after a release undoes only what came after the release",
      [
        ...FULL,
        action("reactivate-key", `${KEY} (user alice)`, "done"),
        action("release", ID, "done"),
        action("disable-key", `${KEY} (user alice)`, "done", { previousStatus: "Active" }),
        action("revoke-sessions", "user alice", "done", { policyName: REVOKE }),
      ],
      [REACTIVATE, DELETE],
      [],
    ],
    [
      "an incomplete earlier release attempt does not hide the containment",
      [
        ...FULL,
        action("reactivate-key", `${KEY} (user alice)`, "done"),
        action("detach-quarantine-policy", "user alice", "failed"),
      ],
      [REACTIVATE, DETACH, DELETE, UNTAG],
      [],
    ],
    [
      "after a resolve, nothing of the resolved containment is undone",
      [...FULL, action("resolve", ID, "done")],
      [],
      [],
    ],
  ];

  it.each(cases)("%s", (_name, actions, steps, keptReasons) => {
    const plan = planRelease(incident(actions));
    expect(plan.steps).toEqual(steps);
    expect(plan.kept.map((k) => k.reason)).toEqual(keptReasons);
    expect(plan.incidentId).toBe(ID);
  });

  const broken: [string, ActionRecord, RegExp][] = [
    [
      "disable-key done without previousStatus",
      action("disable-key", `${KEY} (user alice)`, "done"),
      /undo.previousStatus missing/,
    ],
    [
      "disable-key with an unreadable target",
      action("disable-key", "alice", "done", { previousStatus: "Active" }),
      /names no key and user/,
    ],
    [
      "attach done without policyArn",
      action("attach-quarantine-policy", "user alice", "done"),
      /undo.policyArn missing/,
    ],
    [
      "revoke done without policyName",
      action("revoke-sessions", "user alice", "done", {}),
      /undo.policyName missing/,
    ],
    [
      "tag done without tag keys",
      action("tag-principal", "user alice", "done", { tagKeys: " , " }),
      /undo.tagKeys missing/,
    ],
    [
      "a fence action naming no principal",
      action("revoke-sessions", "group admins", "done", { policyName: "p" }),
      /names no user or role/,
    ],
  ];

  it.each(broken)("refuses to guess: %s", (_name, bad, message) => {
    const run = () => planRelease(incident([disabled, bad]));
    expect(run).toThrow(UndoFactsError);
    expect(run).toThrow(message);
  });

  it("names the incident and the action in the error, with the class name set", () => {
    const bad = action("attach-quarantine-policy", "user alice", "done");
    expect(() => planRelease(incident([bad]))).toThrow(
      expect.objectContaining({
        name: "UndoFactsError",
        incidentId: ID,
        actionKind: "attach-quarantine-policy",
        actionTarget: "user alice",
      }),
    );
  });

  it("keeps a disable-key done from a key that was not Active", () => {
    const odd = action("disable-key", `${KEY} (user alice)`, "done", { previousStatus: "Inactive" });
    expect(planRelease(incident([odd]))).toEqual({
      incidentId: ID,
      steps: [],
      kept: [{ action: odd, reason: "the key was Inactive before: it stays Inactive" }],
    });
  });
});

describe("targets and windows", () => {
  it("reads the targets the responder records, and nothing else", () => {
    expect(keyTargetOf(`${KEY} (user alice@example.com)`)).toEqual({
      accessKeyId: KEY,
      userName: "alice@example.com",
    });
    expect(keyTargetOf(`${KEY} (role web)`)).toBeUndefined();
    expect(fenceTargetOf("role web-1")).toEqual({ type: "role", name: "web-1" });
    expect(fenceTargetOf("user a b")).toBeUndefined();
    expect(fenceTargetOf("root")).toBeUndefined();
  });

  it("takes the actions after the last release or resolve marker", () => {
    const after = action("revoke-sessions", "user alice", "done", { policyName: REVOKE });
    expect(
      actionsSinceLastClose([
        disabled,
        action("release", ID, "done"),
        attached,
        action("resolve", ID, "done"),
        after,
      ]),
    ).toEqual([after]);
    expect(actionsSinceLastClose(FULL)).toEqual(FULL);
  });
});

describe("status transitions", () => {
  it.each<[IncidentStatus, "release" | "resolve"]>([
    ["contained", "release"],
    ["notified", "release"],
    ["contained", "resolve"],
    ["notified", "resolve"],
  ])("%s → %s is allowed", (status, kind) => {
    expect(() => assertClosable({ incidentId: ID, status }, kind)).not.toThrow();
  });

  it.each<[IncidentStatus, "release" | "resolve"]>([
    ["released", "release"],
    ["released", "resolve"],
    ["resolved", "release"],
    ["resolved", "resolve"],
  ])("%s → %s is a conflict", (status, kind) => {
    expect(() => assertClosable({ incidentId: ID, status }, kind)).toThrow(
      expect.objectContaining({ name: "IncidentStateConflictError", status, requested: kind }),
    );
    expect(() => assertClosable({ incidentId: ID, status }, kind)).toThrow(IncidentStateConflictError);
  });

  it("says what a conflict could not give back", () => {
    expect(describeConflict(action("reactivate-key", `${KEY} (user alice)`, "not-found"))).toBe(
      `access key ${KEY} of user alice no longer exists (deleted meanwhile?): it could not be reactivated`,
    );
    expect(describeConflict(action("untag-principal", "user alice", "not-found"))).toBe(
      "user alice no longer exists (deleted meanwhile?): untag-principal had nothing to act on",
    );
  });

  it("names the closed statuses", () => {
    expect([closedStatusOf("release"), closedStatusOf("resolve")]).toEqual(["released", "resolved"]);
  });

  it("judges undo results: failures make it incomplete, missing entities are conflicts", () => {
    const records = [
      action("reactivate-key", `${KEY} (user alice)`, "not-found"),
      action("detach-quarantine-policy", "user alice", "already"),
      action("delete-revoke-policy", "user alice", "failed"),
    ];
    const verdict = judgeRelease(records);
    expect(verdict.complete).toBe(false);
    expect(verdict.conflicts).toEqual([records[0]]);
    expect(verdict.failures).toEqual([records[2]]);
    expect(judgeRelease([action("untag-principal", "user alice", "done")])).toEqual({
      complete: true,
      conflicts: [],
      failures: [],
    });
  });
});

/** IAM that records calls and can fail one of them. */
class FakeIam implements IamReleasePort {
  readonly calls: string[] = [];
  constructor(
    private readonly failures: Record<string, Error> = {},
    /** Tag keys by principal name; alice carries this incident's quarantine tag unless told otherwise. */
    private readonly tags: Record<string, string[]> = { alice: [TAG] },
  ) {}
  private hit(call: string) {
    this.calls.push(call);
    const failure = this.failures[call.split(":")[0] as string];
    if (failure) throw failure;
  }
  async reactivateKey(user: string, key: string) {
    this.hit(`reactivateKey:${user}:${key}`);
  }
  async detachPolicy(target: FenceTarget, arn: string) {
    this.hit(`detachPolicy:${target.name}:${arn}`);
    return "detached" as const;
  }
  async deleteInlinePolicy(target: FenceTarget, name: string) {
    this.hit(`deleteInlinePolicy:${target.name}:${name}`);
    return "absent" as const;
  }
  async untagPrincipal(target: FenceTarget, keys: readonly string[]) {
    this.hit(`untagPrincipal:${target.name}:${keys.join(",")}`);
  }
  async principalTagKeys(target: FenceTarget) {
    this.hit(`principalTagKeys:${target.name}`);
    return this.tags[target.name] ?? [];
  }
  readonly restore = {
    disableKey: async (user: string, key: string) => this.hit(`restore.disableKey:${user}:${key}`),
    attachPolicy: async (target: FenceTarget, arn: string) => {
      this.hit(`restore.attachPolicy:${target.name}:${arn}`);
      return "attached" as const;
    },
    putRevokePolicy: async (target: FenceTarget, name: string) =>
      this.hit(`restore.putRevokePolicy:${target.name}:${name}`),
    tagPrincipal: async (target: FenceTarget, tags: Readonly<Record<string, string>>) =>
      this.hit(`restore.tagPrincipal:${target.name}:${Object.keys(tags).join(",")}`),
  };
}

class FakeStore implements IncidentReviewStore {
  readonly writes: CloseWrite[] = [];
  readonly appended: ActionRecord[][] = [];
  readonly appendedTo: string[] = [];
  readonly begun: string[] = [];
  /** A new signal contains the key while the release runs: the close write finds the incident changed. */
  changed = false;
  /** The incident changed before the release began: nothing may change. */
  changedBeforeBegin = false;
  /** The incidents holding alice's fence besides this one, and those that join while it is detached. */
  holders: string[] = [];
  joining: string[] = [];
  constructor(
    readonly incident: Incident | undefined,
    readonly others: readonly Incident[] = [],
  ) {}
  async get(id: string) {
    return id === ID ? this.incident : this.others.find((i) => i.incidentId === id);
  }
  async beginRelease(id: string, from: IncidentStatus, version: number | undefined) {
    if (this.changedBeforeBegin) throw new IncidentChangedError(id);
    this.begun.push(from);
    return (version ?? 0) + 1;
  }
  async recordClose(write: CloseWrite) {
    if (this.changed) throw new IncidentChangedError(write.incidentId);
    this.writes.push(write);
  }
  /** The reactivation windows recorded, opened and closed, in order (`begin v→v+1 until`, `end v`). */
  readonly windows: string[] = [];
  /** A signal contains the key: before the release records its window, or while the reactivation is in flight. */
  changedBeforeReactivation = false;
  changedDuringReactivation = false;
  async beginReactivation(id: string, version: number, until: string) {
    if (this.changedBeforeReactivation) throw new IncidentChangedError(id);
    this.windows.push(`begin ${version}→${version + 1} until ${until}`);
    return version + 1;
  }
  async endReactivation(id: string, version: number) {
    if (this.changedDuringReactivation) throw new IncidentChangedError(id);
    this.windows.push(`end ${version}`);
  }
  readonly held: string[] = [];
  async holdFence(_account: string, target: FenceTarget, incidentId: string) {
    this.held.push(`${target.name}:${incidentId}`);
  }
  async leaveFence() {
    return this.holders;
  }
  async fenceHolders() {
    return [...this.holders, ...this.joining];
  }
  async appendActions(id: string, actions: readonly ActionRecord[]) {
    this.appendedTo.push(id);
    this.appended.push([...actions]);
  }
}

function clock() {
  let t = Date.parse("2026-11-28T13:00:00.000Z");
  return () => {
    t += 1000;
    return new Date(t);
  };
}

const ACCOUNT = "123456789012";

function deps(
  store: FakeStore,
  iam: FakeIam,
  alerts: RenderedAlert[] = [],
  publishFails = false,
  callerAccountId = ACCOUNT,
) {
  return {
    incidents: store,
    iam,
    callerAccountId,
    alerts: {
      publish: async (alert: RenderedAlert) => {
        if (publishFails) throw new TransientAwsError("sns:Publish", { cause: new Error("503") });
        alerts.push(alert);
      },
    },
    now: clock(),
    stackName: "LeakedKeyResponder",
  };
}

const BY = { by: "arn:aws:iam::123456789012:user/ops", reason: "false alarm" };

describe("executeRelease", () => {
  it("undoes the plan, records it in one conditional write with a marker and the release, then alerts", async () => {
    const store = new FakeStore(incident(FULL));
    const iam = new FakeIam();
    const alerts: RenderedAlert[] = [];
    const outcome = await executeRelease(
      await prepareRelease(store, ID, ACCOUNT),
      BY,
      deps(store, iam, alerts),
    );

    expect(iam.calls).toEqual([
      `reactivateKey:alice:${KEY}`,
      `principalTagKeys:alice`,
      `detachPolicy:alice:${QUARANTINE}`,
      `deleteInlinePolicy:alice:${REVOKE}`,
      `untagPrincipal:alice:${TAG}`,
    ]);
    expect(outcome.status).toBe("released");
    expect(outcome.records.map((r) => [r.kind, r.outcome])).toEqual([
      ["reactivate-key", "done"],
      ["detach-quarantine-policy", "done"],
      ["delete-revoke-policy", "already"],
      ["untag-principal", "done"],
    ]);
    const [write] = store.writes;
    expect(write).toMatchObject({
      incidentId: ID,
      expectedStatus: "releasing",
      // 1 from releasing, 2 from the key's reactivation window.
      expectedVersion: 2,
      status: "released",
      release: { by: BY.by, reason: "false alarm", kind: "release", at: "2026-11-28T13:00:09.000Z" },
    });
    expect(write?.actions.at(-1)).toEqual({
      kind: "release",
      target: ID,
      subject: { type: "incident", incidentId: ID },
      at: "2026-11-28T13:00:09.000Z",
      outcome: "done",
      detail: `${BY.by}: false alarm`,
      signalId: "lkr:release:2026-11-28T13:00:09.000Z",
    });
    expect(outcome.alerted).toBe(true);
    expect(alerts[0]?.subject).toBe(
      "[RELEASED] key AKIA...MPLE reactivated - user alice, account 123456789012",
    );
    expect(alerts[0]?.text).toContain(`Released by: ${BY.by}`);
    expect(JSON.parse(alerts[0]?.machine ?? "{}")).toMatchObject({ complete: true, status: "released" });
    // Where to check the key now: its user's credentials page and its CloudTrail event history.
    const links = [
      {
        label: "IAM user alice (security credentials)",
        url: "https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice?section=security_credentials",
      },
      {
        label: "CloudTrail event history of the key (us-east-1)",
        url: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=AKIAIOSFODNN7EXAMPLE",
      },
    ];
    expect(alerts[0]?.text).toContain(
      [
        "",
        "IN THE CONSOLE (account 123456789012)",
        `  IAM user alice (security credentials): ${links[0]?.url}`,
        `  CloudTrail event history of the key (us-east-1): ${links[1]?.url}`,
        "",
        "WHAT YOU MUST STILL DO",
      ].join("\n"),
    );
    expect(JSON.parse(alerts[0]?.machine ?? "{}").consoleLinks).toEqual(links);
  });

  it("records a deleted key as not-found, gives back the rest, and reports the conflict", async () => {
    const store = new FakeStore(incident(FULL));
    const iam = new FakeIam({
      reactivateKey: new NoSuchEntityError("iam:UpdateAccessKey", { cause: new Error("gone") }),
    });
    const outcome = await executeRelease(await prepareRelease(store, ID, ACCOUNT), BY, deps(store, iam));
    expect(iam.calls).toHaveLength(5);
    expect(outcome.status).toBe("released");
    expect(outcome.verdict.conflicts.map((r) => r.kind)).toEqual(["reactivate-key"]);
  });

  it("leaves the incident releasing (never contained: its key is Active again) when a step fails, records the attempt without a release, and alerts it as incomplete", async () => {
    const store = new FakeStore(incident(FULL));
    const iam = new FakeIam({
      detachPolicy: new AwsCallError("iam:DetachUserPolicy", "AccessDenied", { cause: new Error("no") }),
    });
    const alerts: RenderedAlert[] = [];
    const outcome = await executeRelease(
      await prepareRelease(store, ID, ACCOUNT),
      BY,
      deps(store, iam, alerts),
    );
    expect(outcome.status).toBe("releasing");
    expect(outcome.verdict.complete).toBe(false);
    expect(store.writes[0]).toMatchObject({ status: "releasing", release: undefined });
    expect(store.writes[0]?.actions.map((a) => a.kind)).toEqual([
      "reactivate-key",
      "detach-quarantine-policy",
      "delete-revoke-policy",
      "untag-principal",
    ]);
    expect(store.writes[0]?.actions[1]?.detail).toBe(
      "detach arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3: AwsCallError: iam:DetachUserPolicy failed: AccessDenied",
    );
    expect(alerts[0]?.subject).toMatch(/^\[RELEASE INCOMPLETE\] /);
    // The command to run again resolves to this package from any directory (not the unclaimed `lkr`).
    expect(alerts[0]?.text).toContain(
      `npx leaked-key-responder release ${ID} --reason "false alarm" --stack LeakedKeyResponder`,
    );
  });

  it("when a new signal contained the key meanwhile: puts back what it undid (key first), keeps the audit, and throws", async () => {
    const store = new FakeStore(incident(FULL));
    store.changed = true;
    const iam = new FakeIam();
    const prepared = await prepareRelease(store, ID, ACCOUNT);
    await expect(executeRelease(prepared, BY, deps(store, iam))).rejects.toThrow(ReleaseInterruptedError);
    expect(iam.calls.filter((c) => c.startsWith("restore."))).toEqual([
      `restore.disableKey:alice:${KEY}`,
      `restore.attachPolicy:alice:${QUARANTINE}`,
      `restore.tagPrincipal:alice:${TAG}`,
    ]);
    expect(store.appended.map((batch) => batch.map((a) => a.kind))).toEqual([
      [
        "reactivate-key",
        "detach-quarantine-policy",
        "delete-revoke-policy",
        "untag-principal",
        "reactivate-key",
        "detach-quarantine-policy",
        "untag-principal",
      ],
    ]);
    expect(store.writes).toEqual([]);
  });

  it("records until when the key's reactivation may land before sending it, and closes that window once it answered", async () => {
    const store = new FakeStore(incident(FULL));
    const iam = new FakeIam();
    await executeRelease(await prepareRelease(store, ID, ACCOUNT), BY, deps(store, iam));
    // Version 1 (releasing) → 2; the window is 10 s from the moment it is recorded.
    expect(store.windows).toEqual(["begin 1→2 until 2026-11-28T13:00:13.000Z", "end 2"]);
    expect(store.writes[0]?.expectedVersion).toBe(2);
  });

  it("when a signal contained the key before the reactivation window was recorded: reactivates nothing, undoes nothing, and throws", async () => {
    const store = new FakeStore(incident(FULL));
    store.changedBeforeReactivation = true;
    const iam = new FakeIam();
    const prepared = await prepareRelease(store, ID, ACCOUNT);
    await expect(executeRelease(prepared, BY, deps(store, iam))).rejects.toThrow(ReleaseInterruptedError);
    expect(iam.calls).toEqual([]);
    expect(store.writes).toEqual([]);
  });

  it("when a signal contained the key while its reactivation was in flight: disables it again at once, undoes nothing more, and throws", async () => {
    const store = new FakeStore(incident(FULL));
    store.changedDuringReactivation = true;
    const iam = new FakeIam();
    const prepared = await prepareRelease(store, ID, ACCOUNT);
    await expect(executeRelease(prepared, BY, deps(store, iam))).rejects.toThrow(ReleaseInterruptedError);
    expect(iam.calls).toEqual([`reactivateKey:alice:${KEY}`, `restore.disableKey:alice:${KEY}`]);
    expect(store.appended.map((batch) => batch.map((a) => [a.kind, a.outcome]))).toEqual([
      [
        ["reactivate-key", "done"],
        ["reactivate-key", "failed"],
      ],
    ]);
    expect(store.writes).toEqual([]);
  });

  it("when the incident changed before the release began: changes nothing and throws", async () => {
    const store = new FakeStore(incident(FULL));
    store.changedBeforeBegin = true;
    const iam = new FakeIam();
    const prepared = await prepareRelease(store, ID, ACCOUNT);
    await expect(executeRelease(prepared, BY, deps(store, iam))).rejects.toThrow(IncidentChangedError);
    expect(iam.calls).toEqual([]);
    expect(store.appended).toEqual([]);
  });

  it("puts the quarantine policy back and hands it over when another key's containment took the fence while it was detached", async () => {
    const store = new FakeStore(incident(FULL), [incidentB()]);
    store.joining = [ID_B];
    const iam = new FakeIam();
    const outcome = await executeRelease(await prepareRelease(store, ID, ACCOUNT), BY, deps(store, iam));
    expect(iam.calls).toContain(`detachPolicy:alice:${QUARANTINE}`);
    expect(iam.calls).toContain(`restore.attachPolicy:alice:${QUARANTINE}`);
    expect(outcome.records[1]).toMatchObject({ kind: "hand-over-quarantine-policy", target: "user alice" });
    expect(store.appendedTo).toEqual([ID_B]);
  });

  it("reports an alert that could not be sent, after recording the release", async () => {
    const store = new FakeStore(incident(FULL));
    const outcome = await executeRelease(
      await prepareRelease(store, ID, ACCOUNT),
      BY,
      deps(store, new FakeIam(), [], true),
    );
    expect(store.writes).toHaveLength(1);
    expect(outcome.alerted).toBe(false);
    expect(outcome.alertError).toBe("TransientAwsError: sns:Publish failed transiently");
  });

  it("refuses an unknown or closed incident before touching anything", async () => {
    await expect(prepareRelease(new FakeStore(undefined), ID, ACCOUNT)).rejects.toThrow(UnknownIncidentError);
    await expect(prepareRelease(new FakeStore(incident(FULL, "released")), ID, ACCOUNT)).rejects.toThrow(
      IncidentStateConflictError,
    );
  });
});

const KEY_B = "AKIAI44QH8DHBEXAMPLE";
const ID_B = `123456789012-${KEY_B}`;
const TAG_B = `leaked-key-responder:quarantine:${KEY_B}`;

/** Incident B: the same Health event named alice's second key; it found the policy attached by A. */
function incidentB(): Incident {
  return {
    ...incident([
      action("disable-key", `${KEY_B} (user alice)`, "done", { previousStatus: "Active" }),
      action("attach-quarantine-policy", "user alice", "already"),
      action("revoke-sessions", "user alice", "done", { policyName: `leaked-key-responder-revoke-${KEY_B}` }),
      action("tag-principal", "user alice", "done", { tagKeys: TAG_B }),
    ]),
    incidentId: ID_B,
    accessKeyId: KEY_B,
  };
}

describe("a quarantine policy another key of the principal still needs", () => {
  it.each<[string, string[], string[]]>([
    ["only this key's tag: none", [TAG, "team"], []],
    ["another key's tag: that key", [TAG, TAG_B, "team"], [KEY_B]],
    [
      "several, sorted",
      ["leaked-key-responder:quarantine:AKIAZZZZZZZZZZZZZZZZ", TAG_B],
      [KEY_B, "AKIAZZZZZZZZZZZZZZZZ"],
    ],
    [
      "other responder tags are no quarantine",
      [`leaked-key-responder:exempt`, "leaked-key-responder:quarantine:"],
      [],
    ],
  ])("%s", (_, tags, expected) => {
    expect(otherQuarantinedKeys(tags, KEY)).toEqual(expected);
  });

  it("is kept attached and handed over to the other key's incident; the rest is undone", async () => {
    const store = new FakeStore(incident(FULL), [incidentB()]);
    const iam = new FakeIam({}, { alice: [TAG, TAG_B] });
    const alerts: RenderedAlert[] = [];
    const outcome = await executeRelease(
      await prepareRelease(store, ID, ACCOUNT),
      BY,
      deps(store, iam, alerts),
    );

    expect(iam.calls).toEqual([
      `reactivateKey:alice:${KEY}`,
      "principalTagKeys:alice",
      `deleteInlinePolicy:alice:${REVOKE}`,
      `untagPrincipal:alice:${TAG}`,
    ]);
    expect(outcome.status).toBe("released");
    const reason = `still needed by the quarantine of ${KEY_B}: it stays attached, held now by incident ${ID_B}, whose release detaches it`;
    expect(outcome.records[1]).toMatchObject({
      kind: "hand-over-quarantine-policy",
      target: "user alice",
      outcome: "done",
      detail: `${QUARANTINE} kept attached: ${reason}`,
    });
    expect(outcome.kept).toEqual([{ action: attached, reason }]);
    expect(store.writes[0]?.actions.map((a) => a.kind)).toEqual([
      "reactivate-key",
      "hand-over-quarantine-policy",
      "delete-revoke-policy",
      "untag-principal",
      "release",
    ]);
    // B now holds the policy: its release will detach it.
    expect(store.appendedTo).toEqual([ID_B]);
    expect(store.appended[0]).toEqual([
      expect.objectContaining({
        kind: "take-over-quarantine-policy",
        target: "user alice",
        outcome: "done",
        undo: { policyArn: QUARANTINE },
      }),
    ]);
    expect(alerts[0]?.text).toContain(`LEFT AS IT WAS\n  - attach-quarantine-policy user alice: ${reason}`);
    expect(JSON.parse(alerts[0]?.machine ?? "{}").kept).toEqual([
      { kind: "attach-quarantine-policy", target: "user alice", reason },
    ]);

    const b = { ...incidentB(), actions: [...incidentB().actions, ...(store.appended[0] ?? [])] };
    expect(planRelease(b)).toMatchObject({
      steps: [
        { kind: "reactivate-key" },
        DETACH,
        { kind: "delete-revoke-policy" },
        { kind: "untag-principal" },
      ],
      kept: [],
    });
  });

  it("without the hand-over, the other key's incident would leave it attached (its attach was 'already')", () => {
    expect(planRelease(incidentB()).steps.map((s) => s.kind)).not.toContain("detach-quarantine-policy");
  });

  it("is detached when only this key's quarantine tag is left", async () => {
    const store = new FakeStore(incident(FULL), [incidentB()]);
    const iam = new FakeIam({}, { alice: [TAG, "team"] });
    const outcome = await executeRelease(await prepareRelease(store, ID, ACCOUNT), BY, deps(store, iam));
    expect(iam.calls).toContain(`detachPolicy:alice:${QUARANTINE}`);
    expect(outcome.records[1]).toMatchObject({ kind: "detach-quarantine-policy", outcome: "done" });
    expect(outcome.kept).toEqual([]);
    expect(store.appended).toEqual([]);
  });

  it.each<[string, FakeIam, Incident[], RegExp]>([
    [
      "the tags cannot be read",
      new FakeIam({
        principalTagKeys: new AwsCallError("iam:ListUserTags", "AccessDenied", { cause: new Error("no") }),
      }),
      [incidentB()],
      /^detach .*: not detached: cannot tell whether another key's quarantine needs it: AwsCallError: iam:ListUserTags failed: AccessDenied$/,
    ],
    [
      "there is no incident to hand it over to",
      new FakeIam({}, { alice: [TAG, TAG_B] }),
      [],
      new RegExp(
        `not detached: still needed by the quarantine of ${KEY_B}, but there is no open incident ${ID_B} to hand it over to`,
      ),
    ],
  ])(
    "fails closed when %s: not detached, the incident stays releasing (its key was reactivated)",
    async (_, iam, others, detail) => {
      const store = new FakeStore(incident(FULL), others);
      const outcome = await executeRelease(await prepareRelease(store, ID, ACCOUNT), BY, deps(store, iam));
      expect(iam.calls.filter((c) => c.startsWith("detachPolicy"))).toEqual([]);
      expect(outcome.status).toBe("releasing");
      expect(outcome.records[1]).toMatchObject({ kind: "detach-quarantine-policy", outcome: "failed" });
      expect(outcome.records[1]?.detail).toMatch(detail);
      expect(store.appended).toEqual([]);
    },
  );
});

describe("a release in another account than the caller's", () => {
  const CALLER = "210987654321";

  it("is refused before the plan is shown: nothing read from IAM, nothing written", async () => {
    const store = new FakeStore(incident(FULL));
    await expect(prepareRelease(store, ID, CALLER)).rejects.toThrow(WrongAccountError);
    await expect(prepareRelease(store, ID, CALLER)).rejects.toThrow(
      `incident ${ID} is in account 123456789012, but the credentials are for account ${CALLER}`,
    );
    expect(store.writes).toEqual([]);
  });

  it("is refused by the executor too: no IAM call, no write, no alert", async () => {
    const store = new FakeStore(incident(FULL));
    const iam = new FakeIam();
    const alerts: RenderedAlert[] = [];
    const prepared = await prepareRelease(store, ID, ACCOUNT);
    await expect(executeRelease(prepared, BY, deps(store, iam, alerts, false, CALLER))).rejects.toThrow(
      expect.objectContaining({
        name: "WrongAccountError",
        incidentAccountId: ACCOUNT,
        callerAccountId: CALLER,
      }),
    );
    expect(iam.calls).toEqual([]);
    expect(store.writes).toEqual([]);
    expect(store.appended).toEqual([]);
    expect(alerts).toEqual([]);
  });

  it("in the incident's own account goes ahead", async () => {
    const store = new FakeStore(incident(FULL));
    const iam = new FakeIam();
    const outcome = await executeRelease(
      await prepareRelease(store, ID, ACCOUNT),
      BY,
      deps(store, iam, [], false, ACCOUNT),
    );
    expect(outcome.status).toBe("released");
    expect(iam.calls).toHaveLength(5);
    expect(store.writes).toHaveLength(1);
  });
});

describe("resolveIncident", () => {
  it("closes without undoing: one conditional write with the marker and the resolve record", async () => {
    const store = new FakeStore(incident(FULL, "notified"));
    const { release } = await resolveIncident(
      ID,
      { ...BY, reason: "rotated" },
      { incidents: store, now: clock() },
    );
    expect(release).toEqual({
      at: "2026-11-28T13:00:01.000Z",
      by: BY.by,
      reason: "rotated",
      kind: "resolve",
    });
    expect(store.writes).toEqual([
      {
        incidentId: ID,
        expectedStatus: "notified",
        expectedVersion: undefined,
        status: "resolved",
        actions: [
          {
            kind: "resolve",
            target: ID,
            subject: { type: "incident", incidentId: ID },
            at: "2026-11-28T13:00:01.000Z",
            outcome: "done",
            detail: `${BY.by}: rotated`,
            signalId: "lkr:resolve:2026-11-28T13:00:01.000Z",
          },
        ],
        release,
        now: "2026-11-28T13:00:01.000Z",
      },
    ]);
  });

  it("is a conflict on a resolved incident", async () => {
    const store = new FakeStore(incident(FULL, "resolved"));
    await expect(resolveIncident(ID, BY, { incidents: store, now: clock() })).rejects.toThrow(
      IncidentStateConflictError,
    );
    expect(store.writes).toEqual([]);
  });
});

describe("the stack's session-deny policy of a user", () => {
  const SESSION_DENY = "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny";
  const denied = ActionRecordSchema.parse({
    kind: "attach-session-deny-policy",
    target: "user alice",
    subject: alice,
    at: "2026-11-28T12:00:00.000Z",
    outcome: "done",
    signalId: "s1",
    undo: { policyArn: SESSION_DENY },
  });
  const DETACH_DENY: UndoStep = {
    kind: "detach-session-deny-policy",
    target: alice,
    policyArn: SESSION_DENY,
  };

  it("is detached by a release, after the quarantine policy and before the tags", () => {
    expect(planRelease(incident([disabled, attached, denied, tagged])).steps).toEqual([
      REACTIVATE,
      DETACH,
      DETACH_DENY,
      UNTAG,
    ]);
  });

  it("stays when it was attached before the responder acted, and refuses to guess a missing ARN", () => {
    const already = { ...denied, outcome: "already" as const, undo: undefined };
    expect(planRelease(incident([disabled, already])).kept).toEqual([
      { action: already, reason: "the policy was attached before the responder acted: it stays attached" },
    ]);
    expect(() => planRelease(incident([{ ...denied, undo: {} }]))).toThrow(UndoFactsError);
  });

  it("is kept and handed over, like the quarantine policy, while another key of the user is quarantined; the heir detaches it", async () => {
    const store = new FakeStore(incident([disabled, attached, denied, tagged]), [incidentB()]);
    const iam = new FakeIam({}, { alice: [TAG, TAG_B] });
    const outcome = await executeRelease(await prepareRelease(store, ID, ACCOUNT), BY, deps(store, iam));
    expect(iam.calls.filter((c) => c.startsWith("detachPolicy"))).toEqual([]);
    expect(outcome.records.map((r) => r.kind)).toEqual([
      "reactivate-key",
      "hand-over-quarantine-policy",
      "hand-over-quarantine-policy",
      "untag-principal",
    ]);
    expect(outcome.kept.map((k) => k.action.kind)).toEqual([
      "attach-quarantine-policy",
      "attach-session-deny-policy",
    ]);
    const takeOvers = store.appended.flat();
    expect(takeOvers.map((a) => a.undo)).toEqual([
      { policyArn: QUARANTINE },
      { policyArn: SESSION_DENY, policy: "session-deny" },
    ]);
    const b = { ...incidentB(), actions: [...incidentB().actions, ...takeOvers] };
    expect(planRelease(b).steps.filter((s) => s.kind.startsWith("detach"))).toEqual([
      DETACH,
      { ...DETACH_DENY },
    ]);
  });
});
