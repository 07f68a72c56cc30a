/**
 * npm start — the whole loop on this machine, no AWS account: moto_server on a free loopback
 * port, the stack's table and topic in it, a user with a key, a real-format Health
 * AWS_RISK_CREDENTIALS_EXPOSED event and a GuardDuty finding through the real respond handler,
 * the key going Inactive, the quarantine, `lkr incidents` / `lkr show`, the alert as an email
 * reader gets it, `lkr release`, and the key Active again. Prints time-to-contain. Exits 0 only if
 * every expectation held.
 *
 * The email: moto delivers nothing to email subscribers, and an SQS subscriber gets the `sqs`
 * body (the JSON for machines), not the text. So the drill reads the message the handler really
 * published, as moto keeps it, and takes the body SNS sends to email subscribers (the `email` key).
 * Nothing is re-rendered: what is printed is what the handler sent.
 */
import { performance } from "node:perf_hooks";
import { recordAwsCalls } from "../bench/aws-call-log.js";
import { quietSdkNodeVersionWarning } from "../cli/sdk-warnings.js";
import { DEFAULT_QUARANTINE_POLICY_ARN } from "../lambdas/core/config.js";
import { DEFAULT_STACK_NAME, STATUS_INDEX } from "../lambdas/core/contract.js";
import { guardDutyEvent, healthEvent } from "../local/events.js";
import type { MotoServer } from "../local/moto-server.js";
import { localRespondHandler } from "../local/respond-handler.js";
import { ACCOUNT_ID, REGION, useMoto, World } from "../local/world.js";
import { drillLkr, drillOutput, runDrill } from "./drill-output.js";
import { persistenceStage } from "./drill-persistence.js";
import { earliestSignalDrill } from "./local-drill-earliest.js";

quietSdkNodeVersionWarning(); // as lkr does: the drill's output is the SDK calls' results, not Node notices
const QUARANTINE = DEFAULT_QUARANTINE_POLICY_ARN;
const EMAIL = "secops@example.com";

const out = drillOutput();
const { say, heading, check, indent } = out;

/** lkr, in-process, against the emulator: the same main() that bin/lkr.mjs runs. */
async function lkr(args: readonly string[], world: World, endpoint: string): Promise<number> {
  return (await drillLkr(out, args, world, { endpoint })).code;
}

