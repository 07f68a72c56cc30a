import { describe, expect, it } from "vitest";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../../lambdas/core/errors.js";
import type { Exposure } from "../../lambdas/core/exposure.js";
import type { ActionRecord, Incident, SignalState } from "../../lambdas/core/incident.js";
import { MemberAccountUnreachableError } from "../../lambdas/core/organization.js";
import type { FenceTarget } from "../../lambdas/core/plan.js";
import type {
  IamPort,
  IncidentStore,
  RenderedAlert,
  SignalWrite,
  UserKey,
} from "../../lambdas/core/ports.js";
import { planRelease } from "../../lambdas/core/release/plan.js";
import { earlyDisableTargetOf, UNKNOWN_PREVIOUS_STATUS } from "../../lambdas/core/respond/early-disable.js";
import { type RespondDeps, respondToExposure } from "../../lambdas/core/respond/respond.js";
import { type Severity, severityRank } from "../../lambdas/core/vocabulary.js";
import { GUARDDUTY_EXPOSURE, KEY } from "../support/exposures.js";

const exposure: Exposure = GUARDDUTY_EXPOSURE;

/** An IAM fake that records the order of calls and can fail one operation. */
class FakeIam implements IamPort {
  readonly calls: string[] = [];
  constructor(private readonly failures: Record<string, Error> = {}) {}
  private hit(op: string) {
    this.calls.push(op);
    const failure = this.failures[op];
    if (failure) throw failure;
  }
  async findKeyOwner() {
    this.hit("findKeyOwner");
    return "alice";
  }
  tags: Record<string, string> = {};
  /** What ListAccessKeys answers: a read that landed after a concurrent disable says Inactive. */
  keyStatus: "Active" | "Inactive" = "Active";
  async describeUser() {
    this.hit("describeUser");
    return { tags: this.tags, keyStatus: this.keyStatus };
  }
  async describeRole() {
    this.hit("describeRole");
    return { tags: {} };
  }
  userKeys: UserKey[] = [];
  async listUserKeys(userName: string) {
    this.hit(`listUserKeys:${userName}`);
    return this.userKeys;
  }
  async disableKey(_u: string, key: string) {
    this.hit(`disableKey:${key}`);
  }
  /** Policies answer `already` (attached by an earlier containment). */
  alreadyAttached = false;
  async attachPolicy(_t: FenceTarget, policyArn: string) {
    this.hit(`attachPolicy:${policyArn.split("/").pop()}`);
    return this.alreadyAttached ? ("already" as const) : ("attached" as const);
  }
  async principalTags() {
    this.hit("principalTags");
    return this.tags;
  }
  async tagPrincipal(_t: FenceTarget, tags: Readonly<Record<string, string>>) {
    this.hit("tagPrincipal");
    this.tags = { ...this.tags, ...tags };
  }
}

/**
 * An in-memory incident store with DynamoDB's semantics (conditional writes on the version, one
 * item per signal); `down` makes every call fail like an unreachable DynamoDB. For the specs'
 * convenience it also mirrors alerted and completed signals into the incident's id lists.
 */
