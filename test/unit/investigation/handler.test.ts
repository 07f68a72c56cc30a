import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidEventError } from "../../../lambdas/core/errors.js";
import { IncidentNotFoundError } from "../../../lambdas/core/investigation/errors.js";
import type { InvestigateHandler } from "../../../lambdas/handlers/investigate-handler.js";
import {
  buildHandler,
  ct,
  ddb,
  type FakeIncidentTable,
  freshInvestigation,
  INCIDENT,
  KEY,
  minutesAgo,
  SESSION,
  sns,
  TOPIC,
} from "./handler-support.js";
import { containedEvent, type FakeEventHistory, loadRecord, place, storedIncident } from "./support.js";

const CONTEXT = { getRemainingTimeInMillis: () => 900_000 };
const CONTAINED_AT = minutesAgo(2);
const contained = () => containedEvent(KEY, { containedAt: CONTAINED_AT });

function at(file: string, eventTime: string, awsRegion: string, accessKeyId?: string) {
  return place(loadRecord(file), { eventTime, awsRegion, ...(accessKeyId ? { accessKeyId } : {}) });
}

/** The function's environment, as the stack sets it. */
const ENV = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: TOPIC,
  INVESTIGATION_REGIONS: "eu-west-1",
};

describe("investigate handler, end to end with CloudTrail, DynamoDB and SNS mocked", () => {
  let history: FakeEventHistory;
  let table: FakeIncidentTable;
  let handler: InvestigateHandler;

  beforeEach(() => {
    handler = buildHandler(ENV);
    ({ history, table } = freshInvestigation(storedIncident(KEY, CONTAINED_AT)));
    // The key assumed a role; the role session tried to mine in eu-west-1; the key created a user.
    history
      .add("us-east-1", KEY, [
        at("stratus-assume-role", minutesAgo(60), "us-east-1", KEY),
        at("stratus-create-user", minutesAgo(30), "us-east-1", KEY),
      ])
      .add("eu-west-1", SESSION, [at("stratus-run-instances-denied", minutesAgo(59), "eu-west-1")]);
  });

  it("rejects an invalid event with InvalidEventError before touching AWS", async () => {
    await expect(
      handler(containedEvent(KEY, {}, { detail: { incident: INCIDENT } }), CONTEXT),
    ).rejects.toThrow(InvalidEventError);
    expect([ct.calls(), ddb.calls(), sns.calls()].map((c) => c.length)).toEqual([0, 0, 0]);
  });

  it("searches, stores the summary on the incident and sends one follow-up through the topic", async () => {
    const result = await handler(contained(), CONTEXT);
    expect(result).toEqual({
      status: "alerted",
      incidentId: INCIDENT,
      totalCalls: 3,
      flagged: ["CreateUser", "RunInstances"],
      complete: true,
    });
    // us-east-1 first, always; then the configured region; then the session key in both.
    expect(
      history.requests.map((r) => `${r.region} ${r.input.LookupAttributes?.[0]?.AttributeValue}`).sort(),
    ).toEqual([`eu-west-1 ${KEY}`, `eu-west-1 ${SESSION}`, `us-east-1 ${KEY}`, `us-east-1 ${SESSION}`]);
    const stored = table.items.get(INCIDENT) as Record<string, unknown>;
    expect(stored).toMatchObject({
      status: "contained",
      investigationFingerprint: `3|${minutesAgo(30)}|3346344c-5a3e-429e-8405-420f98f75d6e|complete`,
      investigationLastEventAt: minutesAgo(30),
      investigation: { version: 1, accessKeyId: KEY, totalCalls: 3, failed: 1 },
    });

    const publishes = sns.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    const input = publishes[0]?.args[0].input;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject:
        "[INVESTIGATION] AKIA...PYAN (account 123456789012): 3 calls in 2 regions, high-risk: CreateUser +1",
      MessageStructure: "json",
    });
    const message = JSON.parse(input?.Message ?? "{}") as Record<string, string>;
    expect(message.email).toContain(
      "SESSION KEYS MINTED WITH THE KEY\n  - ASIA9F6MXE9HSYOXYQOS via AssumeRole",
    );
    // HTTPS subscribers (a webhook, PagerDuty) get the incident JSON; Chatbot's copy goes to its own topic.
    expect(JSON.parse(message.https ?? "{}")).toMatchObject({ incidentId: INCIDENT });
    expect(JSON.parse(message.sqs ?? "{}")).toMatchObject({
      incidentId: INCIDENT,
      summary: { totalCalls: 3 },
    });
  });

  it("investigates a containment once: a repeated or forged event for it is skipped, a new containment is investigated", async () => {
    await handler(contained(), CONTEXT);
    expect(table.items.get(INCIDENT)?.investigatedContainment).toBe(`guardduty:finding-1@${CONTAINED_AT}`);
    history.add("us-east-1", KEY, [at("stratus-stop-logging", minutesAgo(1), "us-east-1", KEY)]);
    const repeat = await handler(contained(), CONTEXT);
    expect(repeat).toMatchObject({ status: "skipped", reason: "already investigated for this containment" });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(2); // the summary, then the containment mark

    // Released, then contained again by a new signal: a new containment.
    const again = storedIncident(KEY, minutesAgo(0.5));
    const incident = table.items.get(INCIDENT) as Record<string, unknown>;
    table.items.set(INCIDENT, {
      ...incident,
      signals: [
        ...(incident.signals as unknown[]),
        ...again.signals.map((x) => ({ ...x, signalId: "health:again" })),
      ],
    });
    const later = await handler(contained(), CONTEXT);
    expect(later).toMatchObject({ status: "alerted", totalCalls: 4 });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(table.items.get(INCIDENT)?.investigatedContainment).toBe(`health:again@${minutesAgo(0.5)}`);
  });

  it.each(["released", "resolved", "notified"] as const)(
    "skips an incident that is %s, searching nothing and sending nothing",
    async (status) => {
      table.items.set(INCIDENT, storedIncident(KEY, CONTAINED_AT, { status }));
      const result = await handler(contained(), CONTEXT);
      expect(result).toMatchObject({ status: "skipped", reason: `incident is ${status}, not contained` });
      expect(ct.calls()).toHaveLength(0);
      expect(sns.calls()).toHaveLength(0);
      expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    },
  );

  it("reads every fact from the stored incident, whatever the event says", async () => {
    const forged = containedEvent(KEY, {
      accountId: "999999999999",
      principal: { type: "user", name: "attacker-chosen" },
      signal: "Forged",
      containedAt: minutesAgo(60 * 24 * 80),
    });
    await handler(forged, CONTEXT);
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? "{}") as Record<
      string,
      string
    >;
    expect(message.email).toContain("christophe");
    expect(message.email).not.toContain("attacker-chosen");
    expect(message.email).not.toContain("Forged");
    // The window starts 72 h before the stored containment, not 80 days back.
    const start = history.requests[0]?.input.StartTime?.getTime() ?? 0;
    expect(start).toBe(Date.parse(CONTAINED_AT) - 72 * 3_600_000);
  });

  it("fails with IncidentNotFoundError, searching nothing, when the incident is not recorded", async () => {
    table.items.clear();
    await expect(handler(contained(), CONTEXT)).rejects.toThrow(IncidentNotFoundError);
    expect(ct.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it("reports a region it may not search as incomplete, without failing the invocation", async () => {
    history.fail.set(
      "eu-west-1",
      Object.assign(new Error("not authorized"), {
        name: "AccessDeniedException",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const result = await handler(contained(), CONTEXT);
    expect(result).toMatchObject({ status: "alerted", totalCalls: 2, complete: false });
    const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject;
    expect(subject).toBe(
      "[INVESTIGATION, INCOMPLETE] AKIA...PYAN (account 123456789012): 2 calls, high-risk: CreateUser",
    );
  });

  describe("the deployed module, lambdas/handlers/investigate.ts, configured from the environment", () => {
    const saved = { ...process.env };
    beforeAll(() => {
      Object.assign(process.env, ENV, { AWS_REGION: "us-east-1", POWERTOOLS_LOG_LEVEL: "SILENT" });
      vi.resetModules();
    });
    afterAll(() => {
      process.env = saved;
    });

    it("parses the environment at cold start and investigates with default-configured clients", async () => {
      const { handler: deployed } = await import("../../../lambdas/handlers/investigate.js");
      const result = await deployed(contained(), CONTEXT);
      expect(result).toMatchObject({ status: "alerted", incidentId: INCIDENT, totalCalls: 3 });
      // The configured region is searched as well as us-east-1.
      expect(new Set(history.requests.map((r) => r.region))).toEqual(new Set(["us-east-1", "eu-west-1"]));
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    });
  });
}, 30_000);
