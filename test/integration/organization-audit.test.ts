import { CreateAccessKeyCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { capturedIo } from "../../cli/io.js";
import { main } from "../../cli/main.js";
import { ACCOUNT_ID, useMoto, World } from "../../local/world.js";
import { adminIamOf, createRolesTrustingCentral } from "../support/member-account.js";

/**
 * lkr audit --account across two accounts of one moto: the caller's own account A with its
 * credentials, member account B through the member role. moto keys IAM by the account of the
 * caller's credentials, and AssumeRole's credentials belong to the role's account, so B's
 * credential report is B's own (see test/integration/organization.test.ts). moto enforces no trust
 * or identity policy: who may assume the member role, and what it may read, is proven in
 * test/infra/org-policy-proofs.test.ts.
 */
const MEMBER_ACCOUNT = "222233334444";
const ROLE = "LkrMember";

let world: World;
let memberUser = "";
let memberKey = "";

async function lkr(args: readonly string[]) {
  const run = capturedIo({
    env: { LKR_MEMBER_ROLE_NAME: ROLE },
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))),
  });
  const code = await main(args, { io: run.io });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  useMoto(endpoint);
  world = await new World(endpoint).create();
  const member = await adminIamOf(endpoint, MEMBER_ACCOUNT);
  await createRolesTrustingCentral(member, [ROLE]);
  memberUser = `member-pair-${world.suffix}`;
  await member.send(new CreateUserCommand({ UserName: memberUser }));
  // Two active keys on one user: a finding on the day they are made.
  for (let i = 0; i < 2; i++) {
    const key = await member.send(new CreateAccessKeyCommand({ UserName: memberUser }));
    memberKey ||= key.AccessKey?.AccessKeyId ?? "";
  }
  await world.user("home-pair", { keys: 2 });
}, 60_000);

describe("lkr audit --account across accounts", () => {
  it("audits the member account through the member role: its findings carry its accountId, the home account's carry A", async () => {
    const out = await lkr([
      "audit",
      "--json",
      "--account",
      `${ACCOUNT_ID},${MEMBER_ACCOUNT}`,
      "--table",
      world.tableName,
    ]);
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: "" });
    const parsed = JSON.parse(out.stdout) as {
      findings: {
        kind: string;
        userName: string;
        accessKeyId: string | null;
        risk: number;
        accountId: string;
      }[];
      audited: string[];
      unreachable: unknown[];
    };
    expect(parsed.audited).toEqual([ACCOUNT_ID, MEMBER_ACCOUNT].sort());
    expect(parsed.unreachable).toEqual([]);
    const member = parsed.findings.filter((f) => f.userName === memberUser);
    expect(member.length).toBeGreaterThan(0);
    expect(new Set(member.map((f) => f.accountId))).toEqual(new Set([MEMBER_ACCOUNT]));
    expect(member.map((f) => f.kind)).toContain("two-active-keys");
    expect(member.map((f) => f.accessKeyId)).toContain(memberKey);
    const home = parsed.findings.filter((f) => f.userName === `home-pair-${world.suffix}`);
    expect(new Set(home.map((f) => f.accountId))).toEqual(new Set([ACCOUNT_ID]));
    // The contract holds: kind, userName, accessKeyId (or null), risk on every finding.
    for (const f of parsed.findings) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(["kind", "userName", "accessKeyId", "risk"]));
    }
  });

  it("--account and --organization together are a usage error", async () => {
    const out = await lkr([
      "audit",
      "--organization",
      "--account",
      MEMBER_ACCOUNT,
      "--table",
      world.tableName,
    ]);
    expect(out.code).toBe(2);
  });
});