class FakeStore implements IncidentStore {
  readonly incidents = new Map<string, Incident>();
  readonly signalStates = new Map<string, SignalState>();
  readonly fences = new Map<string, Set<string>>();
  down = false;
  private check() {
    if (this.down) throw new TransientAwsError("dynamodb:UpdateItem", { cause: new Error("503") });
  }
  private state(id: string, signalId: string): SignalState {
    return this.signalStates.get(`${id}#${signalId}`) ?? { signalId };
  }
  private setState(id: string, signalId: string, change: Partial<SignalState>) {
    this.signalStates.set(`${id}#${signalId}`, { ...this.state(id, signalId), ...change });
  }
  async get(id: string) {
    this.check();
    return this.incidents.get(id);
  }
  async getSignal(id: string, signalId: string) {
    this.check();
    return this.signalStates.get(`${id}#${signalId}`);
  }
  async claimSignal(id: string, signalId: string, owner: string, now: string, until: string) {
    this.check();
    const state = this.state(id, signalId);
    if (state.completedAt !== undefined) return { kind: "completed" as const };
    const free =
      state.claimOwner === undefined || state.claimOwner === owner || (state.claimExpiresAt ?? "") < now;
    if (!free) return { kind: "in-progress" as const };
    this.setState(id, signalId, { claimOwner: owner, claimExpiresAt: until });
    return { kind: "claimed" as const, recorded: state.signal !== undefined };
  }
  async releaseSignalClaim(id: string, signalId: string, owner: string) {
    if (this.state(id, signalId).claimOwner === owner)
      this.setState(id, signalId, { claimOwner: undefined, claimExpiresAt: undefined });
  }
  async recordSignal(w: SignalWrite) {
    this.check();
    const existing = this.incidents.get(w.incidentId);
    if (w.basis !== undefined) {
      const holds = !w.basis.exists
        ? !existing
        : w.basis.stillContained
          ? existing?.status === "contained"
          : existing !== undefined && existing.version === w.basis.version;
      if (!holds) return "conflict" as const;
    }
    const base: Incident = existing ?? {
      incidentId: w.incidentId,
      accountId: w.accountId,
      accessKeyId: w.accessKeyId,
      status: w.status,
      severity: w.severity,
      principal: w.principal,
      createdAt: w.now,
      updatedAt: w.now,
      mode: w.mode,
      sample: w.sample,
      signalIds: [],
      alertedSignalIds: [],
      signals: [],
      actions: [],
    };
    const isNew = !base.signalIds.includes(w.signal.signalId);
    this.incidents.set(w.incidentId, {
      ...base,
      status: existing && w.statusIfNew ? existing.status : w.status,
      signalIds: isNew ? [...base.signalIds, w.signal.signalId] : base.signalIds,
      signals: w.keepSignalOnIncident ? [...base.signals, w.signal] : base.signals,
      actions: [...base.actions, ...w.actions],
      ...(w.basis ? { version: (existing?.version ?? 0) + 1 } : {}),
      signalCount: (base.signalCount ?? 0) + (w.signalAlreadyRecorded ? 0 : 1),
    });
    this.setState(w.incidentId, w.signal.signalId, {
      signal: w.signal,
      ...(w.opens ? { opened: true } : {}),
    });
    return "recorded" as const;
  }
  async raiseSeverity(id: string, severity: Severity) {
    this.check();
    const i = this.incidents.get(id);
    if (i && severityRank(severity) > severityRank(i.severity)) this.incidents.set(id, { ...i, severity });
  }
  async appendActions(
    id: string,
    actions: readonly ActionRecord[],
    now: string,
    completed?: { signalId: string; actions: readonly ActionRecord[] },
  ) {
    this.check();
    const i = this.incidents.get(id);
    if (i) {
      const done = [...(i.completedSignalIds ?? []), ...(completed ? [completed.signalId] : [])];
      this.incidents.set(id, { ...i, actions: [...i.actions, ...actions], completedSignalIds: done });
    }
    if (completed)
      this.setState(id, completed.signalId, { completedAt: now, actions: [...completed.actions] });
  }
  async appendToContainment(id: string, actions: readonly ActionRecord[]) {
    this.check();
    const i = this.incidents.get(id);
    if (i?.status !== "contained") return "conflict" as const;
    this.incidents.set(id, { ...i, actions: [...i.actions, ...actions] });
    return "recorded" as const;
  }
  async claimEmit(id: string, signalId: string, now: string) {
    this.check();
    if (this.state(id, signalId).emittedAt !== undefined) return false;
    this.setState(id, signalId, { emittedAt: now });
    return true;
  }
  async releaseEmitClaim(id: string, signalId: string) {
    this.setState(id, signalId, { emittedAt: undefined });
  }
  async claimAlert(id: string, signalId: string) {
    this.check();
    const i = this.incidents.get(id);
    if (!i || i.alertedSignalIds.includes(signalId)) return false;
    this.incidents.set(id, { ...i, alertedSignalIds: [...i.alertedSignalIds, signalId] });
    this.setState(id, signalId, { alertedAt: "now" });
    return true;
  }
  async releaseAlertClaim(id: string, signalId: string) {
    const i = this.incidents.get(id);
    if (i)
      this.incidents.set(id, { ...i, alertedSignalIds: i.alertedSignalIds.filter((s) => s !== signalId) });
    this.setState(id, signalId, { alertedAt: undefined });
  }
  async holdFence(accountId: string, target: FenceTarget, incidentId: string) {
    this.check();
    const key = `${accountId}#${target.type}#${target.name}`;
    this.fences.set(key, new Set([...(this.fences.get(key) ?? []), incidentId]));
  }
}

function deps(
  iam: FakeIam,
  store: FakeStore,
  alerts: RenderedAlert[],
  options: {
    snsDown?: boolean;
    unrecorded?: Set<string>;
    honorExemptTag?: boolean;
    revoked?: string[];
    quarantinePolicyArn?: string;
  } = {},
): RespondDeps {
  let t = Date.parse("2026-11-28T12:00:00Z");
  return {
    iamFor: async () => iam,
    roleRevokerFor: () => ({
      revoke: async (r) => {
        options.revoked?.push(`${r.roleName} ${r.accessKeyId} ${r.issuedBefore}`);
        return { policyName: `leaked-key-responder-revoke-${r.accessKeyId}` };
      },
    }),
    incidents: store,
    alerts: {
      publish: async (a) => {
        if (options.snsDown) throw new TransientAwsError("sns:Publish", { cause: new Error("500") });
        alerts.push(a);
      },
    },
    events: { emitContained: async () => undefined },
    unrecordedAlerts: options.unrecorded ?? new Set<string>(),
    now: () => {
      t += 1;
      return new Date(t);
    },
    settings: {
      mode: "enforce",
      quarantinePolicyArn: options.quarantinePolicyArn ?? "arn:aws:iam::aws:policy/Q",
      sessionDenyPolicyArn: "arn:aws:iam::123456789012:policy/SessionDeny",
      exemptPrincipals: [],
      honorExemptTag: options.honorExemptTag ?? false,
      stackName: "S",
    },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    newAttemptId: () => `attempt-${++attempts}`,
    sleep: async () => undefined,
    afterSent: async () => undefined,
  };
}

let attempts = 0;

