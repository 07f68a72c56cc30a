import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { sendDrillEvent } from "../../../lambdas/adapters/eventbridge-drill.js";
import { EventBridgePublisher } from "../../../lambdas/adapters/eventbridge-events.js";
import { drillEventOf } from "../../../lambdas/core/drill-canary.js";
import { AwsCallError, TransientAwsError } from "../../../lambdas/core/errors.js";
import {
  INCIDENT_CONTAINED_DETAIL_TYPE,
  RESPONDER_EVENT_SOURCE,
} from "../../../lambdas/core/investigation/contained-event.js";
import type { ContainedEvent } from "../../../lambdas/core/ports.js";

const events = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: "us-east-1" });
const DETAIL = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "lkr-drill-1", drillId: "d1" };
const CONTAINED: ContainedEvent = {
  incidentId: "123456789012-AKIAIOSFODNN7EXAMPLE",
  accountId: "123456789012",
  region: "us-east-1",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  principal: { type: "user", name: "alice" },
  signal: "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
  severity: "high",
  containedAt: "2026-11-28T12:00:00.000Z",
};

function sentEntries(): unknown[] {
  return events.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
}

beforeEach(() => events.reset());

describe("sendDrillEvent", () => {
  it("puts exactly one drill event on the named bus and returns its id", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    expect(await sendDrillEvent(client, drillEventOf(DETAIL), "bus")).toBe("e-1");
    const entry = drillEventOf(DETAIL);
    expect(sentEntries()).toEqual([
      {
        Entries: [
          {
            Source: entry.source,
            DetailType: entry.detailType,
            Detail: JSON.stringify(DETAIL),
            EventBusName: "bus",
            Resources: [],
          },
        ],
      },
    ]);
  });

  it("fails with the entry's error code when the bus does not take the event, or gives no id", async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }],
    });
    await expect(sendDrillEvent(client, drillEventOf(DETAIL), "bus")).rejects.toMatchObject({
      name: "AwsCallError",
      operation: "events:PutEvents",
      code: "InternalFailure",
    });
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });
    await expect(sendDrillEvent(client, drillEventOf(DETAIL), "bus")).rejects.toThrow(AwsCallError);
    await expect(sendDrillEvent(client, drillEventOf(DETAIL), "bus")).rejects.toMatchObject({
      code: "FailedEntry",
    });
  });
});

describe("EventBridgePublisher", () => {
  it("emits exactly one contained event from the responder's source on its bus", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    await new EventBridgePublisher(client, "bus").emitContained(CONTAINED);
    expect(sentEntries()).toEqual([
      {
        Entries: [
          {
            Source: RESPONDER_EVENT_SOURCE,
            DetailType: INCIDENT_CONTAINED_DETAIL_TYPE,
            Detail: JSON.stringify(CONTAINED),
            EventBusName: "bus",
            Resources: [],
          },
        ],
      },
    ]);
  });

  it("fails as transient, so the invocation is retried, when the bus does not take the event", async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }],
    });
    const failure = new EventBridgePublisher(client, "bus").emitContained(CONTAINED);
    await expect(failure).rejects.toThrow(TransientAwsError);
    await expect(failure).rejects.toMatchObject({
      cause: expect.objectContaining({ message: "ThrottlingException: slow down" }),
    });
  });
});
