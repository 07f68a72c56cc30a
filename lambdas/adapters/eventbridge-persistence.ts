import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { TransientAwsError } from "../core/errors.js";
import type { PersistencePublisher } from "../core/investigation/close-persistence.js";
import { RESPONDER_EVENT_SOURCE } from "../core/investigation/contained-event.js";
import { PERSISTENCE_DETAIL_TYPE, type PersistenceDetail } from "../core/investigation/persistence.js";
import { putOneEvent } from "./eventbridge-put.js";

/** `Persistence Found` on the responder's own bus; a rejected entry is thrown (the investigation is retried). */
export class EventBridgePersistencePublisher implements PersistencePublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(detail: PersistenceDetail): Promise<void> {
    const { failed, entry } = await putOneEvent(this.client, this.eventBusName, {
      source: RESPONDER_EVENT_SOURCE,
      detailType: PERSISTENCE_DETAIL_TYPE,
      detail,
    });
    if (failed) {
      throw new TransientAwsError("events:PutEvents", {
        cause: new Error(`${entry?.ErrorCode ?? "unknown"}: ${entry?.ErrorMessage ?? ""}`),
      });
    }
  }
}