async function drill(moto: MotoServer): Promise<void> {
  const endpoint = moto.endpoint;
  useMoto(endpoint);
  say(`leaked-key-responder local drill — moto_server at ${endpoint}, account ${ACCOUNT_ID}, ${REGION}`);

  heading(1, "The stack's resources in the emulator");
  const world = await new World(endpoint).create();
  await world.subscribeEmail(EMAIL);
  say(`   incident table ${world.tableName} (index ${STATUS_INDEX}), alert topic ${world.topicArn}`);
  say(`   subscribers: ${EMAIL} (email), an SQS queue (machine JSON)`);
  const calls = recordAwsCalls();
  const handler = localRespondHandler(world, { env: { STACK_NAME: DEFAULT_STACK_NAME } });

  heading(2, "A user with an access key");
  const user = await world.user("alice");
  const key = user.keys[0] as string;
  const incidentId = `${ACCOUNT_ID}-${key}`;
  say(`   user ${user.name}, access key ${key}`);
  check((await world.keyStatuses(user.name))[key] === "Active", `key ${key} is Active`);

  heading(3, "AWS Health AWS_RISK_CREDENTIALS_EXPOSED → respond handler");
  calls.reset();
  const entry = performance.now();
  const health = await handler(healthEvent("risk-credentials-exposed.json", [key]));
  const handled = performance.now() - entry;
  const disable = calls.calls.find((c) => c.operation === "UpdateAccessKey");
  const timeToContain = disable?.end === undefined ? undefined : disable.end - entry;
  say(`   decision: ${health.outcomes.map((o) => o.decision).join(", ")}`);
  check(health.outcomes.map((o) => o.decision).join() === "contain", "the handler decided to contain");
  check((await world.keyStatuses(user.name))[key] === "Inactive", `key ${key} is Inactive`);
  check(timeToContain !== undefined, "the key was disabled with UpdateAccessKey");
  if (timeToContain !== undefined) {
    say(`   time to contain: ${timeToContain.toFixed(1)} ms (event in → UpdateAccessKey answered)`);
  }
  say(`   every step (record, fence, alert, event) done in ${handled.toFixed(1)} ms`);

  heading(
    4,
    "GuardDuty UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom for the same key → respond handler",
  );
  const guardDuty = await handler(
    guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name }),
  );
  say(`   decision: ${guardDuty.outcomes.map((o) => o.decision).join(", ")} (the key was contained already)`);
  check(
    guardDuty.outcomes.map((o) => o.decision).join() === "contain",
    "the finding is recorded on the incident",
  );

  heading(5, "The quarantine");
  const fenced = await world.userState(user.name);
  say(`   attached policies: ${fenced.attached.join(", ") || "none"}`);
  say(`   inline policies:   ${fenced.inline.join(", ") || "none"}`);
  say(
    `   tags:              ${
      Object.entries(fenced.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "none"
    }`,
  );
  check(fenced.attached.includes(QUARANTINE), `${QUARANTINE.split("/").pop()} is attached`);
  check(
    fenced.attached.includes(world.sessionDenyPolicyArn),
    "its sessions are denied (the stack's deny-only session policy)",
  );
  check(fenced.inline.length === 0, "no inline policy was written (the responder cannot grant)");
  check(`leaked-key-responder:quarantine:${key}` in fenced.tags, "the user is tagged");

  heading(6, "The incident");
  check((await lkr(["incidents"], world, endpoint)) === 0, "lkr incidents exits 0");
  check((await lkr(["show", incidentId], world, endpoint)) === 0, "lkr show exits 0");
  const incident = await world.incident(incidentId);
  check(incident?.status === "contained", "the incident is contained");
  check(incident?.signals.length === 2, "it holds both signals");

  heading(7, `The alert, as ${EMAIL} reads it`);
  const emails = await world.emailsSent();
  const [first, ...others] = emails;
  if (first) {
    say(indent(`Subject: ${first.subject}\n\n${first.body}`, "   ┃ "));
    for (const other of others) say(`   (and: "${other.subject}")`);
  }
  check(emails.length === 2, "one email per signal");
  check(
    first?.body.includes(`npx leaked-key-responder release ${incidentId}`) === true,
    "the email says how to release",
  );
  check((await world.alerts()).length === 2, "the SQS subscriber got the machine JSON of both");

  heading(8, "Release it (a false alarm)");
  check(
    (await lkr(["release", incidentId, "--reason", "local drill: false alarm", "--yes"], world, endpoint)) ===
      0,
    "lkr release exits 0",
  );
  check((await world.keyStatuses(user.name))[key] === "Active", `key ${key} is Active again`);
  const released = await world.userState(user.name);
  check(released.attached.length === 0, "the quarantine and session-deny policies are detached");
  check(Object.keys(released.tags).length === 0, "the tag is removed");
  const after = await world.incident(incidentId);
  check(after?.status === "released", "the incident is released");
  check(after?.releases?.[0]?.by === `arn:aws:sts::${ACCOUNT_ID}:user/moto`, "the caller's ARN is recorded");
  const releaseEmail = (await world.emailsSent()).at(-1);
  say(`   release alert: "${releaseEmail?.subject ?? "none"}"`);
  check(releaseEmail?.subject.startsWith("[RELEASED]") === true, "the release sent an alert");

  await earliestSignalDrill(9, world, handler, { say, heading, check });
  heading(10, "Persistence: a key the leaked key made is contained too");
  await persistenceStage(world, handler, { say, check });

  say();
  say(
    timeToContain === undefined
      ? "Time to contain: not measured."
      : `Time to contain: ${timeToContain.toFixed(1)} ms from the Health event entering the handler to the key being Inactive.`,
  );
}

process.exitCode = await runDrill("Local drill", out, drill);
