import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DetachUserPolicyCommand,
  GetUserCommand,
  ListAttachedUserPoliciesCommand,
  ListUserTagsCommand,
} from "@aws-sdk/client-iam";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { capturedIo, type Io } from "../../cli/io.js";
import { honeyItemKey } from "../../lambdas/core/honeykey/model.js";
import {
  createHoneyCheckHandler,
  honeyCheckClients,
  parseHoneyCheckConfig,
} from "../../lambdas/handlers/honey-check-handler.js";
import type { RespondHandler } from "../../lambdas/handlers/respond-handler.js";
import { type CloudTrailEmulator, startCloudTrailEmulator } from "../../local/cloudtrail-emulator.js";
import { cloudTrailApiCallEvent, guardDutyEvent, readCloudTrailRecord } from "../../local/events.js";
import { type HoneyRoute, routeHoneyUses } from "../../local/honey-keys.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, motoClientConfig, useMoto, World } from "../../local/world.js";

/**
 * Honey keys against moto: lkr plants, lists, rotates and retires them; a real signed call with the
 * key goes through the CloudTrail stand-in (local/cloudtrail-emulator.ts), the deployed honey rule
 * pattern in moto's EventBridge, the informational queue and the real respond handler; the safety
 * net runs its real handler against moto's GetAccessKeyLastUsed (moto moves it on every signed call).
 */
const PATH = "/service/";
const DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll";
type Main = (argv: readonly string[], options?: { io?: Io }) => Promise<number>;

