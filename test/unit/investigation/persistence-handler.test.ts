import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { ConflictException, CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { PublishCommand } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ActionRecord } from "../../../lambdas/core/incident.js";
import { PersistenceNotHandedOverError } from "../../../lambdas/core/investigation/close-persistence.js";
import type { InvestigateHandler } from "../../../lambdas/handlers/investigate-handler.js";
import {
  buildHandler,
  type FakeIncidentTable,
  freshInvestigation,
  INCIDENT,
  KEY,
  minutesAgo,
  SESSION,
  sns,
  TOPIC,
} from "./handler-support.js";
import {
  ACCOUNT_ID,
  containedEvent,
  type FakeEventHistory,
  loadRecord,
  place,
  storedIncident,
} from "./support.js";

const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:investigate`;
const SCHEDULE_ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/containment-checks`;
const DLQ = `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:investigate-dlq`;
const CONTEXT = { getRemainingTimeInMillis: () => 900_000, invokedFunctionArn: FUNCTION_ARN };
const CONTAINED_AT = minutesAgo(40);
const DISABLED_AT = new Date(Date.parse(CONTAINED_AT) + 300).toISOString();
const CONTAINMENT = `guardduty:finding-1@${CONTAINED_AT}`;

const bus = mockClient(EventBridgeClient);
const iam = mockClient(IAMClient);
const scheduler = mockClient(SchedulerClient);

const ENV = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: TOPIC,
  EVENT_BUS_NAME: "responder-bus",
  SCHEDULE_GROUP_NAME: "containment-checks",
  SCHEDULE_ROLE_ARN: SCHEDULE_ROLE,
  SCHEDULE_DEAD_LETTER_ARN: DLQ,
};

const buildPersistenceHandler = () =>
  buildHandler(ENV, {
    eventBridge: new EventBridgeClient({ region: "us-east-1" }),
    iam: new IAMClient({ region: "us-east-1" }),
    scheduler: new SchedulerClient({ region: "us-east-1" }),
  });

const disabled: ActionRecord = {
  kind: "disable-key",
  at: DISABLED_AT,
  outcome: "done",
  signalId: "guardduty:finding-1",
  target: `${KEY} (user christophe)`,
  subject: { type: "key", accessKeyId: KEY, userName: "christophe" },
  undo: { previousStatus: "Active" },
};

let history: FakeEventHistory;
let table: FakeIncidentTable;
let handler: InvestigateHandler;

beforeEach(() => {
  for (const mock of [bus, iam, scheduler]) mock.reset();
  handler = buildPersistenceHandler();
  ({ history, table } = freshInvestigation(storedIncident(KEY, CONTAINED_AT, { actions: [disabled] })));
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: "arn:aws:scheduler:::schedule/x" });
});

