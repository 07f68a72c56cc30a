/**
 * The local drill's persistence stage: a leaked key made a second key for another user before it
 * was contained. moto has no CloudTrail LookupEvents, so the event history is served (through
 * aws-sdk-client-mock) from a published record — Stratus Red Team's CreateAccessKey detonation —
 * with the names and key ids replaced by the emulator's (see test/fixtures/cloudtrail-records/README.md).
 * Everything else is real: the investigate handler finds the key and puts Persistence Found on the
 * responder's bus; the respond handler contains that key as an incident of its own.
 */
import { readFileSync } from "node:fs";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { mockClient } from "aws-sdk-client-mock";
import { healthEvent } from "../local/events.js";
import { incidentContainedEvent, LocalInvestigation } from "../local/investigate-handler.js";
import type { localRespondHandler } from "../local/respond-handler.js";
import { ACCOUNT_ID, type World } from "../local/world.js";
import type { DrillOutput } from "./drill-output.js";

export type StageIo = Pick<DrillOutput, "say" | "check">;

const RECORD = new URL("../test/fixtures/cloudtrail-records/stratus-create-access-key.json", import.meta.url);

/** The published record as this world's attacker left it: signed with `leaked`, minting `made` for `user`. */
function createAccessKeyRecord(leaked: string, made: string, user: string): Record<string, unknown> {
  const record = JSON.parse(readFileSync(RECORD, "utf8")) as Record<string, Record<string, unknown>>;
  const accessKey = (record.responseElements as { accessKey: Record<string, unknown> }).accessKey;
  return {
    ...record,
    eventTime: new Date(Date.now() - 60_000).toISOString(),
    awsRegion: "us-east-1",
    recipientAccountId: ACCOUNT_ID,
    userIdentity: { ...record.userIdentity, accessKeyId: leaked },
    requestParameters: { userName: user },
    responseElements: { accessKey: { ...accessKey, accessKeyId: made, userName: user } },
  };
}

export async function persistenceStage(
  world: World,
  respond: ReturnType<typeof localRespondHandler>,
  { say, check }: StageIo,
): Promise<void> {
  const victim = await world.user("erin");
  const leaked = victim.keys[0] as string;
  const backdoor = await world.user("backdoor");
  const made = backdoor.keys[0] as string;
  say(`   ${victim.name}'s key ${leaked} leaked; with it the attacker made key ${made} for ${backdoor.name}`);
  await respond(healthEvent("risk-credentials-exposed.json", [leaked]));
  check(
    (await world.keyStatuses(victim.name))[leaked] === "Inactive",
    `the leaked key ${leaked} is Inactive`,
  );
  check(
    (await world.keyStatuses(backdoor.name))[made] === "Active",
    `the key it made, ${made}, is still Active`,
  );

  const record = createAccessKeyRecord(leaked, made, backdoor.name);
  const cloudTrail = mockClient(CloudTrailClient);
  cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
  cloudTrail
    .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: leaked }] })
    .resolves({
      Events: [
        {
          EventId: String(record.eventID),
          EventName: "CreateAccessKey",
          EventTime: new Date(String(record.eventTime)),
          EventSource: "iam.amazonaws.com",
          AccessKeyId: leaked,
          CloudTrailEvent: JSON.stringify(record),
        },
      ],
    });
  try {
    const investigation = await new LocalInvestigation(world).create();
    const investigated = await investigation.handler()(incidentContainedEvent(`${ACCOUNT_ID}-${leaked}`), {
      invokedFunctionArn: investigation.functionArn,
    });
    say(
      `   investigate: ${"persistence" in investigated ? investigated.persistence : 0} persistence finding(s) handed over; containment check due ${"checkAt" in investigated ? investigated.checkAt : "?"}`,
    );
    const found = await investigation.persistenceEvents();
    check(found.length === 1, "one Persistence Found on the responder's bus");
    await world.alerts();
    for (const event of found) await respond(event);
  } finally {
    cloudTrail.restore();
  }
  check(
    (await world.keyStatuses(backdoor.name))[made] === "Inactive",
    `the key it made, ${made}, is Inactive`,
  );
  const linked = await world.incident(`${ACCOUNT_ID}-${made}`);
  check(
    linked?.status === "contained" &&
      linked.signals[0]?.evidence.linkedIncident === `${ACCOUNT_ID}-${leaked}`,
    `incident ${ACCOUNT_ID}-${made} is contained, linked to ${ACCOUNT_ID}-${leaked}`,
  );
  const subject = (await world.alerts()).map((a) => a.subject).find((s) => s.includes("Attacker-made"));
  say(`   alert: "${subject ?? "none"}"`);
  check(subject !== undefined, "the alert names the attacker-made key");
}