let world: World;
let emulator: CloudTrailEmulator;
let route: HoneyRoute;
let handler: RespondHandler;
let main: Main;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function lkr(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const run = capturedIo({ env });
  const code = await main([...args, "--table", world.tableName, "--topic", world.topicArn], { io: run.io });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

interface Planted {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  placement: string;
  path: string;
}

async function plant(placement: string): Promise<Planted> {
  const run = await lkr(["honeykey", "create", "--placement", placement, "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Planted;
}

/** One real signed call with the key, through the CloudTrail stand-in or straight to moto (unseen by "CloudTrail"). */
async function callerIdentity(key: Planted, via: "cloudtrail" | "unlogged"): Promise<string | undefined> {
  const sts = new STSClient({
    ...motoClientConfig(via === "cloudtrail" ? emulator.endpoint : world.endpoint),
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

/** A published record as the honey user signed it, from another source IP. */
function publishedUse(key: Planted, sourceIp: string, eventId: string) {
  return cloudTrailApiCallEvent(readCloudTrailRecord("stratus-get-caller-identity-iam-user.json"), {
    arn: `arn:aws:iam::${ACCOUNT_ID}:user${key.path}${key.userName}`,
    userName: key.userName,
    key: key.accessKeyId,
    sourceIp,
    eventId,
  });
}

const honeyCheck = () =>
  createHoneyCheckHandler(
    parseHoneyCheckConfig(world.env()),
    honeyCheckClients(motoClientConfig(world.endpoint)),
  );
const CONTEXT = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:honey-check` };

beforeAll(async () => {
  useMoto(inject("motoEndpoint"));
  world = await new World(inject("motoEndpoint")).create();
  emulator = await startCloudTrailEmulator(world.endpoint);
  route = await routeHoneyUses(world, PATH);
  handler = localRespondHandler(world);
  main = (await import("../../cli/main.js")).main;
});

afterAll(async () => {
  await emulator?.stop();
});

describe("lkr honeykey create", () => {
  it("--json prints accessKeyId, secretAccessKey, userName and placement; IAM holds a powerless, tagged, ordinary-looking user", async () => {
    const key = await plant("acme/infra: .env.example");
    expect(key).toMatchObject({ placement: "acme/infra: .env.example", path: PATH });
    expect(key.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(key.secretAccessKey.length).toBeGreaterThan(20);
    expect(key.userName).not.toMatch(/canary|honey|decoy|trap/i);
    const user = (await world.iam.send(new GetUserCommand({ UserName: key.userName }))).User;
    expect(user?.Path).toBe(PATH);
    const attached = await world.iam.send(new ListAttachedUserPoliciesCommand({ UserName: key.userName }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([DENY_ALL]);
    const tags = await world.iam.send(new ListUserTagsCommand({ UserName: key.userName }));
    expect(tags.Tags).toEqual([{ Key: "leaked-key-responder:honeykey", Value: "true" }]);
    expect(await world.keyStatuses(key.userName)).toEqual({ [key.accessKeyId]: "Active" });
  });

  it("prints the key in ~/.aws/credentials, environment and JSON forms for people", async () => {
    const run = await lkr(["honeykey", "create", "--placement", "laptop ~/.aws/credentials"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /\[[\w-]+\]\naws_access_key_id = AKIA[A-Z0-9]{16}\naws_secret_access_key = \S+/,
    );
    expect(run.stdout).toMatch(/export AWS_ACCESS_KEY_ID=AKIA[A-Z0-9]{16}\nexport AWS_SECRET_ACCESS_KEY=\S+/);
    expect(run.stdout).toMatch(
      /\{"AccessKeyId":"AKIA[A-Z0-9]{16}","SecretAccessKey":"[^"]+","Region":"us-east-1"\}/,
    );
  });

  it("refuses no placement, a tell-tale name pattern and a tell-tale path, creating nothing", async () => {
    expect((await lkr(["honeykey", "create"])).code).toBe(2);
    expect(
      (await lkr(["honeykey", "create", "--placement", "x", "--name-pattern", "canary-{n}"])).stderr,
    ).toMatch(/contains "canary"/);
    expect((await lkr(["honeykey", "create", "--placement", "x", "--path", "/honey/"])).stderr).toMatch(
      /contains "honey"/,
    );
  });
});

describe("a honey key used", () => {
  it("a real signed call reaches the handler through the honey rule and raises one critical alert naming placement, IP, agent, region, call and time; the key is never touched", async () => {
    const key = await plant("ci: GitHub Actions secret of acme/api");
    await world.alerts();
    expect(await callerIdentity(key, "cloudtrail")).toBe(
      `arn:aws:iam::${ACCOUNT_ID}:user${PATH}${key.userName}`,
    );
    await route.pump(handler);
    const alerts = await world.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toMatch(
      /^\[CRITICAL\] Honey key AKIA\.\.\.\w{4} used from 127\.0\.0\.1 - ci: GitHub Actions/,
    );
    expect(alerts[0]?.body).toMatchObject({
      type: "leaked-key-responder.honeykey-used",
      placement: "ci: GitHub Actions secret of acme/api",
      use: { call: "sts.amazonaws.com:GetCallerIdentity", sourceIp: "127.0.0.1", region: "us-east-1" },
    });
    expect(String((alerts[0]?.body.use as { userAgent?: string } | undefined)?.userAgent)).toMatch(
      /aws-sdk-js/,
    );
    expect(await world.keyStatuses(key.userName)).toEqual({ [key.accessKeyId]: "Active" });
    const attached = await world.iam.send(new ListAttachedUserPoliciesCommand({ UserName: key.userName }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([DENY_ALL]);
    expect(await world.incident(`${ACCOUNT_ID}-${key.accessKeyId}`)).toBeUndefined();
  });

  it("records every use but alerts once per source IP within the cooldown, and at once for a new IP", async () => {
    const key = await plant("container image acme/worker:1.4");
    await handler(publishedUse(key, "198.51.100.7", "11111111-1111-4111-8111-111111111111"));
    await handler(publishedUse(key, "198.51.100.7", "22222222-2222-4222-8222-222222222222"));
    await handler(publishedUse(key, "198.51.100.7", "22222222-2222-4222-8222-222222222222")); // a duplicate delivery
    await handler(publishedUse(key, "203.0.113.9", "33333333-3333-4333-8333-333333333333"));
    const alerts = await world.alerts();
    expect(alerts.map((a) => (a.body.use as { sourceIp: string }).sourceIp)).toEqual([
      "198.51.100.7",
      "203.0.113.9",
    ]);
    const show = await lkr(["honeykey", "show", key.accessKeyId, "--json"]);
    expect(JSON.parse(show.stdout)).toMatchObject({
      uses: 3,
      lastUse: { eventId: "33333333-3333-4333-8333-333333333333", sourceIp: "203.0.113.9" },
      alertedIps: { "198.51.100.7": { eventId: "11111111-1111-4111-8111-111111111111" } },
    });
  });

  it("alerts again for the same IP once the cooldown has passed", async () => {
    const key = await plant("wiki page: onboarding");
    const quick = localRespondHandler(world, { env: { HONEY_ALERT_COOLDOWN_SECONDS: "0" } });
    await world.alerts();
    await quick(publishedUse(key, "198.51.100.8", "44444444-4444-4444-8444-444444444444"));
    await new Promise((r) => setTimeout(r, 5));
    await quick(publishedUse(key, "198.51.100.8", "55555555-5555-4555-8555-555555555555"));
    expect(await world.alerts()).toHaveLength(2);
  });

  it("a containment signal about a honey key only notifies: the key stays Active, no quarantine", async () => {
    const key = await plant("s3://acme-backups/config.json");
    const result = await handler(
      guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key: key.accessKeyId, user: key.userName }),
    );
    expect(result.outcomes.map((o) => o.decision)).toEqual(["notify"]);
    expect(await world.keyStatuses(key.userName)).toEqual({ [key.accessKeyId]: "Active" });
    const attached = await world.iam.send(new ListAttachedUserPoliciesCommand({ UserName: key.userName }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([DENY_ALL]);
  });

  it("a user under the path with no honey record is left to the rest of the responder", async () => {
    const stray = {
      accessKeyId: "AKIASTRAY0000EXAMPLE",
      secretAccessKey: "",
      userName: "stray",
      placement: "",
      path: PATH,
    };
    await world.alerts();
    const result = await handler(publishedUse(stray, "198.51.100.9", "66666666-6666-4666-8666-666666666666"));
    expect(result).toEqual({ status: "ignored", outcomes: [] });
    expect(await world.alerts()).toEqual([]);
  });
});

describe("the honey rule pattern in moto's EventBridge", () => {
  async function delivered(event: Record<string, unknown>): Promise<number> {
    await world.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: String(event.source),
            DetailType: String(event["detail-type"]),
            Detail: JSON.stringify(event.detail),
            Resources: [],
          },
        ],
      }),
    );
    const out = await world.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: route.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return (out.Messages ?? []).length;
  }

  it.each([
    "stratus-get-caller-identity-iam-user.json",
    "stratus-list-secrets.json",
    "stratus-assume-role-denied-iam-user.json",
  ])(
    "delivers %s signed by a user under the path, and not the same record of a user outside it",
    async (file) => {
      const record = readCloudTrailRecord(file) as {
        userIdentity: { arn: string; userName: string; accessKeyId: string };
      };
      const outside = cloudTrailApiCallEvent(record);
      expect(await delivered(outside)).toBe(0);
      const [prefix, name] = record.userIdentity.arn.split(":user/") as [string, string];
      const inside = cloudTrailApiCallEvent(record, {
        arn: `${prefix}:user${PATH}${name}`,
        userName: name,
        key: record.userIdentity.accessKeyId,
      });
      expect(await delivered(inside)).toBe(1);
      expect(await delivered({ ...inside, source: "acme.cloudtrail" })).toBe(0); // a custom source: anyone's PutEvents
      const look = cloudTrailApiCallEvent(record, {
        arn: `${prefix}:user/services/${name}`,
        userName: name,
        key: record.userIdentity.accessKeyId,
      });
      expect(await delivered(look)).toBe(0);
    },
  );
});

describe("lkr honeykey list, retire, rotate", () => {
  it("retire sets the key Inactive and keeps user and key; rotate plants a new key for the same placement and keeps the old one Inactive", async () => {
    const a = await plant("jenkins credentials store");
    const b = await plant("terraform.tfvars in acme/infra");
    expect((await lkr(["honeykey", "retire", a.accessKeyId])).code).toBe(0);
    expect(await world.keyStatuses(a.userName)).toEqual({ [a.accessKeyId]: "Inactive" });

    const rotated = await lkr(["honeykey", "rotate", b.accessKeyId, "--json"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout) as Planted;
    expect(next.placement).toBe(b.placement);
    expect(next.accessKeyId).not.toBe(b.accessKeyId);
    expect(await world.keyStatuses(b.userName)).toEqual({ [b.accessKeyId]: "Inactive" });
    expect(await world.keyStatuses(next.userName)).toEqual({ [next.accessKeyId]: "Active" });

    const list = JSON.parse((await lkr(["honeykey", "list", "--json"])).stdout) as {
      honeyKeys: { accessKeyId: string; state: string; replacedBy?: string }[];
    };
    const byKey = new Map(list.honeyKeys.map((k) => [k.accessKeyId, k]));
    expect(byKey.get(a.accessKeyId)?.state).toBe("retired");
    expect(byKey.get(b.accessKeyId)).toMatchObject({ state: "rotated", replacedBy: next.accessKeyId });
    expect(byKey.get(next.accessKeyId)?.state).toBe("active");
    expect(list.honeyKeys.some((k) => "secretAccessKey" in k)).toBe(false);
    expect((await lkr(["honeykey", "rotate", b.accessKeyId])).code).toBe(2);
  });

  it("show names an unknown key as a usage error", async () => {
    const run = await lkr(["honeykey", "show", "AKIANOTAHONEYEXAMPLE"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is no honey key/);
  });
});

describe("lkr honeykey test", () => {
  it("makes a real signed call with the key, waits for its alert and prints the time to alert, whatever the cooldown", async () => {
    const key = await plant("drill: npm package acme-cli");
    await callerIdentity(key, "cloudtrail"); // an earlier use from the same IP: its alert starts the cooldown
    await route.pump(handler);
    await world.alerts();
    let done = false;
    const pumping = (async () => {
      while (!done) {
        await route.pump(handler);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const run = await lkr(
      ["honeykey", "test", key.accessKeyId, "--endpoint-url", emulator.endpoint, "--timeout", "30"],
      {
        LKR_HONEYKEY_SECRET: key.secretAccessKey,
      },
    ).finally(() => {
      done = true;
    });
    await pumping;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Time to alert: \d+\.\d\d s/);
    const alerts = await world.alerts();
    expect(alerts.map((a) => a.subject)).toEqual([
      expect.stringMatching(/^\[CRITICAL\] \(lkr honeykey test\) Honey key/),
    ]);
  });

  it("without the secret it is a usage error and calls nothing", async () => {
    const key = await plant("drill: no secret");
    const run = await lkr(["honeykey", "test", key.accessKeyId]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/LKR_HONEYKEY_SECRET/);
  });
});

describe("the last-used safety net", () => {
  it("alerts once when the key was used where CloudTrail saw nothing, and not for a use CloudTrail showed", async () => {
    const seen = await plant("safety net: seen use");
    const unseen = await plant("safety net: unseen use");
    await callerIdentity(seen, "cloudtrail");
    await route.pump(handler);
    await callerIdentity(unseen, "unlogged");
    await world.alerts();

    const first = await honeyCheck()({}, CONTEXT);
    const mine = first.alerts.filter((a) => [seen.accessKeyId, unseen.accessKeyId].includes(a.accessKeyId));
    expect(mine).toEqual([{ accessKeyId: unseen.accessKeyId, kind: "unseen-use" }]);
    const subjects = (await world.alerts()).map((a) => a.subject);
    expect(subjects).toContainEqual(
      expect.stringMatching(
        /Honey key AKIA\.\.\.\w{4}: used without a CloudTrail record - safety net: unseen use/,
      ),
    );

    const again = await honeyCheck()({}, CONTEXT);
    expect(again.alerts.filter((a) => a.accessKeyId === unseen.accessKeyId)).toEqual([]);
    const stored = await world.dynamo.send(
      new (await import("@aws-sdk/client-dynamodb")).GetItemCommand({
        TableName: world.tableName,
        Key: { incidentId: { S: honeyItemKey(unseen.accessKeyId) } },
      }),
    );
    expect(stored.Item?.lastUsedSeen?.S).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("alerts when the deny-all policy was detached", async () => {
    const key = await plant("safety net: guard");
    await world.iam.send(new DetachUserPolicyCommand({ UserName: key.userName, PolicyArn: DENY_ALL }));
    const result = await honeyCheck()({}, CONTEXT);
    expect(result.alerts.filter((a) => a.accessKeyId === key.accessKeyId)).toEqual([
      { accessKeyId: key.accessKeyId, kind: "guard-missing" },
    ]);
    await world.alerts();
  });
});