describe("respondToExposure", () => {
  it("disables a key whose user the signal names before any other write, beside (not after) the principal lookup", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    const outcome = await respondToExposure(exposure, deps(iam, store, alerts));
    expect(iam.calls).toEqual([
      "describeUser",
      `disableKey:${KEY}`,
      "attachPolicy:Q",
      "attachPolicy:SessionDeny",
      "tagPrincipal",
    ]);
    expect(outcome).toMatchObject({ decision: "contain", alerted: true });
    expect(alerts).toHaveLength(1);
  });

  it("when a release gets in between the record and the fence: plans again and contains the key again, never leaving a released incident fenced", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    let released = false;
    const append = store.appendToContainment.bind(store);
    store.appendToContainment = async (id: string, actions: readonly ActionRecord[]) => {
      const incident = store.incidents.get(id);
      if (!released && incident) {
        // The operator's release: contained → releasing → released, the key Active again.
        released = true;
        store.incidents.set(id, { ...incident, status: "released", version: (incident.version ?? 0) + 2 });
      }
      return append(id, actions);
    };
    const outcome = await respondToExposure(exposure, deps(iam, store, []));
    expect(iam.calls.filter((c) => c.startsWith("disableKey"))).toEqual([
      `disableKey:${KEY}`,
      `disableKey:${KEY}`,
    ]);
    expect(outcome.decision).toBe("contain");
    expect(store.incidents.get(`123456789012-${KEY}`)?.status).toBe("contained");
  });

  it("when DynamoDB is down: still contains and alerts, then fails so EventBridge retries; the retry in the same container records without a second alert", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    const container = new Set<string>();
    store.down = true;
    await expect(
      respondToExposure(exposure, deps(iam, store, alerts, { unrecorded: container })),
    ).rejects.toMatchObject({
      name: "IncompleteResponseError",
      failedSteps: ["record-incident"],
    });
    expect(iam.calls).toContain(`disableKey:${KEY}`);
    expect(alerts).toHaveLength(1);
    store.down = false;
    await respondToExposure(exposure, deps(iam, store, alerts, { unrecorded: container }));
    const incident = store.incidents.get(`123456789012-${KEY}`);
    expect(incident?.status).toBe("contained");
    expect(incident?.alertedSignalIds).toEqual(["guardduty:f1"]);
    expect(alerts).toHaveLength(1);
    expect([...container]).toEqual([]);
  });

  it("when DynamoDB was down and the retry lands in another container, the receipt on the quarantine tag stops a second alert", async () => {
    const iam = new FakeIam(); // IAM outlives containers; the in-memory set does not
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    store.down = true;
    await expect(respondToExposure(exposure, deps(iam, store, alerts))).rejects.toThrow();
    expect(iam.tags[`leaked-key-responder:quarantine:${KEY}`]).toMatch(/ alerted:[0-9a-f]{8}$/);
    store.down = false;
    await respondToExposure(exposure, deps(iam, store, alerts));
    expect(alerts).toHaveLength(1);
    expect(store.incidents.get(`123456789012-${KEY}`)?.alertedSignalIds).toEqual(["guardduty:f1"]);
  });

  it("a notification sent while DynamoDB was down, retried in another container, alerts once more (it may change nothing in IAM)", async () => {
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    const notify = { ...exposure, intent: "notify" as const };
    store.down = true;
    await expect(respondToExposure(notify, deps(new FakeIam(), store, alerts))).rejects.toThrow();
    store.down = false;
    await respondToExposure(notify, deps(new FakeIam(), store, alerts));
    expect(alerts).toHaveLength(2);
  });

  it("when SNS is down: contains and records, fails for a retry, and the retry sends exactly one alert", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await expect(
      respondToExposure(exposure, deps(iam, store, alerts, { snsDown: true })),
    ).rejects.toMatchObject({
      failedSteps: ["notify"],
    });
    expect(store.incidents.get(`123456789012-${KEY}`)?.alertedSignalIds).toEqual([]);
    await respondToExposure(exposure, deps(iam, store, alerts));
    await respondToExposure(exposure, deps(iam, store, alerts));
    expect(alerts).toHaveLength(1);
  });

  it("announces a containment once: the retry of a signal whose alert failed emits no second Incident Contained, a later signal none at all", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    const emitted: string[] = [];
    const withEvents = (d: RespondDeps): RespondDeps => ({
      ...d,
      events: { emitContained: async (e) => void emitted.push(e.incidentId) },
    });
    await expect(
      respondToExposure(exposure, withEvents(deps(iam, store, [], { snsDown: true }))),
    ).rejects.toMatchObject({ failedSteps: ["notify"] });
    await respondToExposure(exposure, withEvents(deps(iam, store, [])));
    await respondToExposure({ ...exposure, signalId: "guardduty:f2" }, withEvents(deps(iam, store, [])));
    expect(emitted).toEqual([`123456789012-${KEY}`]);
  });

  it("records a key deleted between signal and action as not-found, and does not ask for a retry", async () => {
    const iam = new FakeIam({
      [`disableKey:${KEY}`]: new NoSuchEntityError("iam:UpdateAccessKey", { cause: new Error("404") }),
    });
    const store = new FakeStore();
    const outcome = await respondToExposure(exposure, deps(iam, store, []));
    expect(outcome.actions[0]).toMatchObject({ kind: "disable-key", outcome: "not-found" });
  });

  it("asks for a retry when throttling outlasts the SDK's own retries, after fencing and alerting", async () => {
    const iam = new FakeIam({
      [`disableKey:${KEY}`]: new TransientAwsError("iam:UpdateAccessKey", { cause: new Error("Throttling") }),
    });
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await expect(respondToExposure(exposure, deps(iam, store, alerts))).rejects.toMatchObject({
      failedSteps: ["disable-key", "containment"],
    });
    // The disable sent beside the lookup is the disable step's: its failure is the step's.
    expect(iam.calls).toEqual([
      "describeUser",
      `disableKey:${KEY}`,
      "attachPolicy:Q",
      "attachPolicy:SessionDeny",
      "tagPrincipal",
    ]);
    expect(alerts[0]?.text).toContain("disable-key AKIAIOSFODNN7EXAMPLE (user alice): FAILED");
  });

  it("does a signal again after a failure past the SDK's retries, without a second alert, then treats it as done", async () => {
    const throttled = new FakeIam({
      [`disableKey:${KEY}`]: new TransientAwsError("iam:UpdateAccessKey", { cause: new Error("Throttling") }),
    });
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await expect(respondToExposure(exposure, deps(throttled, store, alerts))).rejects.toMatchObject({
      failedSteps: ["disable-key", "containment"],
    });
    const healthy = new FakeIam();
    const retry = await respondToExposure(exposure, deps(healthy, store, alerts));
    expect(retry.decision).toBe("contain");
    expect(healthy.calls).toContain(`disableKey:${KEY}`);
    expect(alerts).toHaveLength(1);
    expect(store.incidents.get(`123456789012-${KEY}`)?.completedSignalIds).toEqual(["guardduty:f1"]);
    const again = await respondToExposure(exposure, deps(new FakeIam(), store, alerts));
    expect(again.decision).toBe("duplicate");
  });

  it("lets a transient failure of the principal lookup fail the invocation once the key sent beside it is disabled (the retry repeats it)", async () => {
    const iam = new FakeIam({
      describeUser: new TransientAwsError("iam:ListUserTags", { cause: new Error("503") }),
    });
    await expect(respondToExposure(exposure, deps(iam, new FakeStore(), []))).rejects.toBeInstanceOf(
      TransientAwsError,
    );
    expect(iam.calls).toEqual(["describeUser", `disableKey:${KEY}`]);
  });

  it("lets a transient failure of the principal lookup fail the invocation before anything changed, when the signal does not name the user", async () => {
    const iam = new FakeIam({
      describeUser: new TransientAwsError("iam:ListUserTags", { cause: new Error("503") }),
    });
    const unnamed: Exposure = { ...exposure, principal: { type: "user", name: undefined } };
    await expect(respondToExposure(unnamed, deps(iam, new FakeStore(), []))).rejects.toBeInstanceOf(
      TransientAwsError,
    );
    expect(iam.calls).toEqual(["findKeyOwner", "describeUser"]);
  });

  it("keeps the worst severity of an incident's signals", async () => {
    const store = new FakeStore();
    await respondToExposure({ ...exposure, severity: "critical" }, deps(new FakeIam(), store, []));
    await respondToExposure(
      { ...exposure, signalId: "guardduty:f2", severity: "low", intent: "notify" },
      deps(new FakeIam(), store, []),
    );
    expect(store.incidents.get(`123456789012-${KEY}`)?.severity).toBe("critical");
  });

  it("contains a user's ASIA session key by denying its sessions first, without a key-status lookup that cannot see it", async () => {
    const iam = new FakeIam();
    const outcome = await respondToExposure(
      { ...exposure, accessKeyId: "ASIAIOSFODNN7EXAMPLE" },
      deps(iam, new FakeStore(), []),
    );
    expect(outcome.decision).toBe("contain");
    expect(iam.calls).toEqual(["describeUser", "attachPolicy:SessionDeny", "attachPolicy:Q", "tagPrincipal"]);
  });

  it("reports a key it could not disable as FAILED, not contained, and fails the invocation for a retry and the alarm", async () => {
    const denied = new AwsCallError("iam:UpdateAccessKey", "AccessDenied", { cause: new Error("SCP") });
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await expect(
      respondToExposure(exposure, deps(new FakeIam({ [`disableKey:${KEY}`]: denied }), store, alerts)),
    ).rejects.toMatchObject({ name: "IncompleteResponseError", failedSteps: ["containment"] });
    const incident = store.incidents.get(`123456789012-${KEY}`);
    expect(incident?.status).toBe("notified");
    expect(incident?.completedSignalIds ?? []).toEqual([]);
    expect(alerts[0]?.subject).toBe(
      "[HIGH] FAILED to contain key AKIA...MPLE - act now - user alice, account 123456789012",
    );
    const healthy = await respondToExposure(exposure, deps(new FakeIam(), store, alerts));
    expect(healthy.decision).toBe("contain");
    expect(store.incidents.get(`123456789012-${KEY}`)?.status).toBe("contained");
  });

  it("never lets a later notification overwrite a contained incident's status", async () => {
    const store = new FakeStore();
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    await respondToExposure(
      { ...exposure, signalId: "guardduty:f9", intent: "notify" },
      deps(new FakeIam(), store, []),
    );
    expect(store.incidents.get(`123456789012-${KEY}`)?.status).toBe("contained");
  });

  it("records and alerts, changing nothing, when it cannot reach the key's account", async () => {
    const alerts: RenderedAlert[] = [];
    const noRole = new AwsCallError("sts:AssumeRole", "MemberRoleNotConfigured", {
      cause: new Error("unset"),
    });
    const d = { ...deps(new FakeIam(), new FakeStore(), alerts), iamFor: async () => Promise.reject(noRole) };
    const outcome = await respondToExposure({ ...exposure, accountId: "210987654321" }, d);
    expect(outcome.decision).toBe("notify");
    expect(alerts[0]?.text).toContain(
      "principal lookup failed (AwsCallError: sts:AssumeRole failed: MemberRoleNotConfigured)",
    );
  });

  it("changes nothing and alerts nobody for a drill naming an account it cannot reach (outside the Organization): no canary tag can be read there", async () => {
    const alerts: RenderedAlert[] = [];
    const unreachable = new MemberAccountUnreachableError("444455556666", "LkrMember", {
      cause: new AwsCallError("sts:AssumeRole", "AccessDenied", { cause: new Error("denied") }),
    });
    const store = new FakeStore();
    const d = { ...deps(new FakeIam(), store, alerts), iamFor: async () => Promise.reject(unreachable) };
    const outcome = await respondToExposure({ ...exposure, source: "drill", accountId: "444455556666" }, d);
    expect(outcome.decision).toBe("ignore");
    expect(outcome.actions).toEqual([]);
    expect(alerts).toEqual([]);
    expect(store.incidents.size).toBe(0);
  });

  it("names the user the signal gave in an alert that only notifies", async () => {
    const alerts: RenderedAlert[] = [];
    await respondToExposure({ ...exposure, intent: "notify" }, deps(new FakeIam(), new FakeStore(), alerts));
    expect(alerts[0]?.text).toContain("  Principal:   user alice");
  });

  it.each([
    ["a GuardDuty sample naming an IAM user", { ...exposure, sample: true }],
    ["a root key", { ...exposure, principal: { type: "root" as const } }],
    [
      "a principal of another type",
      { ...exposure, principal: { type: "other" as const, description: "AWSService" } },
    ],
  ])("makes no IAM call at all for %s, even with a contain intent", async (_name, e) => {
    const iam = new FakeIam();
    const alerts: RenderedAlert[] = [];
    const outcome = await respondToExposure(e, deps(iam, new FakeStore(), alerts));
    expect(outcome.decision).toBe("notify");
    expect(iam.calls).toEqual([]);
    expect(alerts).toHaveLength(1);
  });

  it("recognises the exempt tag whatever the case of its key, as IAM does, where the deployer honours it", async () => {
    const iam = new FakeIam();
    iam.tags = { "Leaked-Key-Responder:Exempt": "true" };
    const outcome = await respondToExposure(
      exposure,
      deps(iam, new FakeStore(), [], { honorExemptTag: true }),
    );
    expect(outcome.decision).toBe("notify");
    expect(iam.calls).toEqual(["describeUser"]);
  });

  it("contains a key whose user tagged itself exempt when the tag is not honoured (the default)", async () => {
    const iam = new FakeIam();
    iam.tags = { "leaked-key-responder:exempt": "true" };
    const outcome = await respondToExposure(exposure, deps(iam, new FakeStore(), []));
    expect(outcome.decision).toBe("contain");
    expect(iam.calls).toContain(`disableKey:${KEY}`);
  });

  it("ends a role's sessions through the revoker only, with the key and the time of containment", async () => {
    const iam = new FakeIam();
    const revoked: string[] = [];
    const store = new FakeStore();
    const roleExposure: Exposure = {
      ...exposure,
      accessKeyId: "ASIAIOSFODNN7EXAMPLE",
      principal: { type: "role", name: "web" },
    };
    const outcome = await respondToExposure(roleExposure, deps(iam, store, [], { revoked }));
    expect(outcome.decision).toBe("contain");
    expect(iam.calls).toEqual(["describeRole", "tagPrincipal"]);
    expect(revoked).toEqual([
      expect.stringMatching(/^web ASIAIOSFODNN7EXAMPLE 2026-11-28T12:00:00\.\d{3}Z$/),
    ]);
    const action = store.incidents.get("123456789012-ASIAIOSFODNN7EXAMPLE")?.actions[0];
    expect(action).toMatchObject({
      kind: "revoke-sessions",
      outcome: "done",
      subject: { type: "role", name: "web" },
      undo: { policyName: "leaked-key-responder-revoke-ASIAIOSFODNN7EXAMPLE" },
    });
  });

  it("makes no IAM call at all for a signal that only notifies", async () => {
    const iam = new FakeIam();
    await respondToExposure({ ...exposure, intent: "notify" }, deps(iam, new FakeStore(), []));
    expect(iam.calls).toEqual([]);
  });

  describe("the newest quarantine policy, V4, and V3 where V4 does not exist", () => {
    const V4 = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
    const V3 = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
    const quarantineAction = (store: FakeStore) =>
      store.incidents.get(`123456789012-${KEY}`)?.actions.find((a) => a.kind === "attach-quarantine-policy");

    it("attaches V4 where it exists, and records V4 as the policy a release detaches", async () => {
      const iam = new FakeIam();
      const store = new FakeStore();
      await respondToExposure(exposure, deps(iam, store, [], { quarantinePolicyArn: V4 }));
      expect(iam.calls.filter((c) => c.startsWith("attachPolicy:"))).toEqual([
        "attachPolicy:AWSCompromisedKeyQuarantineV4",
        "attachPolicy:SessionDeny",
      ]);
      expect(quarantineAction(store)).toMatchObject({ outcome: "done", undo: { policyArn: V4 } });
      expect(quarantineAction(store)?.detail).toBeUndefined();
    });

    it("when attaching V4 answers NoSuchEntity (a partition without it): attaches V3 and records that V3 is the one attached", async () => {
      const missing = new NoSuchEntityError("iam:AttachUserPolicy", { cause: new Error("NoSuchEntity") });
      const iam = new FakeIam({ "attachPolicy:AWSCompromisedKeyQuarantineV4": missing });
      const store = new FakeStore();
      const outcome = await respondToExposure(exposure, deps(iam, store, [], { quarantinePolicyArn: V4 }));
      expect(outcome.decision).toBe("contain");
      expect(iam.calls.filter((c) => c.startsWith("attachPolicy:"))).toEqual([
        "attachPolicy:AWSCompromisedKeyQuarantineV4",
        "attachPolicy:AWSCompromisedKeyQuarantineV3",
        "attachPolicy:SessionDeny",
      ]);
      expect(quarantineAction(store)).toMatchObject({
        outcome: "done",
        undo: { policyArn: V3 },
        detail: `${V4} does not exist here (NoSuchEntity): ${V3} attached`,
      });
    });

    it("records a user that is gone as not-found when V3 answers NoSuchEntity too", async () => {
      const gone = () => new NoSuchEntityError("iam:AttachUserPolicy", { cause: new Error("NoSuchEntity") });
      const iam = new FakeIam({
        "attachPolicy:AWSCompromisedKeyQuarantineV4": gone(),
        "attachPolicy:AWSCompromisedKeyQuarantineV3": gone(),
      });
      const store = new FakeStore();
      await respondToExposure(exposure, deps(iam, store, [], { quarantinePolicyArn: V4 }));
      expect(quarantineAction(store)).toMatchObject({ outcome: "not-found" });
      expect(quarantineAction(store)?.undo).toBeUndefined();
    });

    it("never falls back from a policy other than V4: V3 missing is not-found, nothing else is tried", async () => {
      const missing = new NoSuchEntityError("iam:AttachUserPolicy", { cause: new Error("NoSuchEntity") });
      const iam = new FakeIam({ "attachPolicy:AWSCompromisedKeyQuarantineV3": missing });
      const store = new FakeStore();
      await respondToExposure(exposure, deps(iam, store, [], { quarantinePolicyArn: V3 }));
      expect(iam.calls.filter((c) => c.startsWith("attachPolicy:"))).toEqual([
        "attachPolicy:AWSCompromisedKeyQuarantineV3",
        "attachPolicy:SessionDeny",
      ]);
      expect(quarantineAction(store)).toMatchObject({ outcome: "not-found" });
    });
  });
});

