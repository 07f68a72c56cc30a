/**
 * npm run drill:honey — honey keys end to end on this machine, no AWS account: moto_server, the
 * stack's table and topic in it, a CloudTrail stand-in in front of moto (local/cloudtrail-emulator.ts)
 * and the deployed honey rule pattern on moto's default bus, delivering to a queue the real respond
 * handler drains as its event source mapping would. `lkr honeykey create` plants a key; `lkr
 * honeykey test` signs a real sts:GetCallerIdentity with it and waits for the alert (time to alert);
 * an "attacker" then uses it from the same IP (recorded, no second alert: cooldown) and from a new
 * IP (alerted); a use CloudTrail never saw is caught by the safety net. Exits 0 only if every
 * expectation held.
 */
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDbHoneyKeys } from "../lambdas/adapters/dynamodb-honey.js";
import {
  createHoneyCheckHandler,
  honeyCheckClients,
  parseHoneyCheckConfig,
} from "../lambdas/handlers/honey-check-handler.js";
import { startCloudTrailEmulator } from "../local/cloudtrail-emulator.js";
import { cloudTrailApiCallEvent, readCloudTrailRecord } from "../local/events.js";
import { routeHoneyUses } from "../local/honey-keys.js";
import type { MotoServer } from "../local/moto-server.js";
import { localRespondHandler } from "../local/respond-handler.js";
import { ACCOUNT_ID, motoClientConfig, REGION, useMoto, World } from "../local/world.js";
import { drillLkr, drillOutput, type LkrOptions, runDrill } from "./drill-output.js";

const PATH = "/service/";
const PLACEMENT = "github.com/acme/payments-api: .env.example (public repo)";
const out = drillOutput();
const { say, heading, check, indent } = out;

const lkr = (args: readonly string[], world: World, options: LkrOptions = {}) =>
  drillLkr(out, args, world, options);

