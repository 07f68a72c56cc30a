import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserTagsCommand,
} from "@aws-sdk/client-iam";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { capturedIo } from "../../cli/io.js";
import { memberSessionDenyPolicyName } from "../../lambdas/core/organization.js";
import { guardDutyEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, motoClientConfig, useMoto, World } from "../../local/world.js";
import { lkrAgainst } from "../support/lkr.js";
import {
  adminIamOf,
  createMemberSessionDenyPolicy,
  createRolesTrustingCentral,
} from "../support/member-account.js";

/**
 * Two accounts in one moto: the central responder in account A (moto's default account) acts on a
 * key of member account B through the member role, as it does on AWS. moto keys every resource by
 * the account of the caller's credentials, and the credentials AssumeRole returns belong to the
 * role's account, so IAM calls made with them change account B only. (moto enforces no trust
 * policy: who may assume the member role is proven in test/infra/org-policy-proofs.test.ts.)
 */
const MEMBER_ACCOUNT = "210987654321";
const ROLE = "LkrMember";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const LAMBDA_CONTEXT = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:respond` };

let world: World;
let memberIam: IAMClient;

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  useMoto(endpoint);
  world = await new World(endpoint).create();
  // IAM of account B, as an administrator of B sets it up (the member stack's role and policy, a user).
  memberIam = await adminIamOf(endpoint, MEMBER_ACCOUNT);
  // What the StackSet deploys into B: the member role and B's own deny-only session policy.
  await createRolesTrustingCentral(memberIam, [ROLE]);
  await createMemberSessionDenyPolicy(memberIam, ROLE);
});

async function memberUser(base: string): Promise<{ name: string; key: string }> {
  const name = `${base}-${world.suffix}`;
  await memberIam.send(new CreateUserCommand({ UserName: name }));
  const key =
    (await memberIam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey?.AccessKeyId ?? "";
  return { name, key };
}

/** A GuardDuty finding about a key of account B, as the delegated administrator in A receives it. */
function memberFinding(key: string, user: string): Record<string, unknown> {
  const event = guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user }) as Record<
    string,
    unknown
  >;
  const detail = event.detail as Record<string, unknown>;
  return { ...event, account: MEMBER_ACCOUNT, detail: { ...detail, accountId: MEMBER_ACCOUNT } };
}

async function keyStatusInMember(user: string, key: string): Promise<string | undefined> {
  const out = await memberIam.send(new ListAccessKeysCommand({ UserName: user }));
  return out.AccessKeyMetadata?.find((k) => k.AccessKeyId === key)?.Status;
}

describe("the central responder in account A, a key of member account B", () => {
  it("moto's assumed-role credentials act in the role's account (what this file relies on)", async () => {
    const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(ACCOUNT_ID);
    expect(
      await memberIam
        .send(new ListAttachedUserPoliciesCommand({ UserName: "nobody" }))
        .catch((e: Error) => e.name),
    ).toBe("NoSuchEntityException");
  });

  it("disables the key in B, fences its user with B's policies, records the incident in A; release undoes it through the member role", async () => {
    const bob = await memberUser("bob");
    const handler = localRespondHandler(world, { env: { MEMBER_ROLE_NAME: ROLE }, logLevel: "SILENT" });

    const result = await handler(memberFinding(bob.key, bob.name), LAMBDA_CONTEXT);

    expect(result.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    expect(await keyStatusInMember(bob.name, bob.key)).toBe("Inactive");
    const memberSessionDeny = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/${memberSessionDenyPolicyName(ROLE)}`;
    const attached = await memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: bob.name }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([QUARANTINE, memberSessionDeny]);
    const tags = await memberIam.send(new ListUserTagsCommand({ UserName: bob.name }));
    expect(tags.Tags?.map((t) => t.Key)).toEqual([`leaked-key-responder:quarantine:${bob.key}`]);
    // Account A is untouched: no such user there.
    await expect(world.keyStatuses(bob.name)).rejects.toThrow();

    const incident = await world.incident(`${MEMBER_ACCOUNT}-${bob.key}`);
    expect(incident).toMatchObject({ status: "contained", accountId: MEMBER_ACCOUNT });
    expect(incident?.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ["disable-key", "done"],
      ["attach-quarantine-policy", "done"],
      ["attach-session-deny-policy", "done"],
      ["tag-principal", "done"],
    ]);
    await world.alerts();

    // The operator's lkr in account A: the member role's name from the environment (or the stack's output).
    const run = await lkrAgainst(
      world,
      ["release", `${MEMBER_ACCOUNT}-${bob.key}`, "--reason", "false positive", "--yes"],
      { io: { env: { LKR_MEMBER_ROLE_NAME: ROLE } } },
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await keyStatusInMember(bob.name, bob.key)).toBe("Active");
    const after = await memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: bob.name }));
    expect(after.AttachedPolicies).toEqual([]);
    expect((await memberIam.send(new ListUserTagsCommand({ UserName: bob.name }))).Tags).toEqual([]);
    expect((await world.incident(`${MEMBER_ACCOUNT}-${bob.key}`))?.status).toBe("released");
  });

  it("without a member role, changes nothing in B and only notifies", async () => {
    const carol = await memberUser("carol");
    await world.alerts(); // drained: the previous spec's release alert
    const handler = localRespondHandler(world, { logLevel: "SILENT" });

    const result = await handler(memberFinding(carol.key, carol.name), LAMBDA_CONTEXT);

    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(await keyStatusInMember(carol.name, carol.key)).toBe("Active");
    const alerts = await world.alerts();
    expect(alerts).toHaveLength(1);
    expect(JSON.stringify(alerts[0]?.body)).toContain("MEMBER_ROLE_NAME is unset");
  });

  it("lkr incidents --account lists only that account's incidents, each row naming its account", async () => {
    const home = await world.user("dave");
    const homeHandler = localRespondHandler(world, { logLevel: "SILENT" });
    const key = home.keys[0] as string;
    await homeHandler(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: home.name }),
      LAMBDA_CONTEXT,
    );
    const { main } = await import("../../cli/main.js");
    const lkr = async (args: string[]) => {
      const run = capturedIo();
      const code = await main([...args, "--table", world.tableName], { io: run.io });
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    };

    const member = await lkr(["incidents", "--json", "--account", MEMBER_ACCOUNT]);
    const listed = JSON.parse(member.stdout) as { accountId: string }[];
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed.map((i) => i.accountId))).toEqual(new Set([MEMBER_ACCOUNT]));
    const both = JSON.parse(
      (await lkr(["incidents", "--json", "--account", `${MEMBER_ACCOUNT},${ACCOUNT_ID}`])).stdout,
    ) as {
      accountId: string;
    }[];
    expect(new Set(both.map((i) => i.accountId))).toEqual(new Set([MEMBER_ACCOUNT, ACCOUNT_ID]));
    const table = await lkr(["incidents", "--account", ACCOUNT_ID]);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TIME\s+ACCOUNT\s/);
    expect(table.stdout).toContain(`${ACCOUNT_ID}-${key}`);
    expect(table.stdout).not.toContain(`${MEMBER_ACCOUNT}-`);
    expect(await lkr(["incidents", "--account", "123"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--account is "123"; expected 12-digit account ids'),
    });
  });

  it("sends a member account's alert to its routed topic as well as to the central topic", async () => {
    const sns = new SNSClient(motoClientConfig(world.endpoint));
    const sqs = new SQSClient(motoClientConfig(world.endpoint));
    const topicArn =
      (await sns.send(new CreateTopicCommand({ Name: `payments-${world.suffix}` }))).TopicArn ?? "";
    const queueUrl =
      (await sqs.send(new CreateQueueCommand({ QueueName: `payments-${world.suffix}` }))).QueueUrl ?? "";
    const queueArn =
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] })))
        .Attributes?.QueueArn ?? "";
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }));
    await world.alerts();
    const erin = await memberUser("erin");
    const handler = localRespondHandler(world, {
      env: { MEMBER_ROLE_NAME: ROLE, ALERT_ROUTES: `${MEMBER_ACCOUNT}=${topicArn}` },
      logLevel: "SILENT",
    });

    await handler(memberFinding(erin.key, erin.name), LAMBDA_CONTEXT);

    const central = await world.alerts();
    const routed =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }))).Messages ??
      [];
    expect(central.map((a) => a.subject)).toEqual([expect.stringContaining(`account ${MEMBER_ACCOUNT}`)]);
    expect(routed.map((m) => (JSON.parse(m.Body ?? "{}") as { Subject?: string }).Subject)).toEqual(
      central.map((a) => a.subject),
    );
  });
});
