import { ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { capturedIo } from "../../cli/io.js";
import { main } from "../../cli/main.js";
import { localAuditHandler } from "../../local/audit-handler.js";
import { guardDutyEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, REGION, useMoto, World } from "../../local/world.js";

const DAY = 86_400_000;
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

let world: World;
const people = { admin: "", inline: "", console: "", pair: "", used: "", fresh: "" };
const keys = { admin: "", inline: "", pairOld: "", pairNew: "", pairInactive: "", used: "", fresh: "" };

async function key(userName: string): Promise<{ id: string; secret: string }> {
  const out = await world.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return { id: out.AccessKey?.AccessKeyId ?? "", secret: out.AccessKey?.SecretAccessKey ?? "" };
}

interface JsonFinding {
  kind: string;
  userName: string;
  accessKeyId: string | null;
  risk: number;
}

/** The findings about this file's users (moto's report holds every test file's users). */
function ours<T extends { userName: string }>(findings: readonly T[]): T[] {
  return findings.filter((f) => f.userName.endsWith(world.suffix));
}

async function lkr(args: readonly string[], now: Date) {
  const run = capturedIo({
    now: () => now,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))),
    random: () => "0000",
  });
  const code = await main(args, { io: run.io });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint"));
  world = await new World(inject("motoEndpoint")).create();
  const made = async (base: string) => (await world.user(base, { keys: 0 })).name;
  people.admin = await made("audit-admin");
  people.inline = await made("audit-inline");
  people.console = await made("audit-console");
  people.pair = await made("audit-pair");
  people.used = await made("audit-used");
  people.fresh = await made("audit-fresh");
  keys.admin = (await key(people.admin)).id;
  keys.inline = (await key(people.inline)).id;
  await world.iam.send(
    new PutUserPolicyCommand({
      UserName: people.inline,
      PolicyName: "everything",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
      }),
    }),
  );
  await world.iam.send(new AttachUserPolicyCommand({ UserName: people.admin, PolicyArn: ADMIN }));
  await world.iam.send(
    new CreateLoginProfileCommand({ UserName: people.console, Password: "Pa55word!Pa55word" }),
  );
  keys.pairOld = (await key(people.pair)).id;
  keys.pairNew = (await key(people.pair)).id;
  const used = await key(people.used);
  keys.used = used.id;
  // A call signed with the key: moto records its last use.
  const asUsed = new IAMClient({
    ...world.sdk,
    credentials: { accessKeyId: used.id, secretAccessKey: used.secret },
  });
  await asUsed.send(new ListUsersCommand({ MaxItems: 1 }));
  asUsed.destroy();
  keys.fresh = (await key(people.fresh)).id;
  // The responder contained the admin's key once (public exposure history); it was re-enabled since.
  const contained = await localRespondHandler(world)(
    guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key: keys.admin, user: people.admin }),
  );
  expect(contained.outcomes.map((o) => o.decision)).toEqual(["contain"]);
  await world.iam.send(
    new UpdateAccessKeyCommand({ UserName: people.admin, AccessKeyId: keys.admin, Status: "Active" }),
  );
  await world.alerts();
});

