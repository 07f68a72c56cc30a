import {
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DRILL_IAM_ACTIONS } from "../../../lambdas/adapters/iam-canary.js";
import {
  hasInlinePolicy,
  isPolicyAttached,
  onPrincipal,
  PRINCIPAL_OPERATIONS,
  tagKeysOf,
  toTagList,
} from "../../../lambdas/adapters/iam-principal.js";
import { RELEASE_IAM_ACTIONS } from "../../../lambdas/adapters/iam-release.js";
import { AwsCallError, NoSuchEntityError } from "../../../lambdas/core/errors.js";
import { IAM_PERMISSIONS } from "../../../lambdas/core/permissions.js";
import type { FenceTarget } from "../../../lambdas/core/plan.js";
import { callsOf } from "../../support/sdk-calls.js";

const iam = mockClient(IAMClient);
const client = new IAMClient({ region: "us-east-1" });
const ALICE: FenceTarget = { type: "user", name: "alice" };
const WEB: FenceTarget = { type: "role", name: "web" };
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";

function sent(): { name: string; input: unknown }[] {
  return callsOf(iam, new Set());
}

const gone = () => new NoSuchEntityException({ message: "not found", $metadata: { httpStatusCode: 404 } });
const denied = () =>
  Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });

beforeEach(() => iam.reset());

type Operation = keyof typeof PRINCIPAL_OPERATIONS;
const OPS = PRINCIPAL_OPERATIONS;

/** One operation of the table, with parameters it accepts, run as the adapters run it. */
function row<P extends object>(
  op: Operation,
  params: P,
  run: (t: FenceTarget, params: P) => Promise<unknown>,
) {
  return [op, params, (t: FenceTarget) => run(t, params)] as const;
}

const CALLS = [
  row("attachPolicy", { PolicyArn: "a" }, (t, p) => onPrincipal(client, t, OPS.attachPolicy, p)),
  row("detachPolicy", { PolicyArn: "a" }, (t, p) => onPrincipal(client, t, OPS.detachPolicy, p)),
  row("listAttachedPolicies", { Marker: "m" }, (t, p) => onPrincipal(client, t, OPS.listAttachedPolicies, p)),
  row("deleteInlinePolicy", { PolicyName: "p" }, (t, p) => onPrincipal(client, t, OPS.deleteInlinePolicy, p)),
  row("listInlinePolicies", {}, (t, p) => onPrincipal(client, t, OPS.listInlinePolicies, p)),
  row("tag", { Tags: [{ Key: "k", Value: "v" }] }, (t, p) => onPrincipal(client, t, OPS.tag, p)),
  row("untag", { TagKeys: ["k"] }, (t, p) => onPrincipal(client, t, OPS.untag, p)),
  row("listTags", {}, (t, p) => onPrincipal(client, t, OPS.listTags, p)),
];

describe("the principal operations table", () => {
  it("covers every operation once", () => {
    expect(CALLS.map(([op]) => op).sort()).toEqual(Object.keys(PRINCIPAL_OPERATIONS).sort());
  });

  it.each(CALLS)(
    "%s sends exactly the user command to a user, named by UserName",
    async (op, params, run) => {
      iam.onAnyCommand().resolves({});
      await run(ALICE);
      const action = PRINCIPAL_OPERATIONS[op].user.action;
      expect(action).toMatch(/User/);
      expect(sent()).toEqual([
        { name: action.replace(/^iam:/, ""), input: { UserName: "alice", ...params } },
      ]);
    },
  );

  it.each(CALLS)(
    "%s sends exactly the role command to a role, named by RoleName",
    async (op, params, run) => {
      iam.onAnyCommand().resolves({});
      await run(WEB);
      const action = PRINCIPAL_OPERATIONS[op].role.action;
      expect(action).toMatch(/Role/);
      expect(sent()).toEqual([{ name: action.replace(/^iam:/, ""), input: { RoleName: "web", ...params } }]);
    },
  );

  it.each(CALLS)("%s fails as a typed error named after the IAM action it sent", async (op, _params, run) => {
    iam.onAnyCommand().rejects(denied());
    await expect(run(WEB)).rejects.toThrow(AwsCallError);
    await expect(run(WEB)).rejects.toMatchObject({ operation: PRINCIPAL_OPERATIONS[op].role.action });
    iam.onAnyCommand().rejects(gone());
    await expect(run(ALICE)).rejects.toMatchObject({
      name: "NoSuchEntityError",
      operation: PRINCIPAL_OPERATIONS[op].user.action,
    });
  });

  it("names only actions that the responder, the release or the drill is granted", () => {
    const granted = new Set<string>([
      ...Object.values(IAM_PERMISSIONS).flatMap((g) => [...g.user, ...g.role]),
      ...RELEASE_IAM_ACTIONS.user,
      ...RELEASE_IAM_ACTIONS.role,
      ...DRILL_IAM_ACTIONS,
    ]);
    const actions = Object.values(PRINCIPAL_OPERATIONS).flatMap((o) => [o.user.action, o.role.action]);
    expect(actions).toHaveLength(16);
    expect(actions.filter((a) => /^iam:Put\w*Policy$/.test(a))).toEqual([]);
    expect(actions.filter((a) => !granted.has(a))).toEqual([]);
  });
});