async function drill(moto: MotoServer): Promise<void> {
  useMoto(moto.endpoint);
  say(`honey key local drill — moto_server at ${moto.endpoint}, account ${ACCOUNT_ID}, ${REGION}`);

  heading(1, "The stack's table, topic, honey rule and a CloudTrail stand-in");
  const world = await new World(moto.endpoint).create();
  await world.subscribeEmail("secops@example.com");
  const emulator = await startCloudTrailEmulator(moto.endpoint);
  const route = await routeHoneyUses(world, PATH);
  const handler = localRespondHandler(world);
  say(
    `   honey rule: any CloudTrail call by a user under ${PATH}, state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`,
  );
  say(
    `   CloudTrail stand-in at ${emulator.endpoint} (every call signed with a user's key → an event on the bus)`,
  );
  // The respond function's event source mapping on the informational queue.
  let pumping = true;
  const pump = (async () => {
    while (pumping) {
      await route.pump(handler);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  try {
    heading(2, "Plant a honey key");
    const created = await lkr(["honeykey", "create", "--placement", PLACEMENT, "--json"], world);
    check(created.code === 0, "lkr honeykey create exits 0");
    const key = JSON.parse(created.stdout) as {
      accessKeyId: string;
      secretAccessKey: string;
      userName: string;
      placement: string;
    };
    check(!/canary|honey|decoy|trap/i.test(key.userName), `user name ${key.userName} looks ordinary`);

    heading(3, "lkr honeykey test: a real signed call with the key, waiting for the alert");
    const tested = await lkr(["honeykey", "test", key.accessKeyId], world, {
      env: { LKR_HONEYKEY_SECRET: key.secretAccessKey },
      endpoint: emulator.endpoint,
    });
    check(tested.code === 0, "lkr honeykey test exits 0");
    const timeToAlert = /Time to alert: (\d+\.\d+) s/.exec(tested.stdout)?.[1];
    check(timeToAlert !== undefined, "it printed the time to alert");

    heading(4, "An attacker found the key: GetCallerIdentity, twice, from the same address");
    const before = (await world.emailsSent()).length;
    const honey = new DynamoDbHoneyKeys(world.dynamo, world.tableName);
    const attacker = new STSClient({
      ...motoClientConfig(emulator.endpoint),
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    });
    const started = performance.now();
    const startedAt = Date.now();
    say(`   caller: ${(await attacker.send(new GetCallerIdentityCommand({}))).Arn}`);
    await attacker.send(new GetCallerIdentityCommand({}));
    attacker.destroy();
    // Alerted: the record names an alert for a use after the call (polled every 10 ms).
    const alertedAfterCall = async () => {
      const alertedAt = (await honey.get(key.accessKeyId))?.lastAlert?.at;
      return alertedAt !== undefined && Date.parse(alertedAt) >= startedAt
        ? Date.parse(alertedAt)
        : undefined;
    };
    let alertedAt = await alertedAfterCall();
    while (alertedAt === undefined && performance.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 10));
      alertedAt = await alertedAfterCall();
    }
    const attackMs = alertedAt === undefined ? Number.NaN : alertedAt - startedAt;
    await new Promise((r) => setTimeout(r, 300)); // the second call's event, handled
    const emails = await world.emailsSent();
    const attackEmail = emails[before];
    check(
      emails.length === before + 1,
      "one alert for two uses from one address (the second is recorded, in cooldown)",
    );
    if (attackEmail) {
      say(indent(`Subject: ${attackEmail.subject}\n\n${attackEmail.body}`, "   ┃ "));
      say(
        `   time to alert: ${(attackMs / 1000).toFixed(2)} s (signed call → alert published, from the record)`,
      );
    }

    heading(5, "The same key from a new address (a published CloudTrail record, replayed for this key)");
    await handler(
      cloudTrailApiCallEvent(readCloudTrailRecord("stratus-get-caller-identity-iam-user.json"), {
        arn: `arn:aws:iam::${ACCOUNT_ID}:user${PATH}${key.userName}`,
        userName: key.userName,
        key: key.accessKeyId,
      }),
    );
    const afterNewIp = await world.emailsSent();
    check(afterNewIp.length === emails.length + 1, "a new source IP alerts at once");
    say(`   "${afterNewIp.at(-1)?.subject ?? ""}"`);
    check(
      (await world.keyStatuses(key.userName))[key.accessKeyId] === "Active",
      "the key stays Active (never contained)",
    );
    check((await lkr(["honeykey", "show", key.accessKeyId], world)).code === 0, "lkr honeykey show exits 0");

    heading(6, "A use CloudTrail never shows: the hourly safety net (GetAccessKeyLastUsed)");
    const unlogged = new STSClient({
      ...motoClientConfig(moto.endpoint),
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    });
    await new Promise((r) => setTimeout(r, 1100)); // last-used must move past the last CloudTrail use
    await unlogged.send(new GetCallerIdentityCommand({}));
    unlogged.destroy();
    // This drill's "CloudTrail" delivers at once, so it allows no lag (deployed: 300 s, see README).
    const checkRun = await createHoneyCheckHandler(
      parseHoneyCheckConfig(world.env({ HONEY_LAST_USED_TOLERANCE_SECONDS: "0" })),
      honeyCheckClients(motoClientConfig(moto.endpoint)),
    )({}, { invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:honey-check` });
    say(`   safety net: ${JSON.stringify(checkRun.alerts)}`);
    check(
      checkRun.alerts.some((a) => a.accessKeyId === key.accessKeyId && a.kind === "unseen-use"),
      "the safety net alerts: last-used moved past every use CloudTrail showed",
    );
    say(`   "${(await world.emailsSent()).at(-1)?.subject ?? ""}"`);

    heading(7, "Retire it (disable, never delete)");
    check(
      (await lkr(["honeykey", "retire", key.accessKeyId], world)).code === 0,
      "lkr honeykey retire exits 0",
    );
    check(
      (await world.keyStatuses(key.userName))[key.accessKeyId] === "Inactive",
      "the key is Inactive and kept",
    );

    say();
    say(
      `Time to alert: ${timeToAlert ?? "?"} s (lkr honeykey test), ${(attackMs / 1000).toFixed(2)} s (attacker's call), CloudTrail's own delivery delay not included.`,
    );
  } finally {
    pumping = false;
    await pump;
    await emulator.stop();
  }
}

process.exitCode = await runDrill("Honey key drill", out, drill);
