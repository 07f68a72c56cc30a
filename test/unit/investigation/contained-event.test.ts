import { describe, expect, it } from "vitest";
import { InvalidEventError } from "../../../lambdas/core/errors.js";
import { parseContainedEvent } from "../../../lambdas/core/investigation/contained-event.js";
import { investigationWindow } from "../../../lambdas/core/investigation/window.js";
import { ACCOUNT_ID, containedEvent } from "./support.js";

const KEY = "AKIAR7ISFR69YWROPYAN";

describe("parseContainedEvent", () => {
  it("takes only the incident id from the event the respond function emits", () => {
    expect(parseContainedEvent(containedEvent(KEY))).toEqual({
      eventId: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      incidentId: `${ACCOUNT_ID}-${KEY}`,
    });
  });

  it("ignores every other fact an event names: they are read from the stored incident", () => {
    const forged = containedEvent(KEY, {
      incidentId: `${ACCOUNT_ID}-${KEY}`,
      accountId: "999999999999",
      principal: { type: "user", name: "someone-else" },
      containedAt: "2020-01-01T00:00:00Z",
    });
    expect(parseContainedEvent(forged)).toEqual({
      eventId: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      incidentId: `${ACCOUNT_ID}-${KEY}`,
    });
  });

  it.each([
    [
      "another source",
      containedEvent(KEY, {}, { source: "aws.guardduty" }),
      /not an Incident Contained event/,
    ],
    [
      "another detail-type",
      containedEvent(KEY, {}, { "detail-type": "Incident Released" }),
      /not an Incident Contained event/,
    ],
    ["no detail", containedEvent(KEY, {}, { detail: undefined }), /malformed leaked-key-responder event/],
    ["an empty incident id", containedEvent(KEY, { incidentId: "" }), /malformed/],
    ["an incident id too long", containedEvent(KEY, { incidentId: "x".repeat(129) }), /malformed/],
    ["no envelope id", containedEvent(KEY, {}, { id: undefined }), /malformed/],
  ])("rejects %s with InvalidEventError", (_name, event, message) => {
    expect(() => parseContainedEvent(event)).toThrow(InvalidEventError);
    expect(() => parseContainedEvent(event)).toThrow(message);
  });

  it("names the wrong field in the error", () => {
    const event = containedEvent(KEY, { incidentId: "" });
    expect(() => parseContainedEvent(event)).toThrow(
      expect.objectContaining({
        name: "InvalidEventError",
        issues: [expect.stringMatching(/^incidentId: /)],
      }),
    );
  });
});

describe("investigationWindow", () => {
  const settings = { lookbackHours: 72, maxLookbackDays: 90 };
  const now = new Date("2024-08-01T14:05:00.000Z");

  it.each([
    [
      "72 h before detection, to now",
      { containedAt: "2024-08-01T14:00:00.000Z" },
      { start: "2024-07-29T14:00:00.000Z", basis: "lookback-before-detection" },
    ],
    [
      "the signal's observation when it is earlier than containment",
      { containedAt: "2024-08-01T14:00:00.000Z", observedAt: "2024-08-01T12:00:00Z" },
      { start: "2024-07-29T12:00:00.000Z", basis: "lookback-before-detection" },
    ],
    [
      "the key's last use when that is earlier",
      { containedAt: "2024-08-01T14:00:00.000Z", keyLastUsedAt: "2024-07-20T08:00:00Z" },
      { start: "2024-07-20T08:00:00.000Z", basis: "key-last-used" },
    ],
    [
      "not the key's last use when that is later",
      { containedAt: "2024-08-01T14:00:00.000Z", keyLastUsedAt: "2024-08-01T13:00:00Z" },
      { start: "2024-07-29T14:00:00.000Z", basis: "lookback-before-detection" },
    ],
    [
      "no further back than 90 days",
      { containedAt: "2024-08-01T14:00:00.000Z", keyLastUsedAt: "2023-01-01T00:00:00Z" },
      { start: "2024-05-03T14:05:00.000Z", basis: "max-lookback" },
    ],
  ])("starts at %s", (_name, input, expected) => {
    expect(investigationWindow(input, now, settings)).toEqual({
      ...expected,
      end: "2024-08-01T14:05:00.000Z",
    });
  });
});