describe("one round trip to Inactive: the disable sent beside the reads", () => {
  const incidentId = `123456789012-${KEY}`;

  it("sends the disable in the same tick as the reads, before any of them answered (the status read first)", async () => {
    const iam = new FakeIam();
    let disabledBeforeAnswer: boolean | undefined;
    const describe = iam.describeUser.bind(iam);
    iam.describeUser = async () => {
      const answer = await describe();
      await new Promise((resolve) => setTimeout(resolve, 5));
      disabledBeforeAnswer = iam.calls.includes(`disableKey:${KEY}`);
      return answer;
    };
    await respondToExposure(exposure, deps(iam, new FakeStore(), []));
    expect(disabledBeforeAnswer).toBe(true);
  });
  const disableOf = (store: FakeStore) =>
    store.incidents.get(incidentId)?.actions.filter((a) => a.kind === "disable-key");

  /** Logs each request as it is started: the status read and the tags read of describeUser apart. */
  class OrderedIam extends FakeIam {
    constructor(private readonly log: string[]) {
      super();
    }
    override async describeUser(_user?: string, _key?: string, tagsAfter?: Promise<void>) {
      this.log.push("ListAccessKeys");
      await tagsAfter;
      this.log.push("ListUserTags");
      return super.describeUser();
    }
    override async disableKey(user: string, key: string) {
      this.log.push("UpdateAccessKey");
      await super.disableKey(user, key);
    }
  }
  class OrderedStore extends FakeStore {
    constructor(private readonly log: string[]) {
      super();
    }
    override async get(id: string) {
      this.log.push("GetItem incident");
      return super.get(id);
    }
    override async getSignal(id: string, signalId: string) {
      this.log.push("GetItem signal");
      return super.getSignal(id, signalId);
    }
  }
  const SENT = "(status read and disable handed to their connections)";
  const orderedDeps = (log: string[], options: { honorExemptTag?: boolean } = {}): RespondDeps => ({
    ...deps(new OrderedIam(log), new OrderedStore(log), [], options),
    afterSent: () =>
      new Promise((resolve) =>
        setImmediate(() => {
          log.push(SENT);
          resolve();
        }),
      ),
  });

  it("sends the key's status read and the disable first, and starts the other reads once those two have left", async () => {
    const log: string[] = [];
    const outcome = await respondToExposure(exposure, orderedDeps(log));
    expect(outcome.decision).toBe("contain");
    expect(log.slice(0, 3)).toEqual(["ListAccessKeys", "UpdateAccessKey", SENT]);
    expect(log.slice(3, 6).sort()).toEqual(["GetItem incident", "GetItem signal", "ListUserTags"]);
    // Still one round trip: the disable step sends no second UpdateAccessKey.
    expect(log.filter((l) => l === "UpdateAccessKey")).toHaveLength(1);
  });

  it("starts every read at once, nothing waiting, when no disable goes out before the reads (the exempt tag honoured)", async () => {
    const log: string[] = [];
    await respondToExposure(exposure, orderedDeps(log, { honorExemptTag: true }));
    expect(log).not.toContain(SENT);
    expect(log.slice(0, 4).sort()).toEqual([
      "GetItem incident",
      "GetItem signal",
      "ListAccessKeys",
      "ListUserTags",
    ]);
    expect(log.indexOf("UpdateAccessKey")).toBeGreaterThan(3);
  });

  it("records the key as Active before when the read beside the disable still saw it Active: a release reactivates it", async () => {
    const store = new FakeStore();
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    expect(disableOf(store)).toEqual([
      expect.objectContaining({ outcome: "done", undo: { previousStatus: "Active" } }),
    ]);
    expect(planRelease(store.incidents.get(incidentId) as Incident).steps[0]).toEqual({
      kind: "reactivate-key",
      accessKeyId: KEY,
      userName: "alice",
    });
  });

  it("records the status before as unknown when the read saw Inactive and no incident held the key: a release leaves it Inactive", async () => {
    const iam = new FakeIam();
    iam.keyStatus = "Inactive";
    const store = new FakeStore();
    const outcome = await respondToExposure(exposure, deps(iam, store, []));
    expect(outcome.decision).toBe("contain");
    expect(disableOf(store)).toEqual([
      expect.objectContaining({
        outcome: "done",
        detail: UNKNOWN_PREVIOUS_STATUS,
        undo: { previousStatus: "unknown" },
      }),
    ]);
    const plan = planRelease(store.incidents.get(incidentId) as Incident);
    expect(plan.steps.map((s) => s.kind)).not.toContain("reactivate-key");
    expect(plan.kept.map((k) => k.reason)).toContain(
      "its status before the responder acted is unknown (read while it was being disabled): it stays Inactive; reactivate it by hand if it was Active",
    );
  });

  it("reads an Inactive key of a contained incident as its own containment: the first disable's undo still reactivates it", async () => {
    const store = new FakeStore();
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    const later = new FakeIam();
    later.keyStatus = "Inactive";
    await respondToExposure({ ...exposure, signalId: "guardduty:f2" }, deps(later, store, []));
    expect(later.calls.slice(0, 2)).toEqual(["describeUser", `disableKey:${KEY}`]);
    expect(planRelease(store.incidents.get(incidentId) as Incident).steps[0]?.kind).toBe("reactivate-key");
  });

  it("records a disable the plan did not ask for (the lookup failed): the key stays Inactive and the record says so", async () => {
    const iam = new FakeIam({
      describeUser: new AwsCallError("iam:ListUserTags", "AccessDenied", { cause: new Error("403") }),
    });
    const store = new FakeStore();
    const outcome = await respondToExposure(exposure, deps(iam, store, []));
    expect(outcome.decision).toBe("notify");
    expect(iam.calls).toEqual(["describeUser", `disableKey:${KEY}`]);
    expect(disableOf(store)).toEqual([
      expect.objectContaining({
        outcome: "done",
        detail: expect.stringMatching(
          /^disabled beside the reads, before the plan said principal lookup failed/,
        ),
        undo: { previousStatus: "unknown" },
      }),
    ]);
  });

  it("records on the incident a re-delivered signal's disable of a key released meanwhile (read Active): never unrecorded", async () => {
    const store = new FakeStore();
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    const contained = store.incidents.get(incidentId) as Incident;
    store.incidents.set(incidentId, { ...contained, status: "released" });
    const again = new FakeIam();
    const outcome = await respondToExposure(exposure, deps(again, store, []));
    expect(outcome.decision).toBe("duplicate");
    expect(again.calls).toEqual(["describeUser", `disableKey:${KEY}`]);
    expect(disableOf(store)?.at(-1)).toMatchObject({
      outcome: "done",
      detail: expect.stringContaining("the signal was handled already"),
      undo: { previousStatus: "Active" },
    });
  });

  it("adds nothing for a re-delivered signal of a contained key (read Inactive: its own containment)", async () => {
    const store = new FakeStore();
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    const before = store.incidents.get(incidentId)?.actions.length;
    const again = new FakeIam();
    again.keyStatus = "Inactive";
    expect((await respondToExposure(exposure, deps(again, store, []))).decision).toBe("duplicate");
    expect(store.incidents.get(incidentId)?.actions.length).toBe(before);
  });

  it.each([
    [
      "an exempt-listed user (any case)",
      { ...exposure, principal: { type: "user", name: "ALICE" } },
      { exempt: ["alice"] },
    ],
    [
      "a signal that does not name the user",
      { ...exposure, principal: { type: "user", name: undefined } },
      {},
    ],
    ["a sample finding", { ...exposure, sample: true }, {}],
    ["a signal whose policy is to notify", { ...exposure, intent: "notify" }, {}],
    ["a drill", { ...exposure, source: "drill" }, {}],
    ["a session key", { ...exposure, accessKeyId: "ASIAIOSFODNN7EXAMPLE" }, {}],
    ["exemption by tag honoured", exposure, { honorExemptTag: true }],
    ["notify-only mode", exposure, { mode: "notify-only" }],
  ] as const)("sends nothing before the reads for %s", (_name, e, options) => {
    const settings = {
      mode: "mode" in options ? options.mode : ("enforce" as const),
      exemptPrincipals: "exempt" in options ? options.exempt : [],
      honorExemptTag: "honorExemptTag" in options ? options.honorExemptTag : false,
    };
    expect(earlyDisableTargetOf(e as Exposure, settings)).toBeUndefined();
    expect(
      earlyDisableTargetOf(exposure, {
        ...settings,
        mode: "enforce",
        exemptPrincipals: [],
        honorExemptTag: false,
      }),
    ).toEqual({
      userName: "alice",
      accessKeyId: KEY,
    });
  });
});