describe("the audit handler against moto's credential report", () => {
  it("generates and waits for the report, and finds per key: old, never used, admin, two active keys, console without MFA", async () => {
    const later = new Date(Date.now() + 100 * DAY);
    const result = await localAuditHandler(world, { now: () => later })({ "detail-type": "Scheduled Event" });
    expect(result.alerted).toBe(true);

    const record = (await world.dynamo.send(new ScanCommand({ TableName: world.tableName }))).Items?.map(
      (i) => unmarshall(i),
    ).find((i) => i.incidentId === result.auditId);
    expect(record?.recordType).toBe("audit");
    const findings = ours(record?.findings as JsonFinding[]);
    const of = (user: string) =>
      findings
        .filter((f) => f.userName === user)
        .map((f) => `${f.kind} ${f.accessKeyId ?? "-"}`)
        .sort();

    expect(of(people.admin)).toEqual([
      `admin-key ${keys.admin}`,
      `key-never-used ${keys.admin}`,
      `key-old ${keys.admin}`,
    ]);
    expect(of(people.inline)).toEqual([
      `admin-key ${keys.inline}`,
      `key-never-used ${keys.inline}`,
      `key-old ${keys.inline}`,
    ]);
    // The key signed a call (today): 100 days later it is old and unused, never "never used".
    expect(of(people.used)).toEqual([`key-old ${keys.used}`, `key-unused ${keys.used}`]);
    expect(of(people.console)).toEqual(["console-without-mfa -"]);
    // Two active keys: reported once, on the older key; each key's own findings stay its own.
    expect(of(people.pair)).toEqual(
      [
        `key-never-used ${keys.pairNew}`,
        `key-never-used ${keys.pairOld}`,
        `key-old ${keys.pairNew}`,
        `key-old ${keys.pairOld}`,
        `two-active-keys ${keys.pairOld}`,
      ].sort(),
    );
    const adminRisk = findings.find((f) => f.kind === "key-old" && f.accessKeyId === keys.admin)?.risk ?? 0;
    const pairRisk = findings.find((f) => f.kind === "key-old" && f.accessKeyId === keys.pairOld)?.risk ?? 0;
    expect(adminRisk).toBeGreaterThan(pairRisk);

    const alerts = await world.alerts();
    expect(alerts.map((a) => a.subject)).toEqual([expect.stringMatching(/^Key hygiene: \d+ findings/)]);
  });

  it("in change-only mode alerts only when a finding is new", async () => {
    const later = new Date(Date.now() + 100 * DAY);
    const audit = localAuditHandler(world, { now: () => later, env: { AUDIT_ALERT_MODE: "change-only" } });
    await audit({});
    await world.alerts();
    expect((await audit({})).alerted).toBe(false);
    expect(await world.alerts()).toEqual([]);

    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: people.pair, AccessKeyId: keys.pairNew, Status: "Inactive" }),
    );
    const afterChange = await audit({});
    // Deactivating a key makes no new finding (its own findings go): nothing to alert.
    expect(afterChange.alerted).toBe(false);
    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: people.pair, AccessKeyId: keys.pairNew, Status: "Active" }),
    );
  });

  it("keeps audit records out of lkr incidents", async () => {
    const run = await lkr(["incidents", "--json", "--table", world.tableName], new Date());
    expect(run.code).toBe(0);
    const ids = (JSON.parse(run.stdout) as { incidentId: string }[]).map((i) => i.incidentId);
    expect(ids).toContain(`${ACCOUNT_ID}-${keys.admin}`);
    expect(ids.filter((id) => id.startsWith("audit#"))).toEqual([]);
  });
});

describe("lkr audit against moto", () => {
  it("prints { findings } per key with kind, userName, accessKeyId and risk, worst first (--endpoint-url, --region, --table)", async () => {
    const later = new Date(Date.now() + 100 * DAY);
    const run = await lkr(
      ["audit", "--json", "--endpoint-url", world.endpoint, "--region", REGION, "--table", world.tableName],
      later,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { findings: (JsonFinding & { incidents?: string[] })[] };
    const risks = out.findings.map((f) => f.risk);
    expect(risks).toEqual([...risks].sort((a, b) => b - a));
    const mine = ours(out.findings);
    for (const f of mine)
      expect(Object.keys(f)).toEqual(expect.arrayContaining(["kind", "userName", "accessKeyId", "risk"]));
    expect(mine.find((f) => f.kind === "admin-key")).toMatchObject({
      userName: people.admin,
      accessKeyId: keys.admin,
      incidents: [`${ACCOUNT_ID}-${keys.admin}`],
    });
    expect(mine.find((f) => f.kind === "console-without-mfa")).toMatchObject({
      userName: people.console,
      accessKeyId: null,
    });
    // A new key within its grace period, never used: no finding at all today.
    const today = ours(
      (
        JSON.parse((await lkr(["audit", "--json", "--table", world.tableName], new Date())).stdout) as {
          findings: JsonFinding[];
        }
      ).findings,
    );
    expect(today.filter((f) => f.userName === people.fresh)).toEqual([]);
  });

  it("prints a table, and runs without an incident table when none is found", async () => {
    const run = await lkr(["audit", "--stack", "NoSuchStack"], new Date(Date.now() + 100 * DAY));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/auditing without exposure history/);
    expect(run.stdout).toMatch(/^RISK\s+KIND\s+USER\s+KEY\s+DETAIL/);
    expect(run.stdout).toContain(people.admin);
  });
});
