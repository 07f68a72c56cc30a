import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  AUDIT_ENFORCEMENT_DETAIL_TYPE,
  AUDIT_ENFORCEMENT_SOURCE,
  type EnforcementDetail,
} from "../core/audit/enforcement.js";
import type { EnforcementSignals } from "../core/audit/ports.js";
import { TransientAwsError } from "../core/errors.js";
import { putOneEvent } from "./eventbridge-put.js";

/** Enforcement signals on the responder's own bus, one PutEvents per key; a rejected entry throws (retried). */
export class EventBridgeEnforcementSignals implements EnforcementSignals {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async emit(detail: EnforcementDetail): Promise<void> {
    const { failed, entry } = await putOneEvent(this.client, this.eventBusName, {
      source: AUDIT_ENFORCEMENT_SOURCE,
      detailType: AUDIT_ENFORCEMENT_DETAIL_TYPE,
      detail,
    });
    if (failed) {
      throw new TransientAwsError("events:PutEvents", {
        cause: new Error(`${entry?.ErrorCode ?? "unknown"}: ${entry?.ErrorMessage ?? ""}`),
      });
    }
  }
}