describe("one incident, one story: a later signal about a contained key", () => {
  const critical: Exposure = {
    ...exposure,
    source: "health",
    signal: "AWS_RISK_CREDENTIALS_EXPOSED",
    signalId: "health:e1",
    severity: "critical",
  };
  const medium: Exposure = { ...exposure, signalId: "guardduty:f9", severity: "medium" };
  /** A later containment's IAM: the key and its fence as the first containment left them. */
  const contained = () => {
    const iam = new FakeIam();
    iam.keyStatus = "Inactive";
    iam.alreadyAttached = true;
    return iam;
  };

  it("goes to the incident's thread as an update at the incident's severity, never lower, saying nothing new was done", async () => {
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await respondToExposure(critical, deps(new FakeIam(), store, alerts));
    await respondToExposure(medium, deps(contained(), store, alerts));
    expect(alerts.map((a) => a.subject)).toEqual([
      expect.stringMatching(/^\[CRITICAL\] Exposed key AKIA\.\.\.MPLE disabled/),
      "[CRITICAL] AKIA...MPLE: new signal: GuardDuty MaliciousIPCaller.Custom; nothing new done",
    ]);
    expect(alerts[1]?.text).toContain("Nothing new: the key was already contained");
    expect(alerts[1]?.text).toContain("Severity:    CRITICAL (this signal: MEDIUM)");
    expect(JSON.parse(alerts[1]?.chat ?? "{}").metadata.threadId).toBe(`123456789012-${KEY}`);
    expect(JSON.parse(alerts[1]?.machine ?? "{}")).toMatchObject({
      type: "leaked-key-responder.incident-update",
      severity: "critical",
      signalSeverity: "medium",
      nothingNewDone: true,
    });
  });

  it("gets the full alert, at the incident's severity, when it had to change something (a fence put back)", async () => {
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await respondToExposure(critical, deps(new FakeIam(), store, alerts));
    const detached = contained();
    detached.alreadyAttached = false;
    await respondToExposure(medium, deps(detached, store, alerts));
    expect(alerts[1]?.subject).toMatch(/^\[CRITICAL\] Abused key AKIA\.\.\.MPLE disabled/);
    expect(alerts[1]?.text).toContain("attach-quarantine-policy user alice: done");
  });

  it("is a full alert of its own severity when the incident was released (the key is no longer contained)", async () => {
    const store = new FakeStore();
    const alerts: RenderedAlert[] = [];
    await respondToExposure(critical, deps(new FakeIam(), store, alerts));
    const id = `123456789012-${KEY}`;
    store.incidents.set(id, { ...(store.incidents.get(id) as Incident), status: "released" });
    await respondToExposure(medium, deps(new FakeIam(), store, alerts));
    expect(alerts[1]?.subject).toMatch(/^\[CRITICAL\] Abused key AKIA\.\.\.MPLE disabled/);
  });
});

