import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
} from "@aws-sdk/client-iam";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { memberRevokerRoleName, memberSessionDenyPolicyName } from "../../lambdas/core/organization.js";
import { guardDutyEvent, readFixture } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { localRoleSessionRevoker } from "../../local/role-session-revoker.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { lkrAgainst } from "../support/lkr.js";
import {
  adminIamOf,
  createMemberSessionDenyPolicy,
  createRolesTrustingCentral,
} from "../support/member-account.js";

/**
 * Issue #13's two member-account gaps, in one moto holding two accounts (see organization.test.ts
 * for how moto keys resources by the caller's account): the central responder in account A puts
 * back a fence detached in member account B through the member role, and revokes the sessions of a
 * role of B through the member stack's revoker role; `lkr release` undoes both there. (moto
 * enforces no trust or permission policy: who may assume which role, and what each may do, is
 * proven in test/infra/org-policy-proofs.test.ts.)
 */
// An account of its own: the moto of a run is shared, and organization.test.ts creates the member role in 210987654321.
const MEMBER_ACCOUNT = "410987654321";
const ROLE = "LkrMember";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const MEMBER_DENY = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/${memberSessionDenyPolicyName(ROLE)}`;
const LAMBDA_CONTEXT = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:respond` };

let world: World;
let memberIam: IAMClient;

type Json = Record<string, unknown>;

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  useMoto(endpoint);
  world = await new World(endpoint).create();
  memberIam = await adminIamOf(endpoint, MEMBER_ACCOUNT);
  // What the StackSet deploys into B: the member role, the revoker role and B's own session-deny policy.
  await createRolesTrustingCentral(memberIam, [ROLE, memberRevokerRoleName(ROLE)]);
  await createMemberSessionDenyPolicy(memberIam, ROLE);
});

function respond() {
  return localRespondHandler(world, { env: { MEMBER_ROLE_NAME: ROLE }, logLevel: "SILENT" });
}

/** A published CloudTrail IAM record (test/fixtures/events/aws.iam) as account B's own call, forwarded by its member stack. */
function memberCall(fixture: string, id: string, requestParameters: Json): Json {
  const event = structuredClone(readFixture(`aws.iam/${fixture}`)) as Json & {
    detail: Json & { userIdentity: Json };
  };
  event.account = MEMBER_ACCOUNT;
  event.id = `${id}-${world.suffix}`;
  event.detail.recipientAccountId = MEMBER_ACCOUNT;
  event.detail.eventID = `${id}-${world.suffix}`;
  event.detail.userIdentity = {
    ...event.detail.userIdentity,
    accountId: MEMBER_ACCOUNT,
    arn: `arn:aws:iam::${MEMBER_ACCOUNT}:user/mallory`,
  };
  event.detail.requestParameters = requestParameters;
  return event;
}

async function attachedTo(user: string): Promise<string[]> {
  const out = await memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: user }));
  return (out.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "").sort();
}

