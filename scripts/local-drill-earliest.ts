/**
 * The earliest-signal part of `npm start`: AWS's own quarantine call, as CloudTrail records it
 * about a minute before AWS's Health event, through the real respond handler — the key goes
 * Inactive at once, and the Health event that follows joins the same incident. Then the record
 * that names no key, for a user with two Active keys: the user is fenced, no key is touched, and
 * the Health event contains exactly the key it names.
 */

import type { RespondHandler } from "../lambdas/handlers/respond-handler.js";
import { awsQuarantineEvent, healthEvent } from "../local/events.js";
import { ACCOUNT_ID, type World } from "../local/world.js";
import type { DrillOutput } from "./drill-output.js";

export async function earliestSignalDrill(
  n: number,
  world: World,
  handler: RespondHandler,
  out: DrillOutput,
): Promise<void> {
  const { say, heading, check } = out;
  heading(n, "The earliest signal: AWS's own quarantine call (CloudTrail), then its Health event");
  const bob = await world.user("bob", { keys: 2 });
  const [leaked, other] = bob.keys as [string, string];
  const id = `${ACCOUNT_ID}-${leaked}`;
  say(`   user ${bob.name}, keys ${leaked} (the leaked one) and ${other}`);
  say("   CloudTrail: PutUserPolicy AWSExposedCredentialPolicy_DO_NOT_REMOVE by aws-internal, as the user");
  const first = await handler(
    awsQuarantineEvent("put-user-policy-aws-exposed-credential.json", { user: bob.name, key: leaked }),
  );
  say(`   decision: ${first.outcomes.map((o) => `${o.decision} ${o.incidentId}`).join(", ")}`);
  const statuses = await world.keyStatuses(bob.name);
  check(statuses[leaked] === "Inactive", `key ${leaked} is Inactive before AWS's Health event`);
  check(statuses[other] === "Active", `key ${other} is untouched`);
  const health = await handler(healthEvent("risk-credentials-exposed.json", [leaked]));
  check(
    health.outcomes.map((o) => o.incidentId).join() === id,
    "the Health event that follows joins the same incident",
  );
  const incident = await world.incident(id);
  say(
    `   incident ${id}: ${incident?.status}, signals ${incident?.signals.map((s) => s.signal).join(" → ")}`,
  );
  check(incident?.signals.length === 2 && incident.status === "contained", "one incident, both signals");

  say();
  say("   The same call recorded under another identity (names no key), user with two Active keys:");
  const dave = await world.user("dave", { keys: 2 });
  const [k1, k2] = dave.keys as [string, string];
  const fence = await handler(
    awsQuarantineEvent("attach-user-policy-aws-quarantine-v2.json", { user: dave.name }),
  );
  say(`   decisions: ${fence.outcomes.map((o) => `${o.decision} ${o.incidentId}`).join(", ")}`);
  const both = await world.keyStatuses(dave.name);
  check(both[k1] === "Active" && both[k2] === "Active", "neither candidate key is changed");
  check(
    (await world.userState(dave.name)).attached.includes(world.sessionDenyPolicyArn),
    "the user's sessions are denied (AWS's quarantine is already attached)",
  );
  const named = await handler(healthEvent("risk-credentials-exposed.json", [k2]));
  say(`   Health names ${k2}: ${named.outcomes.map((o) => `${o.decision} ${o.incidentId}`).join(", ")}`);
  const after = await world.keyStatuses(dave.name);
  check(after[k2] === "Inactive" && after[k1] === "Active", `exactly ${k2} is disabled`);
  check(
    (await world.incident(`${ACCOUNT_ID}-${k2}`))?.signals.length === 2,
    "in the incident the fence opened for that key",
  );
  await world.alerts();
}