describe("signalCount: each signal counted once, whoever records it", () => {
  const id = `123456789012-${KEY}`;

  it("a duplicate that read before the first attempt recorded, then took over the claim it handed back, counts the signal once", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    // The duplicate's first reads happened before the first attempt recorded anything: no incident,
    // no signal. Its record then conflicts (the incident exists), and it reads the incident again.
    let reads = 0;
    const staleReads: IncidentStore = Object.assign(Object.create(store) as FakeStore, {
      get: async (incidentId: string) => (reads++ === 0 ? undefined : store.get(incidentId)),
      getSignal: async () => undefined,
    });
    await expect(respondToExposure(exposure, deps(iam, store, [], { snsDown: true }))).rejects.toMatchObject({
      failedSteps: ["notify"],
    });
    expect(store.signalStates.get(`${id}#guardduty:f1`)?.claimOwner).toBeUndefined(); // handed back
    await respondToExposure(exposure, { ...deps(iam, store, []), incidents: staleReads });
    expect(store.incidents.get(id)).toMatchObject({
      signalCount: 1,
      signals: [{ signalId: "guardduty:f1" }],
    });
  });

  it("a response planned again after a release got in between its record and its fence counts its signal once", async () => {
    const store = new FakeStore();
    let released = false;
    const append = store.appendToContainment.bind(store);
    store.appendToContainment = async (incidentId: string, actions: readonly ActionRecord[]) => {
      const incident = store.incidents.get(incidentId);
      if (!released && incident) {
        released = true;
        store.incidents.set(incidentId, {
          ...incident,
          status: "released",
          version: (incident.version ?? 0) + 2,
        });
      }
      return append(incidentId, actions);
    };
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    expect(store.incidents.get(id)).toMatchObject({
      signalCount: 1,
      signals: [{ signalId: "guardduty:f1" }],
    });
  });

  it("a signal's retry after its record counts it once; a second signal counts once more", async () => {
    const iam = new FakeIam();
    const store = new FakeStore();
    await expect(respondToExposure(exposure, deps(iam, store, [], { snsDown: true }))).rejects.toThrow();
    await respondToExposure(exposure, deps(iam, store, []));
    await respondToExposure({ ...exposure, signalId: "guardduty:f2" }, deps(iam, store, []));
    expect(store.incidents.get(id)?.signalCount).toBe(2);
  });
});

