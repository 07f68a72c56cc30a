import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { TransientAwsError } from "../core/errors.js";
import {
  INCIDENT_CONTAINED_DETAIL_TYPE,
  RESPONDER_EVENT_SOURCE,
} from "../core/investigation/contained-event.js";
import type { ContainedEvent, EventPublisher } from "../core/ports.js";
import { putOneEvent } from "./eventbridge-put.js";

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async emitContained(event: ContainedEvent): Promise<void> {
    const { failed, entry } = await putOneEvent(this.client, this.eventBusName, {
      source: RESPONDER_EVENT_SOURCE,
      detailType: INCIDENT_CONTAINED_DETAIL_TYPE,
      detail: event,
    });
    if (failed) {
      throw new TransientAwsError("events:PutEvents", {
        cause: new Error(`${entry?.ErrorCode ?? "unknown"}: ${entry?.ErrorMessage ?? ""}`),
      });
    }
  }
}
