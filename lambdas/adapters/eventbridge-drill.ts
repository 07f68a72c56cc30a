import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { DrillEventEntry } from "../core/drill-canary.js";
import { AwsCallError } from "../core/errors.js";
import { call } from "./aws-errors.js";

/** Sends one drill event on the bus the responder's rules listen on; returns the event id. */
export async function sendDrillEvent(
  client: EventBridgeClient,
  entry: DrillEventEntry,
  eventBusName: string,
): Promise<string> {
  const out = await call("events:PutEvents", () =>
    client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: entry.source,
            DetailType: entry.detailType,
            Detail: JSON.stringify(entry.detail),
            EventBusName: eventBusName,
            Resources: [],
          },
        ],
      }),
    ),
  );
  const result = out.Entries?.[0];
  if ((out.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
    throw new AwsCallError("events:PutEvents", result?.ErrorCode ?? "FailedEntry", {
      cause: new Error(result?.ErrorMessage ?? "the drill event was not accepted"),
    });
  }
  return result.EventId;
}