describe("a containment over a release in progress (the release may die after reactivating the key)", () => {
  const id = `123456789012-${KEY}`;
  /** A contained incident an operator's release has moved to releasing (and, with `until`, is reactivating). */
  async function releasing(store: FakeStore, until?: string) {
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    const incident = store.incidents.get(id) as Incident;
    store.incidents.set(id, {
      ...incident,
      status: "releasing",
      version: (incident.version ?? 0) + 2,
      ...(until ? { reactivatingUntil: until } : {}),
    });
  }

  it("waits until the release's reactivation window has passed, then disables the key again and records it with the first disable's undo", async () => {
    const store = new FakeStore();
    await releasing(store, "2026-11-28T12:00:10.000Z");
    const iam = new FakeIam();
    const slept: number[] = [];
    const run = { ...deps(iam, store, []), sleep: async (ms: number) => void slept.push(ms) };
    await respondToExposure({ ...exposure, signalId: "guardduty:f2" }, run);
    expect(iam.calls.filter((c) => c.startsWith("disableKey"))).toEqual([
      `disableKey:${KEY}`,
      `disableKey:${KEY}`,
    ]);
    // The window ends 10 s after the clock's start; the response is a few ms in, and waits a second more.
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(10_900);
    expect(slept[0]).toBeLessThanOrEqual(11_000);
    const incident = store.incidents.get(id);
    expect(incident?.status).toBe("contained");
    expect(incident?.actions.at(-1)).toMatchObject({
      kind: "disable-key",
      outcome: "done",
      signalId: "guardduty:f2",
      detail: "disabled again after a release in progress could no longer reactivate it",
      undo: { previousStatus: "Active" },
    });
  });

  it("disables the key again at once when the release recorded no window (its reactivation answered before the read, or never went out)", async () => {
    const store = new FakeStore();
    await releasing(store);
    const iam = new FakeIam();
    const slept: number[] = [];
    await respondToExposure(
      { ...exposure, signalId: "guardduty:f2" },
      { ...deps(iam, store, []), sleep: async (ms: number) => void slept.push(ms) },
    );
    expect(iam.calls.filter((c) => c.startsWith("disableKey"))).toHaveLength(2);
    expect(slept).toEqual([]);
  });

  it("disables once when no release is in progress: a contained incident, or a released one", async () => {
    const store = new FakeStore();
    await respondToExposure(exposure, deps(new FakeIam(), store, []));
    const contained = new FakeIam();
    await respondToExposure({ ...exposure, signalId: "guardduty:f2" }, deps(contained, store, []));
    store.incidents.set(id, { ...(store.incidents.get(id) as Incident), status: "released" });
    const released = new FakeIam();
    await respondToExposure({ ...exposure, signalId: "guardduty:f3" }, deps(released, store, []));
    expect(contained.calls.filter((c) => c.startsWith("disableKey"))).toHaveLength(1);
    expect(released.calls.filter((c) => c.startsWith("disableKey"))).toHaveLength(1);
  });
});
