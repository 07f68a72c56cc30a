import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { TransientAwsError } from "../core/errors.js";
import {
  INCIDENT_CONTAINED_DETAIL_TYPE,
  RESPONDER_EVENT_SOURCE,
} from "../core/investigation/contained-event.js";
import type { ContainedEvent, EventPublisher } from "../core/ports.js";
import { call } from "./aws-errors.js";

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async emitContained(event: ContainedEvent): Promise<void> {
    const out = await call("events:PutEvents", () =>
      this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: RESPONDER_EVENT_SOURCE,
              DetailType: INCIDENT_CONTAINED_DETAIL_TYPE,
              Detail: JSON.stringify(event),
              EventBusName: this.eventBusName,
              Resources: [],
            },
          ],
        }),
      ),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.[0];
      throw new TransientAwsError("events:PutEvents", {
        cause: new Error(`${entry?.ErrorCode ?? "unknown"}: ${entry?.ErrorMessage ?? ""}`),
      });
    }
  }
}
