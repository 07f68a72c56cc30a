import { Logger } from "@aws-lambda-powertools/logger";
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { AUDIT_ENFORCEMENT_RULE, toWirePattern } from "../../infra/signal-rules.js";
import { getItem } from "../../lambdas/adapters/dynamodb-support.js";
import { type AuditRecord, AuditRecordSchema, LATEST_AUDIT_ID } from "../../lambdas/core/audit/digest.js";
import { parseRespondConfig } from "../../lambdas/core/config.js";
import type { ResponseMetric } from "../../lambdas/core/response-metrics.js";
import { createRespondHandler, respondClients } from "../../lambdas/handlers/respond-handler.js";
import { SERVICE_NAME } from "../../lambdas/handlers/wiring.js";
import { localAuditHandler } from "../../local/audit-handler.js";
import { localRoleSessionRevoker } from "../../local/role-session-revoker.js";
import { ACCOUNT_ID, motoClientConfig, useMoto, World } from "../../local/world.js";
import { lkrAgainst } from "../support/lkr.js";

const DAY = 86_400_000;
/** moto's keys are all new: the audit looks from 100 days on, when every key is old (> 90 days). */
const START = Date.now() + 100 * DAY;
const day = (n: number) => new Date(START + n * DAY);

let world: World;
let busName = "";
let signalQueueUrl = "";
const people = { old: "", exempt: "", fixed: "", released: "" };
const keys = { old: "", exempt: "", fixed: "", released: "" };

/** The audit function, enforcing key-old after 14 days of notice, with the world's bus. */
function audit(now: Date) {
  return localAuditHandler(world, {
    now: () => now,
    env: { AUDIT_ENFORCE: "key-old=14", EVENT_BUS_NAME: busName, EXEMPT_PRINCIPALS: people.exempt },
  })({ "detail-type": "Scheduled Event" });
}

/** What the respond function's metrics sink received. */
const recorded: ResponseMetric[] = [];

/** The respond function (a new container) at `now`, as the informational queue invokes it. */
function respond(now: Date) {
  const config = parseRespondConfig(world.env({ EXEMPT_PRINCIPALS: people.exempt, EVENT_BUS_NAME: busName }));
  return createRespondHandler(config, {
    ...respondClients(motoClientConfig(world.endpoint)),
    roleSessionRevoker: localRoleSessionRevoker(world.endpoint, "ERROR"),
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: "ERROR" }),
    now: () => now,
    metrics: { record: (list) => recorded.push(...list) },
  });
}

/** The enforcement signals the rule delivered from the bus, for this file's users, drained. */
async function signals(): Promise<{ detail: { accessKeyId: string; userName: string; kinds: string[] } }[]> {
  const out: { detail: { accessKeyId: string; userName: string; kinds: string[] } }[] = [];
  for (;;) {
    const got = await world.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: signalQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!got.Messages?.length) break;
    for (const m of got.Messages) {
      out.push(JSON.parse(m.Body ?? "{}"));
      await world.sqs.send(
        new DeleteMessageCommand({ QueueUrl: signalQueueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
  return out.filter((e) => e.detail.userName.endsWith(world.suffix));
}

async function latest(): Promise<AuditRecord> {
  return AuditRecordSchema.parse(await getItem(world.dynamo, world.tableName, LATEST_AUDIT_ID));
}

function announcedKeys(record: AuditRecord): string[] {
  return (record.announcements ?? [])
    .filter((a) => a.userName.endsWith(world.suffix))
    .map((a) => `${a.kind} ${a.accessKeyId} ${a.dueAt.slice(0, 10)}`)
    .sort();
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint"));
  world = await new World(inject("motoEndpoint")).create();
  for (const base of Object.keys(people) as (keyof typeof people)[]) {
    const made = await world.user(`enforce-${base}`);
    people[base] = made.name;
    keys[base] = made.keys[0] ?? "";
  }
  // The stack's ResponderBus and its AuditEnforcementRule, with a queue for the respond function moto cannot run.
  busName = `responder-${world.suffix}`;
  await world.events.send(new CreateEventBusCommand({ Name: busName }));
  signalQueueUrl =
    (await world.sqs.send(new CreateQueueCommand({ QueueName: `enforce-${world.suffix}` }))).QueueUrl ?? "";
  const queueArn =
    (
      await world.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: signalQueueUrl, AttributeNames: ["QueueArn"] }),
      )
    ).Attributes?.QueueArn ?? "";
  const rule = `enforce-${world.suffix}`;
  await world.events.send(
    new PutRuleCommand({
      Name: rule,
      EventBusName: busName,
      EventPattern: JSON.stringify(toWirePattern(AUDIT_ENFORCEMENT_RULE.pattern)),
    }),
  );
  await world.events.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: "q", Arn: queueArn }] }),
  );
});

