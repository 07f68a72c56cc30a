import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetUserCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createHoneyCheckHandler,
  honeyCheckClients,
  parseHoneyCheckConfig,
} from "../../lambdas/handlers/honey-check-handler.js";
import { cloudTrailApiCallEvent, readCloudTrailRecord } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, motoClientConfig, useMoto, World } from "../../local/world.js";
import { type LkrRun, lkrAgainst } from "../support/lkr.js";
import {
  assumedCredentials,
  createRolesTrustingCentral,
  type SessionCredentials,
} from "../support/member-account.js";

/**
 * Honey keys in a member account of the Organization, against moto (which keys every resource by
 * the account of the caller's credentials; AssumeRole's credentials belong to the role's account).
 * lkr plants with the operator's own credentials in the member account (a profile, or a role of
 * theirs it assumes), checked with STS; the record goes to the central table (account A). The
 * safety net reads the member's honey keys through the member role. moto enforces no IAM policy:
 * that the member role may read but never create is proven in test/infra/org-policy-proofs.test.ts.
 */
const MEMBER = "510987654321";
const MEMBER_ROLE = "LkrMember";
const OPERATOR_ROLE = `arn:aws:iam::${MEMBER}:role/honey-admin`;
const PATH = "/service/";
const DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll";
const CONTEXT = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:honey-check` };

let world: World;
let memberIam: IAMClient;
let memberSession: SessionCredentials;
const savedEnv = {
  credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
  config: process.env.AWS_CONFIG_FILE,
};

function lkr(args: readonly string[], env: Record<string, string> = {}): Promise<LkrRun> {
  return lkrAgainst(world, args, { io: { env } });
}

interface Planted {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  placement: string;
  accountId: string;
}

async function plantInMember(placement: string, how: readonly string[]): Promise<Planted> {
  const run = await lkr([
    "honeykey",
    "create",
    "--placement",
    placement,
    "--account",
    MEMBER,
    ...how,
    "--json",
  ]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Planted;
}

async function memberKeyStatuses(userName: string): Promise<Record<string, string>> {
  const { ListAccessKeysCommand } = await import("@aws-sdk/client-iam");
  const out = await memberIam.send(new ListAccessKeysCommand({ UserName: userName }));
  return Object.fromEntries((out.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId ?? "", k.Status ?? ""]));
}

async function honeyUserNames(iam: IAMClient): Promise<string[]> {
  const out = await iam.send(new ListUsersCommand({ PathPrefix: PATH }));
  return (out.Users ?? []).map((u) => u.UserName ?? "").sort();
}

/** One signed call with the honey key, straight to moto: CloudTrail (and so the use rule) never sees it. */
async function unloggedCall(key: Planted): Promise<string | undefined> {
  const sts = new STSClient({
    ...motoClientConfig(world.endpoint),
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } finally {
    sts.destroy();
  }
}

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  useMoto(endpoint);
  world = await new World(endpoint).create();
  memberSession = await assumedCredentials(endpoint, OPERATOR_ROLE, "operator");
  memberIam = new IAMClient({ ...motoClientConfig(endpoint), credentials: memberSession });
  // What the StackSet deploys into the member account: the member role (moto checks no trust policy).
  await createRolesTrustingCentral(memberIam, [MEMBER_ROLE]).catch((e: Error) => {
    if (e.name !== "EntityAlreadyExistsException") throw e;
  });
  // The operator's shared credentials file: a profile in the member account, and one that is not.
  const dir = mkdtempSync(join(tmpdir(), "lkr-honey-member-"));
  writeFileSync(
    join(dir, "credentials"),
    [
      "[honey-admin]",
      `aws_access_key_id = ${memberSession.accessKeyId}`,
      `aws_secret_access_key = ${memberSession.secretAccessKey}`,
      `aws_session_token = ${memberSession.sessionToken}`,
      "[central-admin]",
      "aws_access_key_id = testing",
      "aws_secret_access_key = testing",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "config"), "");
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
  process.env.AWS_CONFIG_FILE = join(dir, "config");
});

afterAll(() => {
  for (const [name, value] of [
    ["AWS_SHARED_CREDENTIALS_FILE", savedEnv.credentials],
    ["AWS_CONFIG_FILE", savedEnv.config],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("lkr honeykey create --account (a member account of the Organization)", () => {
  it.each([
    ["--account-profile", ["--account-profile", "honey-admin"]],
    ["--role-arn", ["--role-arn", OPERATOR_ROLE]],
  ])(
    "with %s plants the powerless, tagged user and its key in the member account, and records it with its account in the central table",
    async (_how, how) => {
      const key = await plantInMember(`member via ${_how}`, how);
      expect(key).toMatchObject({ placement: `member via ${_how}`, accountId: MEMBER });
      expect(Object.keys(key)).toEqual(
        expect.arrayContaining(["accessKeyId", "secretAccessKey", "userName", "placement"]),
      );
      expect((await memberIam.send(new GetUserCommand({ UserName: key.userName }))).User?.Path).toBe(PATH);
      const attached = await memberIam.send(new ListAttachedUserPoliciesCommand({ UserName: key.userName }));
      expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([DENY_ALL]);
      const tags = await memberIam.send(new ListUserTagsCommand({ UserName: key.userName }));
      expect(tags.Tags).toEqual([{ Key: "leaked-key-responder:honeykey", Value: "true" }]);
      expect(await memberKeyStatuses(key.userName)).toEqual({ [key.accessKeyId]: "Active" });
      expect(await honeyUserNames(world.iam)).not.toContain(key.userName); // nothing in the central account
      expect(await unloggedCall(key)).toBe(MEMBER); // the key itself is the member account's

      const show = JSON.parse((await lkr(["honeykey", "show", key.accessKeyId, "--json"])).stdout);
      expect(show).toMatchObject({ accessKeyId: key.accessKeyId, accountId: MEMBER, state: "active" });
    },
  );

  it("refuses, creating nothing anywhere: no operator credentials for the member account, credentials of another account, a role of another account", async () => {
    const before = { member: await honeyUserNames(memberIam), central: await honeyUserNames(world.iam) };

    const bare = await lkr(["honeykey", "create", "--placement", "x", "--account", MEMBER]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/member role never creates users or keys: pass --account-profile/);

    const wrong = await lkr([
      "honeykey",
      "create",
      "--placement",
      "x",
      "--account",
      MEMBER,
      "--account-profile",
      "central-admin",
    ]);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toMatch(
      new RegExp(`profile central-admin are in account ${ACCOUNT_ID} .*not in account ${MEMBER}`),
    );

    const otherRole = await lkr([
      "honeykey",
      "create",
      "--placement",
      "x",
      "--account",
      MEMBER,
      "--role-arn",
      `arn:aws:iam::${ACCOUNT_ID}:role/honey-admin`,
    ]);
    expect(otherRole.code).toBe(2);
    expect(otherRole.stderr).toMatch(/is a role of account 123456789012, not of --account 510987654321/);

    const noAccount = await lkr([
      "honeykey",
      "create",
      "--placement",
      "x",
      "--account-profile",
      "honey-admin",
    ]);
    expect(noAccount.code).toBe(2);
    expect(noAccount.stderr).toMatch(/need --account/);

    const listWithProfile = await lkr([
      "honeykey",
      "list",
      "--account",
      MEMBER,
      "--account-profile",
      "honey-admin",
    ]);
    expect(listWithProfile.code).toBe(2);
    expect(listWithProfile.stderr).toMatch(/takes --account alone/);

    expect({ member: await honeyUserNames(memberIam), central: await honeyUserNames(world.iam) }).toEqual(
      before,
    );
  });
});

describe("lkr honeykey list, show, rotate, retire --account", () => {
  it("list --account shows only that account's honey keys; show --account of another account is refused", async () => {
    const member = await plantInMember("member: list", ["--account-profile", "honey-admin"]);
    const central = JSON.parse(
      (await lkr(["honeykey", "create", "--placement", "central: list", "--json"])).stdout,
    ) as Planted;
    expect(central.accountId).toBe(ACCOUNT_ID);

    const listed = JSON.parse((await lkr(["honeykey", "list", "--account", MEMBER, "--json"])).stdout) as {
      honeyKeys: { accessKeyId: string; accountId: string }[];
    };
    expect(listed.honeyKeys.map((k) => k.accountId)).toEqual(listed.honeyKeys.map(() => MEMBER));
    expect(listed.honeyKeys.map((k) => k.accessKeyId)).toContain(member.accessKeyId);
    expect(listed.honeyKeys.map((k) => k.accessKeyId)).not.toContain(central.accessKeyId);

    const all = JSON.parse((await lkr(["honeykey", "list", "--json"])).stdout) as {
      honeyKeys: { accessKeyId: string }[];
    };
    expect(all.honeyKeys.map((k) => k.accessKeyId)).toEqual(
      expect.arrayContaining([member.accessKeyId, central.accessKeyId]),
    );

    const mismatch = await lkr(["honeykey", "show", central.accessKeyId, "--account", MEMBER]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(`is a honey key of account ${ACCOUNT_ID}, not of --account ${MEMBER}`);
  });

  it("retire sets the member's key Inactive through the operator's profile, or through the member role without one; nothing is deleted", async () => {
    const a = await plantInMember("member: retire with profile", ["--account-profile", "honey-admin"]);
    const b = await plantInMember("member: retire via member role", ["--role-arn", OPERATOR_ROLE]);

    const withProfile = await lkr([
      "honeykey",
      "retire",
      a.accessKeyId,
      "--account",
      MEMBER,
      "--account-profile",
      "honey-admin",
    ]);
    expect(withProfile.code, withProfile.stderr).toBe(0);
    expect(await memberKeyStatuses(a.userName)).toEqual({ [a.accessKeyId]: "Inactive" });

    // No member role known: lkr cannot reach the member account, and changes nothing.
    const unreachable = await lkr(["honeykey", "retire", b.accessKeyId]);
    expect(unreachable.code).toBe(2);
    expect(await memberKeyStatuses(b.userName)).toEqual({ [b.accessKeyId]: "Active" });

    const viaRole = await lkr(["honeykey", "retire", b.accessKeyId, "--json"], {
      LKR_MEMBER_ROLE_NAME: MEMBER_ROLE,
    });
    expect(viaRole.code, viaRole.stderr).toBe(0);
    expect(await memberKeyStatuses(b.userName)).toEqual({ [b.accessKeyId]: "Inactive" });
    const states = JSON.parse((await lkr(["honeykey", "list", "--account", MEMBER, "--json"])).stdout) as {
      honeyKeys: { accessKeyId: string; state: string }[];
    };
    const byKey = new Map(states.honeyKeys.map((k) => [k.accessKeyId, k.state]));
    expect([byKey.get(a.accessKeyId), byKey.get(b.accessKeyId)]).toEqual(["retired", "retired"]);
  });

  it("rotate plants the new key in the member account and sets the old one Inactive there", async () => {
    const old = await plantInMember("member: rotate", ["--account-profile", "honey-admin"]);
    const run = await lkr([
      "honeykey",
      "rotate",
      old.accessKeyId,
      "--role-arn",
      OPERATOR_ROLE,
      "--account",
      MEMBER,
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const next = JSON.parse(run.stdout) as Planted;
    expect(next).toMatchObject({ accountId: MEMBER, placement: "member: rotate" });
    expect(await memberKeyStatuses(old.userName)).toEqual({ [old.accessKeyId]: "Inactive" });
    expect(await memberKeyStatuses(next.userName)).toEqual({ [next.accessKeyId]: "Active" });
  });
});

describe("a member account's honey key in use", () => {
  it("a CloudTrail call made with it in the member account alerts on its record, naming the member account", async () => {
    const key = await plantInMember("member: used", ["--account-profile", "honey-admin"]);
    const event = cloudTrailApiCallEvent(readCloudTrailRecord("stratus-get-caller-identity-iam-user.json"), {
      arn: `arn:aws:iam::${MEMBER}:user${PATH}${key.userName}`,
      userName: key.userName,
      key: key.accessKeyId,
      sourceIp: "198.51.100.21",
      eventId: "77777777-7777-4777-8777-777777777777",
    }) as { account: string; detail: { userIdentity: Record<string, unknown>; recipientAccountId?: string } };
    event.account = MEMBER;
    event.detail.recipientAccountId = MEMBER;
    event.detail.userIdentity.accountId = MEMBER;
    await world.alerts();
    const result = await localRespondHandler(world)(event);
    expect(result.honey).toEqual({ kind: "alerted", test: false });
    const alerts = await world.alerts();
    expect(alerts.map((a) => a.body)).toEqual([
      expect.objectContaining({
        type: "leaked-key-responder.honeykey-used",
        accountId: MEMBER,
        accessKeyId: key.accessKeyId,
        thread: `honeykey-${MEMBER}-${key.accessKeyId}`,
        placement: "member: used",
      }),
    ]);
  });
});

describe("the safety net over member accounts' honey keys", () => {
  const honeyCheck = (extra: Record<string, string>) =>
    createHoneyCheckHandler(
      parseHoneyCheckConfig(world.env(extra)),
      honeyCheckClients(motoClientConfig(world.endpoint)),
    );

  it("reads a member honey key's last use through the member role and alerts on a use CloudTrail never showed; without a member role it skips it", async () => {
    const key = await plantInMember("member: safety net", ["--account-profile", "honey-admin"]);
    expect(await unloggedCall(key)).toBe(MEMBER);
    await world.alerts();

    const alone = await honeyCheck({})({}, CONTEXT);
    expect(alone.alerts.filter((a) => a.accessKeyId === key.accessKeyId)).toEqual([]);
    expect(alone.skipped).toBeGreaterThan(0);

    const org = await honeyCheck({ MEMBER_ROLE_NAME: MEMBER_ROLE })({}, CONTEXT);
    expect(org.alerts.filter((a) => a.accessKeyId === key.accessKeyId)).toEqual([
      { accessKeyId: key.accessKeyId, kind: "unseen-use" },
    ]);
    expect(org.skipped).toBe(0);
    const subjects = (await world.alerts()).map((a) => a.subject);
    expect(subjects).toContainEqual(
      expect.stringMatching(
        /Honey key AKIA\.\.\.\w{4}: used without a CloudTrail record - member: safety net/,
      ),
    );
  });
});
