import {
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { runHoneyCheck } from "../../lambdas/core/honeykey/check.js";
import type { HoneyKeyRecord } from "../../lambdas/core/honeykey/model.js";
import type { HoneyIamReader, HoneyKeyFacts, HoneyKeyStore } from "../../lambdas/core/honeykey/ports.js";
import { MemberAccountUnreachableError } from "../../lambdas/core/organization.js";
import type { RenderedAlert } from "../../lambdas/core/ports.js";
import { memberHoneyReaders } from "../../lambdas/handlers/honey-check-handler.js";

/**
 * The safety net over honey keys planted in member accounts: each key is read in its own account
 * (the home account's IAM for the home account's keys, the member role for a member's), a member
 * account that cannot be reached fails its keys' checks and no other's, and without a member role
 * member keys are skipped (counted, never read with the wrong account's IAM).
 */
const HOME = "123456789012";
const MEMBER = "210987654321";
const UNREACHABLE = "333344445555";
const DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll";
const OPTIONS = { path: "/service/", denyPolicyArns: [DENY_ALL], toleranceSeconds: 300 };

function record(accessKeyId: string, accountId: string): HoneyKeyRecord {
  return {
    accessKeyId,
    accountId,
    userName: `etl-prod-${accessKeyId.slice(-2)}`,
    path: "/service/",
    placement: `repo ${accessKeyId.slice(-4)}`,
    state: "active",
    createdAt: "2026-11-01T00:00:00.000Z",
    createdBy: `arn:aws:iam::${accountId}:user/admin`,
  };
}

const OWN_KEY = "AKIAHOME000000000001";
const MEMBER_KEY = "AKIAMEMBER0000000002";
const LOST_KEY = "AKIALOST000000000003";
const RECORDS = [record(OWN_KEY, HOME), record(MEMBER_KEY, MEMBER), record(LOST_KEY, UNREACHABLE)];

const used = (at: string): HoneyKeyFacts => ({
  lastUsed: { at, service: "sns", region: "eu-west-1" },
  keyStatus: "Active",
  attachedPolicyArns: [DENY_ALL],
});
const unused: HoneyKeyFacts = { lastUsed: undefined, keyStatus: "Active", attachedPolicyArns: [DENY_ALL] };

/** A store of the records; remembers what the check marked. */
function store(records: readonly HoneyKeyRecord[]) {
  const marked: Record<string, string> = {};
  const s: HoneyKeyStore = {
    get: async (id) => records.find((r) => r.accessKeyId === id),
    list: async () => [...records],
    recordUse: async () => "new",
    claimAlert: async () => true,
    releaseAlert: async () => {},
    markAlerted: async () => {},
    markLastUsedSeen: async (id, at) => {
      marked[id] = at;
    },
  };
  return { store: s, marked };
}

/** An account's IAM: answers only for the keys of that account (another account's key does not exist there). */
function reader(account: string, facts: Record<string, HoneyKeyFacts>, asked: string[]): HoneyIamReader {
  return {
    facts: async (_user, key) => {
      asked.push(`${account}:${key}`);
      return facts[key] ?? { lastUsed: undefined, keyStatus: "absent", attachedPolicyArns: undefined };
    },
  };
}

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

describe("runHoneyCheck over honey keys of several accounts", () => {
  it("reads each key in its own account, alerts on the member key's unseen use, and fails only the unreachable account's key", async () => {
    const { store: s, marked } = store(RECORDS);
    const asked: string[] = [];
    const published: RenderedAlert[] = [];
    const run = runHoneyCheck(
      HOME,
      {
        store: s,
        iam: reader(HOME, { [OWN_KEY]: unused }, asked),
        memberIam: async (account) => {
          if (account === MEMBER)
            return reader(MEMBER, { [MEMBER_KEY]: used("2026-11-28T10:00:00.000Z") }, asked);
          throw new MemberAccountUnreachableError(account, "LkrMember", { cause: new Error("AccessDenied") });
        },
        alerts: { publish: async (a) => void published.push(a) },
        log: silentLog,
      },
      OPTIONS,
    );
    await expect(run).rejects.toBeInstanceOf(MemberAccountUnreachableError);
    expect(asked).toEqual([`${HOME}:${OWN_KEY}`, `${MEMBER}:${MEMBER_KEY}`]);
    expect(published.map((a) => a.subject)).toEqual([
      "[CRITICAL] Honey key AKIA...0002: used without a CloudTrail record - repo 0002",
    ]);
    expect(JSON.parse(published[0]?.machine ?? "{}")).toMatchObject({
      accountId: MEMBER,
      accessKeyId: MEMBER_KEY,
    });
    expect(marked).toEqual({ [MEMBER_KEY]: "2026-11-28T10:00:00.000Z" });
  });

  it("without a member role, skips the member accounts' keys and never reads them with the home account's IAM", async () => {
    const asked: string[] = [];
    const result = await runHoneyCheck(
      HOME,
      {
        store: store(RECORDS).store,
        iam: reader(HOME, { [OWN_KEY]: unused }, asked),
        alerts: { publish: async () => {} },
        log: silentLog,
      },
      OPTIONS,
    );
    expect(result).toEqual({ checked: 1, skipped: 2, alerts: [] });
    expect(asked).toEqual([`${HOME}:${OWN_KEY}`]);
  });
});

const sts = new STSClient({ region: "us-east-1" });
const stsMock = mockClient(sts);
const memberIamClient = new IAMClient({ region: "us-east-1" });
const iamMock = mockClient(memberIamClient);

describe("memberHoneyReaders (the honey check handler's member accounts)", () => {
  beforeEach(() => {
    stsMock.reset();
    iamMock.reset();
  });

  it("assumes the member role of the key's account once, and reads the key there with the role's credentials", async () => {
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: "ASIAMEMBERROLE000001",
        SecretAccessKey: "secret",
        SessionToken: "token",
        Expiration: new Date("2099-01-01T00:00:00Z"),
      },
    });
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({
      UserName: "etl-prod-02",
      AccessKeyLastUsed: {
        LastUsedDate: new Date("2026-11-28T10:00:00Z"),
        ServiceName: "sns",
        Region: "eu-west-1",
      },
    });
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [{ AccessKeyId: MEMBER_KEY, Status: "Active", UserName: "etl-prod-02" }],
    });
    iamMock.on(ListAttachedUserPoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyArn: DENY_ALL, PolicyName: "AWSDenyAll" }],
    });
    const credentialsSeen: unknown[] = [];
    const readers = memberHoneyReaders("LkrMember", () => HOME, {
      sts: () => sts,
      memberIam: (credentials) => {
        credentialsSeen.push(credentials);
        return memberIamClient;
      },
    });

    const facts = await (await readers(MEMBER)).facts("etl-prod-02", MEMBER_KEY);
    await (await readers(MEMBER)).facts("etl-prod-02", MEMBER_KEY);

    expect(facts).toEqual({
      lastUsed: { at: "2026-11-28T10:00:00.000Z", service: "sns", region: "eu-west-1" },
      keyStatus: "Active",
      attachedPolicyArns: [DENY_ALL],
    });
    expect(stsMock.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: `arn:aws:iam::${MEMBER}:role/LkrMember`,
        RoleSessionName: "leaked-key-responder-honey-check",
        DurationSeconds: 900,
      },
    ]);
    expect(credentialsSeen).toHaveLength(1);
    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input)).toEqual([
      { AccessKeyId: MEMBER_KEY },
      { AccessKeyId: MEMBER_KEY },
    ]);
  });

  it("a member role that cannot be assumed is a MemberAccountUnreachableError naming the account, and reads nothing", async () => {
    stsMock.on(AssumeRoleCommand).rejects(
      Object.assign(new Error("not authorized to perform sts:AssumeRole"), {
        name: "AccessDenied",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const readers = memberHoneyReaders("LkrMember", () => HOME, {
      sts: () => sts,
      memberIam: () => memberIamClient,
    });
    await expect(readers(UNREACHABLE)).rejects.toThrow(
      new MemberAccountUnreachableError(UNREACHABLE, "LkrMember", { cause: undefined }).message,
    );
    expect(iamMock.calls()).toHaveLength(0);
  });
});