describe("isPolicyAttached", () => {
  it("reads pages until one lists the policy, and no further", async () => {
    iam
      .on(ListAttachedUserPoliciesCommand, { Marker: undefined })
      .resolves({ AttachedPolicies: [{ PolicyArn: "arn:other" }], IsTruncated: true, Marker: "m1" })
      .on(ListAttachedUserPoliciesCommand, { Marker: "m1" })
      .resolves({ AttachedPolicies: [{ PolicyArn: QUARANTINE }], IsTruncated: true, Marker: "m2" });
    expect(await isPolicyAttached(client, ALICE, QUARANTINE)).toBe(true);
    expect(sent()).toEqual([
      { name: "ListAttachedUserPolicies", input: { UserName: "alice", Marker: undefined } },
      { name: "ListAttachedUserPolicies", input: { UserName: "alice", Marker: "m1" } },
    ]);
  });

  it("says no after the last page of a role's policies lacks it", async () => {
    iam
      .on(ListAttachedRolePoliciesCommand, { Marker: undefined })
      .resolves({ AttachedPolicies: [], IsTruncated: true, Marker: "m1" })
      .on(ListAttachedRolePoliciesCommand, { Marker: "m1" })
      .resolves({ AttachedPolicies: [{ PolicyArn: "arn:other" }], IsTruncated: false, Marker: "ignored" });
    expect(await isPolicyAttached(client, WEB, QUARANTINE)).toBe(false);
    expect(sent()).toEqual([
      { name: "ListAttachedRolePolicies", input: { RoleName: "web", Marker: undefined } },
      { name: "ListAttachedRolePolicies", input: { RoleName: "web", Marker: "m1" } },
    ]);
  });
});

describe("hasInlinePolicy", () => {
  it("finds an inline policy on a later page", async () => {
    iam
      .on(ListUserPoliciesCommand, { Marker: undefined })
      .resolves({ PolicyNames: ["a"], IsTruncated: true, Marker: "m1" })
      .on(ListUserPoliciesCommand, { Marker: "m1" })
      .resolves({ PolicyNames: ["p"] });
    expect(await hasInlinePolicy(client, ALICE, "p")).toBe(true);
    expect(sent().map((c) => c.input)).toEqual([
      { UserName: "alice", Marker: undefined },
      { UserName: "alice", Marker: "m1" },
    ]);
  });

  it("says no for a role without it, from one untruncated page", async () => {
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["pp", "other"], IsTruncated: false });
    expect(await hasInlinePolicy(client, WEB, "p")).toBe(false);
    expect(sent()).toEqual([{ name: "ListRolePolicies", input: { RoleName: "web", Marker: undefined } }]);
  });
});

describe("tagKeysOf", () => {
  it("collects every tag key through every page, skipping keyless tags", async () => {
    iam
      .on(ListRoleTagsCommand, { Marker: undefined })
      .resolves({ Tags: [{ Key: "a", Value: "1" }], IsTruncated: true, Marker: "m1" })
      .on(ListRoleTagsCommand, { Marker: "m1" })
      .resolves({
        Tags: [
          { Key: undefined, Value: "no key" },
          { Key: "b", Value: "2" },
        ],
      });
    expect(await tagKeysOf(client, WEB)).toEqual(["a", "b"]);
    expect(sent().map((c) => c.name)).toEqual(["ListRoleTags", "ListRoleTags"]);
  });

  it("raises NoSuchEntityError for a principal that is gone", async () => {
    iam.on(ListRoleTagsCommand).rejects(gone());
    await expect(tagKeysOf(client, WEB)).rejects.toThrow(NoSuchEntityError);
  });
});

describe("toTagList", () => {
  it("turns a tag record into IAM's Key/Value list, and an empty one into an empty list", () => {
    expect(toTagList({ a: "1", b: "" })).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "" },
    ]);
    expect(toTagList({})).toEqual([]);
  });
});
