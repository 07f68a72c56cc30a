import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { call } from "./aws-errors.js";

/** One event for a bus: its `detail` goes as JSON. */
export interface BusEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

/**
 * Puts one event on a bus. PutEvents answers per entry, so a rejected event is not an SDK error:
 * `failed` says so, and `entry` holds the event id or the error code and message. Callers decide
 * what a rejection means for them.
 */
export async function putOneEvent(
  client: EventBridgeClient,
  eventBusName: string,
  event: BusEvent,
): Promise<{ readonly failed: boolean; readonly entry: PutEventsResultEntry | undefined }> {
  const out = await call("events:PutEvents", () =>
    client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: event.source,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            EventBusName: eventBusName,
            Resources: [],
          },
        ],
      }),
    ),
  );
  return { failed: (out.FailedEntryCount ?? 0) > 0, entry: out.Entries?.[0] };
}
