import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DrillEventEntry } from "../core/drill-canary.js";
import { AwsCallError } from "../core/errors.js";
import { putOneEvent } from "./eventbridge-put.js";

/** Sends one drill event on the bus the responder's rules listen on; returns the event id. */
export async function sendDrillEvent(
  client: EventBridgeClient,
  entry: DrillEventEntry,
  eventBusName: string,
): Promise<string> {
  const { failed, entry: result } = await putOneEvent(client, eventBusName, entry);
  if (failed || !result?.EventId) {
    throw new AwsCallError("events:PutEvents", result?.ErrorCode ?? "FailedEntry", {
      cause: new Error(result?.ErrorMessage ?? "the drill event was not accepted"),
    });
  }
  return result.EventId;
}
