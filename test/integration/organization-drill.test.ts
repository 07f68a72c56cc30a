import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { memberTemplate } from "../../infra/member-template.js";
import { MEMBER_DRILL_USER_NAME } from "../../lambdas/core/member-drill.js";
import { memberSessionDenyPolicyName } from "../../lambdas/core/organization.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { lkrAgainst } from "../support/lkr.js";
import {
  adminIamOf,
  createMemberSessionDenyPolicy,
  createRolesTrustingCentral,
} from "../support/member-account.js";

/**
 * lkr drill --account B: the operator in the central account A drills member account B through the
 * member role, on the drill user the member stack provisions in B. Two accounts in one moto (as in
 * organization.test.ts: assumed-role credentials act in the role's account). moto runs no Lambda:
 * a loop stands in for the drill rule's target, feeding the drill events that reached the drill
 * queue to the real respond handler, with the `account` AWS gives them (the sender's: A).
 */
const MEMBER_ACCOUNT = "310987654321"; // each integration file its own accounts: moto is shared by all of them
/** An account with no member stack: no drill user there. */
const BARE_ACCOUNT = "610987654321";
const ROLE = "LkrMember";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const LAMBDA_CONTEXT = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:respond` };
const MOTO_CALLER = `arn:aws:sts::${ACCOUNT_ID}:user/moto`;

let world: World;
let memberIam: IAMClient;
let drillKey: string;
let bus: string;

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

/**
 * What the member stack deploys into B, read from the synthesized member template itself: the
 * member role, B's deny-only session policy, and the drill user with its one key (Inactive).
 */
async function deployMemberStack(iam: IAMClient): Promise<string> {
  const body = memberTemplate({
    organizationId: "o-a1b2c3d4e5",
    memberRoleName: ROLE,
    quarantinePolicyArn: QUARANTINE,
  });
  const resources = Object.values((body as { Resources: Record<string, CfnResource> }).Resources);
  const user = resources.find((r) => r.Type === "AWS::IAM::User")?.Properties ?? {};
  const key = resources.find((r) => r.Type === "AWS::IAM::AccessKey")?.Properties ?? {};
  await createRolesTrustingCentral(iam, [ROLE]);
  await createMemberSessionDenyPolicy(iam, ROLE);
  const userName = String(user.UserName);
  await iam.send(
    new CreateUserCommand({
      UserName: userName,
      Path: String(user.Path),
      Tags: user.Tags as { Key: string; Value: string }[],
    }),
  );
  for (const p of user.Policies as { PolicyName: string; PolicyDocument: unknown }[]) {
    await iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: p.PolicyName,
        PolicyDocument: JSON.stringify(p.PolicyDocument),
      }),
    );
  }
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const accessKeyId = created.AccessKey?.AccessKeyId ?? "";
  await iam.send(
    new UpdateAccessKeyCommand({
      UserName: userName,
      AccessKeyId: accessKeyId,
      Status: String(key.Status) as "Inactive",
    }),
  );
  return accessKeyId;
}

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  useMoto(endpoint);
  world = await new World(endpoint).create();
  memberIam = await adminIamOf(endpoint, MEMBER_ACCOUNT);
  drillKey = await deployMemberStack(memberIam);
  bus = await world.routeDrillEvents();
});

async function drillUserState() {
  const [keys, attached, inline, tags] = await Promise.all([
    memberIam.send(new ListAccessKeysCommand({ UserName: MEMBER_DRILL_USER_NAME })),
    memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: MEMBER_DRILL_USER_NAME })),
    memberIam.send(new ListUserPoliciesCommand({ UserName: MEMBER_DRILL_USER_NAME })),
    memberIam.send(new ListUserTagsCommand({ UserName: MEMBER_DRILL_USER_NAME })),
  ]);
  return {
    keys: (keys.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]),
    attached: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn),
    inline: inline.PolicyNames ?? [],
    tags: (tags.Tags ?? []).map((t) => t.Key).sort(),
  };
}

interface DrillRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The drill events the respond handler received (through the drill rule's queue). */
  readonly delivered: Record<string, unknown>[];
}

/** Runs `lkr drill` in account A while the loop feeds the drill rule's events to the central responder. */
async function drill(args: readonly string[], env: Record<string, string> = {}): Promise<DrillRun> {
  const handler = localRespondHandler(world, { env: { MEMBER_ROLE_NAME: ROLE }, logLevel: "SILENT" });
  let running = true;
  const delivered: Record<string, unknown>[] = [];
  const pump = (async () => {
    while (running) {
      for (const event of await world.drillEvents()) {
        delivered.push(event);
        await handler({ ...event, account: ACCOUNT_ID }, LAMBDA_CONTEXT);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const run = await lkrAgainst(world, ["drill", ...args, "--timeout", "30", "--event-bus", bus], {
      io: { env },
    });
    return { ...run, delivered };
  } finally {
    running = false;
    await pump;
  }
}

const AT_REST = () => ({
  keys: [[drillKey, "Inactive"]],
  attached: [],
  inline: ["DenyEverything"],
  tags: ["leaked-key-responder:component", "leaked-key-responder:drill"],
});

describe("lkr drill --account: a member account drilled from the central account", () => {
  it("starts from the member stack's drill user at rest: its one key Inactive, denied everything", async () => {
    expect(await drillUserState()).toEqual(AT_REST());
  });

  it("the responder in A disables B's drill key through the member role, records and alerts in A; the drill resolves it and leaves the user at rest", async () => {
    const run = await drill(["--account", MEMBER_ACCOUNT, "--json"], { LKR_MEMBER_ROLE_NAME: ROLE });

    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    const incidentId = `${MEMBER_ACCOUNT}-${drillKey}`;
    expect(out).toMatchObject({
      passed: true,
      resolved: true,
      accountId: MEMBER_ACCOUNT,
      userName: MEMBER_DRILL_USER_NAME,
      accessKeyId: drillKey,
      incidentId,
      removed: [
        `attached policy ${QUARANTINE}`,
        `attached policy arn:aws:iam::${MEMBER_ACCOUNT}:policy/${memberSessionDenyPolicyName(ROLE)}`,
        `tags leaked-key-responder:quarantine:${drillKey}`,
      ],
    });
    expect(run.stderr).toMatch(/key Inactive · incident yes · alert yes · actions recorded yes/);
    expect(run.stderr).toMatch(/Contained in \d+\.\d\d s/);
    // One drill event, sent by A, naming B and the drill key.
    expect(run.delivered.map((e) => [e.source, e.detail])).toEqual([
      [
        "leaked-key-responder.drill",
        {
          accessKeyId: drillKey,
          userName: MEMBER_DRILL_USER_NAME,
          drillId: out.drillId,
          accountId: MEMBER_ACCOUNT,
        },
      ],
    ]);

    const incident = await world.incident(incidentId);
    expect(incident).toMatchObject({ status: "resolved", accountId: MEMBER_ACCOUNT });
    expect(incident?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ["disable-key", "done"],
      ["attach-quarantine-policy", "done"],
      ["attach-session-deny-policy", "done"],
      ["tag-principal", "done"],
      ["resolve", "done"],
    ]);
    expect(incident?.releases?.[0]).toMatchObject({ kind: "resolve", by: MOTO_CALLER });
    const alerts = await world.alerts();
    expect(alerts.map((a) => a.subject)).toEqual([expect.stringContaining(`account ${MEMBER_ACCOUNT}`)]);
    // Everything happened in B: account A has no drill user at all.
    expect(await world.userExists(MEMBER_DRILL_USER_NAME)).toBe(false);
    expect(await drillUserState()).toEqual(AT_REST());
  });

  it("runs again on the same key: a second full containment on the resolved incident, resolved again", async () => {
    const run = await drill(["--account", MEMBER_ACCOUNT, "--json"], { LKR_MEMBER_ROLE_NAME: ROLE });

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ passed: true, resolved: true });
    const incident = await world.incident(`${MEMBER_ACCOUNT}-${drillKey}`);
    expect(incident?.status).toBe("resolved");
    const kinds = incident?.actions.map((a) => a.kind) ?? [];
    expect(kinds.slice(5)).toEqual([
      "disable-key",
      "attach-quarantine-policy",
      "attach-session-deny-policy",
      "tag-principal",
      "resolve",
    ]);
    expect(await drillUserState()).toEqual(AT_REST());
  });

  it("an account with no member stack: refused before anything is changed or sent", async () => {
    const run = await drill(["--account", BARE_ACCOUNT], { LKR_MEMBER_ROLE_NAME: ROLE });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`account ${BARE_ACCOUNT}: no user ${MEMBER_DRILL_USER_NAME}`);
    expect(run.delivered).toEqual([]);
  });

  it("without a member role: a configuration error, nothing changed in B, nothing sent", async () => {
    const run = await drill(["--account", MEMBER_ACCOUNT]);

    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`drilling account ${MEMBER_ACCOUNT} needs the member role`);
    expect(run.delivered).toEqual([]);
    expect(await drillUserState()).toEqual(AT_REST());
  });

  it("--account must be one 12-digit account id", async () => {
    const run = await drill(["--account", `${MEMBER_ACCOUNT},${BARE_ACCOUNT}`], {
      LKR_MEMBER_ROLE_NAME: ROLE,
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("expected one 12-digit account id");
  });
});
