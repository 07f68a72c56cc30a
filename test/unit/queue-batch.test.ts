import { describe, expect, it } from "vitest";
import { InvalidEventError } from "../../lambdas/core/errors.js";
import { emfCount } from "../../lambdas/core/metrics.js";
import { queueBatchOf, queuedEventOf } from "../../lambdas/core/sources/queue-batch.js";

const record = (messageId: string, body: string) => ({
  messageId,
  receiptHandle: "r",
  body,
  attributes: {},
  messageAttributes: {},
  md5OfBody: "",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:q",
  awsRegion: "us-east-1",
});

describe("queueBatchOf", () => {
  it("reads the messages of an SQS batch, each an EventBridge event as its body", () => {
    expect(queueBatchOf({ Records: [record("m-1", '{"id":"e"}'), record("m-2", "x")] })).toEqual([
      { messageId: "m-1", body: '{"id":"e"}' },
      { messageId: "m-2", body: "x" },
    ]);
  });

  it.each([
    ["an EventBridge event", { id: "e", source: "aws.health", detail: {} }],
    ["an empty batch", { Records: [] }],
    ["records of another service", { Records: [{ ...record("m", "{}"), eventSource: "aws:sns" }] }],
    ["nothing", undefined],
  ])("is undefined for %s", (_name, event) => {
    expect(queueBatchOf(event)).toBeUndefined();
  });
});

describe("queuedEventOf", () => {
  it("parses the body", () => {
    expect(queuedEventOf({ messageId: "m", body: '{"id":"e"}' })).toEqual({ id: "e" });
  });

  it("rejects a body that is not JSON with InvalidEventError naming the message", () => {
    expect(() => queuedEventOf({ messageId: "m-9", body: "not json" })).toThrow(
      expect.objectContaining({ name: "InvalidEventError", issues: ["message m-9"] }),
    );
    expect(() => queuedEventOf({ messageId: "m-9", body: "{" })).toThrow(InvalidEventError);
  });
});

describe("emfCount", () => {
  it("is one count in CloudWatch's embedded metric format, without dimensions", () => {
    expect(emfCount("IgnoredDrills", new Date(1_700_000_000_000))).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: "LeakedKeyResponder",
            Dimensions: [[]],
            Metrics: [{ Name: "IgnoredDrills", Unit: "Count" }],
          },
        ],
      },
      IgnoredDrills: 1,
    });
  });
});