describe("investigate handler: persistence closed, containment check scheduled", () => {
  /** A containment two minutes old: its check is due in 28 minutes. */
  const FRESH = minutesAgo(2);
  beforeEach(() => {
    table.items.set(INCIDENT, storedIncident(KEY, FRESH));
    // Before containment the key created a user, assumed a role of another account (Stratus's
    // record), and changed a trust policy; a session key it minted ran instances.
    history.add("us-east-1", KEY, [
      place(loadRecord("stratus-assume-role"), { eventTime: minutesAgo(70), awsRegion: "us-east-1" }),
      place(loadRecord("stratus-create-user"), {
        eventTime: minutesAgo(60),
        awsRegion: "us-east-1",
        accessKeyId: KEY,
      }),
      place(loadRecord("stratus-update-assume-role-policy"), {
        eventTime: minutesAgo(55),
        awsRegion: "us-east-1",
        accessKeyId: KEY,
      }),
    ]);
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: "stratus-red-team-backdoor-r-role",
        Path: "/",
        RoleId: "AROAEXAMPLE",
        Arn: `arn:aws:iam::${ACCOUNT_ID}:role/stratus-red-team-backdoor-r-role`,
        CreateDate: new Date(),
        AssumeRolePolicyDocument: encodeURIComponent(
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        ),
      },
    });
  });

  it("hands each finding of this account to the respond function on the responder's bus, oldest first, and schedules the check 30 minutes after containment", async () => {
    const result = await handler(containedEvent(KEY, { containedAt: FRESH }), CONTEXT);

    // The AssumeRole names a role of account 900138736586 (Stratus's), not this one: no finding.
    expect(result).toMatchObject({ status: "alerted", persistence: 2 });
    const entries = bus.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
    expect(entries.map((e) => [e?.Source, e?.DetailType, e?.EventBusName])).toEqual([
      ["leaked-key-responder", "Persistence Found", "responder-bus"],
      ["leaked-key-responder", "Persistence Found", "responder-bus"],
    ]);
    const details = entries.map((e) => JSON.parse(e?.Detail ?? "{}"));
    expect(details[0]).toMatchObject({
      incidentId: INCIDENT,
      accountId: ACCOUNT_ID,
      leakedKeyId: KEY,
      madeWith: KEY,
      eventName: "CreateUser",
      finding: { kind: "user", userName: "malicious-iam-user" },
    });
    // The trust policy changed is sent with the role's policy now (iam:GetRole), for the diff.
    expect(details[1]).toMatchObject({
      eventName: "UpdateAssumeRolePolicy",
      finding: { kind: "trust-policy", roleName: "stratus-red-team-backdoor-r-role" },
    });
    expect(details[1].finding.currentPolicyDocument).toContain("ec2.amazonaws.com");
    expect(iam.commandCalls(GetRoleCommand).map((c) => c.args[0].input.RoleName)).toEqual([
      "stratus-red-team-backdoor-r-role",
    ]);

    const [create] = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    const due = new Date(Date.parse(FRESH) + 30 * 60_000).toISOString().slice(0, 19);
    expect(create).toEqual({
      Name: expect.stringMatching(new RegExp(`^confirm-${INCIDENT}-[0-9a-f]{8}$`)),
      GroupName: "containment-checks",
      ScheduleExpression: `at(${due})`,
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Description: expect.any(String),
      Target: {
        Arn: FUNCTION_ARN,
        RoleArn: SCHEDULE_ROLE,
        Input: JSON.stringify({
          kind: "confirm-containment",
          incidentId: INCIDENT,
          containmentId: `guardduty:finding-1@${FRESH}`,
        }),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: DLQ },
      },
    });
    expect(table.items.get(INCIDENT)?.investigatedContainment).toBe(`guardduty:finding-1@${FRESH}`);
  });

  it("schedules a check whose time has passed (a late investigation) a minute from now, never in the past", async () => {
    table.items.set(INCIDENT, storedIncident(KEY, CONTAINED_AT, { actions: [disabled] }));
    await handler(containedEvent(KEY, { containedAt: CONTAINED_AT }), CONTEXT);
    const [create] = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    const at = Date.parse(`${/^at\((.*)\)$/.exec(create?.ScheduleExpression ?? "")?.[1]}Z`);
    expect(at - Date.now()).toBeGreaterThan(50_000);
    expect(at - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it("a retried investigation finds its schedule already there (ConflictException) and hands the findings over again (respond treats them as duplicates)", async () => {
    scheduler.on(CreateScheduleCommand).rejects(
      new ConflictException({
        message: "Schedule already exists",
        Message: "Schedule already exists",
        $metadata: { httpStatusCode: 409 },
      }),
    );
    const result = await handler(containedEvent(KEY, { containedAt: FRESH }), CONTEXT);
    expect(result).toMatchObject({ status: "alerted", persistence: 2 });
  });

  it("when a finding is not handed over (entry rejected), fails so Lambda retries, and leaves the containment to investigate again", async () => {
    bus
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-2" }] });
    await expect(handler(containedEvent(KEY, { containedAt: FRESH }), CONTEXT)).rejects.toBeInstanceOf(
      PersistenceNotHandedOverError,
    );
    // The other finding still went; the containment is not marked investigated.
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(table.items.get(INCIDENT)?.investigatedContainment).toBeUndefined();
  });
});

describe("investigate handler: the scheduled containment check", () => {
  const request = { kind: "confirm-containment", incidentId: INCIDENT, containmentId: CONTAINMENT };

  it("held: only a call that failed (a session key denied) after the disable, and one before it → confirmedAt recorded, no alert", async () => {
    table.items.set(INCIDENT, {
      ...storedIncident(KEY, CONTAINED_AT, { actions: [disabled] }),
      investigation: { sessionKeys: [{ accessKeyId: SESSION }] },
    });
    history
      .add("us-east-1", KEY, [
        place(loadRecord("stratus-get-secret-value"), {
          eventTime: minutesAgo(45),
          awsRegion: "us-east-1",
          accessKeyId: KEY,
        }),
      ])
      .add("us-east-1", SESSION, [
        place(loadRecord("stratus-run-instances-denied"), {
          eventTime: minutesAgo(10),
          awsRegion: "us-east-1",
        }),
      ]);

    const result = await handler(request, CONTEXT);

    expect(result).toMatchObject({ kind: "held", incidentId: INCIDENT });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    const item = table.items.get(INCIDENT);
    expect(item?.confirmedAt).toEqual(expect.any(String));
    expect(item?.containmentCheck).toMatchObject({ held: true, keys: [KEY, SESSION], calls: [] });
    // Looked up from the second the key was disabled (CloudTrail times are whole seconds), to now.
    const starts = history.requests.map((r) => r.input.StartTime?.toISOString());
    expect(new Set(starts)).toEqual(
      new Set([new Date(Math.floor(Date.parse(DISABLED_AT) / 1000) * 1000).toISOString()]),
    );
  });

  it("not held: a successful call with the key after it was disabled → critical alert listing it, no confirmedAt", async () => {
    history.add("us-east-1", KEY, [
      place(loadRecord("stratus-get-secret-value"), {
        eventTime: minutesAgo(20),
        awsRegion: "us-east-1",
        accessKeyId: KEY,
      }),
    ]);

    const result = await handler(request, CONTEXT);

    expect(result).toMatchObject({ kind: "not-held" });
    const [publish] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publish?.Subject).toMatch(
      /^\[CRITICAL\] Containment did not hold: key AKIA.*used after it was disabled/,
    );
    const message = JSON.parse(publish?.Message ?? "{}") as { default: string };
    expect(message.default).toContain("SUCCESSFUL CALLS AFTER CONTAINMENT (1)");
    expect(message.default).toContain(
      `GetSecretValue (secretsmanager.amazonaws.com) with ${KEY} in us-east-1`,
    );
    const item = table.items.get(INCIDENT);
    expect(item?.confirmedAt).toBeUndefined();
    expect(item?.containmentCheck).toMatchObject({ held: false, calls: [{ eventName: "GetSecretValue" }] });
  });

  it("skips a check of a containment that is over: released, or contained again since (that one has its own check)", async () => {
    table.items.set(INCIDENT, storedIncident(KEY, CONTAINED_AT, { status: "released", actions: [disabled] }));
    expect(await handler(request, CONTEXT)).toMatchObject({
      kind: "skipped",
      reason: "incident is released, not contained",
    });
    table.items.set(INCIDENT, storedIncident(KEY, CONTAINED_AT, { actions: [disabled] }));
    expect(
      await handler({ ...request, containmentId: "guardduty:older@2024-01-01T00:00:00.000Z" }, CONTEXT),
    ).toMatchObject({
      kind: "skipped",
      reason: "contained again since: that containment has its own check",
    });
    expect(history.requests).toHaveLength(0);
  });

  it("rejects a malformed check request (it ends in the DLQ)", async () => {
    await expect(handler({ kind: "confirm-containment", incidentId: "" }, CONTEXT)).rejects.toThrow(
      /invalid containment check request/,
    );
  });
});