describe("audit enforcement, notify first, against moto", () => {
  it("announces old keys with a date 14 days on (never the exempt user's), in the digest and the record; signals nothing", async () => {
    const result = await audit(day(0));
    expect(result.enforced).toBe(0);
    const due = day(14).toISOString().slice(0, 10);
    expect(announcedKeys(await latest())).toEqual(
      [
        `key-old ${keys.old} ${due}`,
        `key-old ${keys.fixed} ${due}`,
        `key-old ${keys.released} ${due}`,
      ].sort(),
    );
    const [digest] = await world.alerts();
    expect(digest?.subject).toMatch(/^Key hygiene: /);
    // The `sqs` (machine) body: each finding announced carries its date, and the enforcement section lists it.
    const body = digest?.body as {
      findings: { kind: string; accessKeyId: string; disableOn?: string }[];
      enforcement: { announced: { accessKeyId: string; disableOn: string }[] };
    };
    // moto is shared by every integration file, so the digest's top 10 may be other files' keys:
    // the stored record (up to 300 findings) is where this file's findings are sure to be.
    const stored = (await latest()).findings;
    expect(stored.find((f) => f.kind === "key-old" && f.accessKeyId === keys.old)?.disableOn).toBe(due);
    const exempt = stored.find((f) => f.kind === "key-old" && f.accessKeyId === keys.exempt);
    expect(exempt?.kind).toBe("key-old");
    expect(exempt).not.toHaveProperty("disableOn");
    // Whatever the digest shows of this file's announced keys carries the same date.
    for (const f of body.findings.filter((f) => f.kind === "key-old" && f.accessKeyId === keys.old)) {
      expect(f.disableOn).toBe(due);
    }
    expect(body.enforcement.announced).toEqual(
      expect.arrayContaining([
        { kind: "key-old", userName: people.old, accessKeyId: keys.old, disableOn: due },
      ]),
    );
    expect(await signals()).toEqual([]);
  });

  it("before the date: the same announcement (its date unchanged), no signal, every key still Active", async () => {
    const result = await audit(day(13));
    expect(result.enforced).toBe(0);
    expect(announcedKeys(await latest())).toHaveLength(3);
    expect(announcedKeys(await latest())[0]).toContain(day(14).toISOString().slice(0, 10));
    expect(await signals()).toEqual([]);
    expect(await world.keyStatuses(people.old)).toEqual({ [keys.old]: "Active" });
  });

  it("a key fixed before its date (deactivated by its owner) is un-announced and never signalled", async () => {
    await world.iam.send(
      new UpdateAccessKeyCommand({ UserName: people.fixed, AccessKeyId: keys.fixed, Status: "Inactive" }),
    );
    await audit(day(13));
    expect(announcedKeys(await latest()).some((k) => k.includes(keys.fixed))).toBe(false);
    expect(await signals()).toEqual([]);
  });

  it("on the date: the audit signals each due key on the bus; the respond function disables exactly that key and records the incident", async () => {
    const result = await audit(day(14));
    expect(result.enforced).toBeGreaterThanOrEqual(2);
    const events = await signals();
    expect(events.map((e) => e.detail.accessKeyId).sort()).toEqual([keys.old, keys.released].sort());
    expect(events[0]?.detail.kinds).toEqual(["key-old"]);
    await world.alerts();

    const handler = respond(day(14));
    for (const e of events) {
      const out = await handler(e);
      expect(out.outcomes.map((o) => o.decision)).toEqual(["contain"]);
    }
    expect(await world.keyStatuses(people.old)).toEqual({ [keys.old]: "Inactive" });
    expect(await world.keyStatuses(people.exempt)).toEqual({ [keys.exempt]: "Active" });
    expect(await world.keyStatuses(people.fixed)).toEqual({ [keys.fixed]: "Inactive" });
    const incident = await world.incident(`${ACCOUNT_ID}-${keys.old}`);
    expect(incident).toMatchObject({ status: "contained", accessKeyId: keys.old });
    expect(incident?.signals.map((s) => [s.source, s.signal, s.decision])).toEqual([
      ["audit", "AUDIT_ENFORCEMENT_DUE", "contain"],
    ]);
    expect(incident?.actions[0]).toMatchObject({ kind: "disable-key", outcome: "done" });
    // The dashboard's metrics: a signal of source audit, contained, with its time to contain.
    expect(recorded.filter((m) => m.name === "Signals").map((m) => m.dimensions)).toEqual([
      { Source: "audit" },
      { Source: "audit" },
    ]);
    expect(recorded.filter((m) => m.name === "IncidentsContained")).toHaveLength(2);
    expect(recorded.find((m) => m.name === "TimeToContain")).toMatchObject({ unit: "Milliseconds" });
    const alerts = await world.alerts();
    expect(alerts.map((a) => a.subject)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Hygiene-enforced key AKIA\S+ disabled/)]),
    );
  });

  it("a signal the audit did not announce (put by anyone the bus admits) changes nothing and records nothing", async () => {
    const forged = {
      version: "0",
      id: "forged-1",
      "detail-type": AUDIT_ENFORCEMENT_RULE.pattern.detailType[0],
      source: AUDIT_ENFORCEMENT_RULE.pattern.source[0],
      account: ACCOUNT_ID,
      time: day(14).toISOString(),
      region: "us-east-1",
      resources: [],
      detail: {
        accountId: ACCOUNT_ID,
        accessKeyId: keys.exempt,
        userName: people.exempt,
        kinds: ["key-old"],
        dueAt: day(0).toISOString(),
        auditId: "audit#forged",
      },
    };
    const out = await respond(day(14))(forged);
    expect(out.outcomes.map((o) => o.decision)).toEqual(["ignore"]);
    expect(await world.keyStatuses(people.exempt)).toEqual({ [keys.exempt]: "Active" });
    expect(await world.incident(`${ACCOUNT_ID}-${keys.exempt}`)).toBeUndefined();
    expect(await world.alerts()).toEqual([]);
  });

  it("released with lkr release: the key is Active again, and the next audits do not disable it again", async () => {
    const id = `${ACCOUNT_ID}-${keys.released}`;
    const run = await lkrAgainst(world, [
      "release",
      id,
      "--reason",
      "build key, rotating next week",
      "--yes",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await world.keyStatuses(people.released)).toEqual({ [keys.released]: "Active" });
    expect((await world.incident(id))?.status).toBe("released");
    await world.alerts();

    await audit(day(15));
    const again = (await signals()).filter((e) => e.detail.accessKeyId === keys.released);
    expect(again).toHaveLength(1);
    const out = await respond(day(15))(again[0]);
    expect(out.outcomes.map((o) => o.decision)).not.toContain("contain");
    expect(await world.keyStatuses(people.released)).toEqual({ [keys.released]: "Active" });
    expect((await world.incident(id))?.status).toBe("released");
  });
});