async function inlineOf(role: string): Promise<string[]> {
  return (await memberIam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
}

async function lkrRelease(incidentId: string) {
  const run = await lkrAgainst(world, ["release", incidentId, "--reason", "false positive", "--yes"], {
    io: { env: { LKR_MEMBER_ROLE_NAME: ROLE } },
    main: {
      // The revoker function in-process (moto cannot invoke a Lambda function), as lkr invokes it: told the account.
      memberRevokerFor: async (accountId) =>
        localRoleSessionRevoker(world.endpoint, "SILENT", { memberRoleName: ROLE, accountId }),
    },
  });
  return { code: run.code, stderr: run.stderr };
}

describe("tamper watch in a member account", () => {
  it("puts B's own session-deny policy back, through the member role, when someone in B detaches it", async () => {
    const name = `bob-${world.suffix}`;
    await memberIam.send(new CreateUserCommand({ UserName: name }));
    const { AccessKey } = await memberIam.send(new CreateAccessKeyCommand({ UserName: name }));
    const key = AccessKey?.AccessKeyId ?? "";
    const finding = guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: name }) as Json & {
      detail: Json;
    };
    await respond()(
      { ...finding, account: MEMBER_ACCOUNT, detail: { ...finding.detail, accountId: MEMBER_ACCOUNT } },
      LAMBDA_CONTEXT,
    );
    expect(await attachedTo(name)).toEqual([QUARANTINE, MEMBER_DENY].sort());

    // Someone in B detaches the session-deny policy; B's member stack forwards the call.
    await memberIam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: MEMBER_DENY }));
    expect(await attachedTo(name)).toEqual([QUARANTINE]);
    const result = await respond()(
      memberCall("detach-user-policy-quarantine.json", "detach-deny", {
        userName: name,
        policyArn: MEMBER_DENY,
      }),
      LAMBDA_CONTEXT,
    );

    expect(result.outcomes.map((o) => [o.incidentId, o.decision])).toEqual([
      [`${MEMBER_ACCOUNT}-${key}`, "contain"],
    ]);
    expect(await attachedTo(name)).toEqual([QUARANTINE, MEMBER_DENY].sort());
    const incident = await world.incident(`${MEMBER_ACCOUNT}-${key}`);
    expect(incident?.status).toBe("contained");
    expect(
      incident?.actions.filter((a) => a.kind === "attach-session-deny-policy").map((a) => a.outcome),
    ).toEqual(["done", "done"]);
  });

  it("acts on no look-alike policy detached in B (nothing in B names it a fence)", async () => {
    const result = await respond()(
      memberCall("detach-user-policy-quarantine.json", "detach-other", {
        userName: "nobody",
        policyArn: `arn:aws:iam::${MEMBER_ACCOUNT}:policy/${ROLE}-SessionDenyAll`,
      }),
      LAMBDA_CONTEXT,
    );
    expect(result).toEqual({ status: "ignored", outcomes: [] });
  });
});

describe("role-session revocation in a member account", () => {
  it("revokes the sessions of B's role through B's revoker role, puts it back when deleted, and lkr release lifts it", async () => {
    const role = `web-${world.suffix}`;
    await createRolesTrustingCentral(memberIam, [role]);
    const event = structuredClone(
      readFixture("aws.guardduty/instance-credential-exfiltration-outside-aws.json"),
    ) as Json & { detail: Json & { resource: { accessKeyDetails: Json } } };
    event.account = MEMBER_ACCOUNT;
    event.detail.accountId = MEMBER_ACCOUNT;
    event.detail.resource.accessKeyDetails.userName = role;
    const key = event.detail.resource.accessKeyDetails.accessKeyId as string;
    const policyName = `leaked-key-responder-revoke-${key}`;

    const result = await respond()(event, LAMBDA_CONTEXT);

    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await inlineOf(role)).toEqual([policyName]);
    const doc = JSON.parse(
      decodeURIComponent(
        (await memberIam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName })))
          .PolicyDocument ?? "",
      ),
    ) as { Statement: Json[] };
    expect(doc.Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Action: "*", Resource: "*", Condition: expect.any(Object) }),
    ]);
    const incidentId = `${MEMBER_ACCOUNT}-${key}`;
    expect((await world.incident(incidentId))?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ["revoke-sessions", "done"],
      ["tag-principal", "done"],
    ]);
    // Account A is untouched: no such role there.
    await expect(world.roleState(role)).rejects.toThrow();

    // Someone in B deletes the revoke policy; B's member stack forwards the call; it is put back.
    await memberIam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policyName }));
    const tamper = await respond()(
      memberCall("delete-role-policy-revoke.json", "delete-revoke", { roleName: role, policyName }),
      LAMBDA_CONTEXT,
    );
    expect(tamper.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await inlineOf(role)).toEqual([policyName]);

    await world.alerts();
    expect(await lkrRelease(incidentId)).toEqual({ code: 0, stderr: "" });
    expect(await inlineOf(role)).toEqual([]);
    expect((await memberIam.send(new ListRoleTagsCommand({ RoleName: role }))).Tags).toEqual([]);
    expect((await world.incident(incidentId))?.status).toBe("released");
  });
});
