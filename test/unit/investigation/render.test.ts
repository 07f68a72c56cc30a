import { describe, expect, it } from "vitest";
import { toLookupEventRecord } from "../../../lambdas/adapters/cloudtrail.js";
import { snsMessageOf } from "../../../lambdas/adapters/sns-alerts.js";
import type { ContainedDetail } from "../../../lambdas/core/investigation/contained-event.js";
import { toApiCall } from "../../../lambdas/core/investigation/record.js";
import { renderInvestigationAlert } from "../../../lambdas/core/investigation/render.js";
import { ActivityAggregator, activityFingerprint } from "../../../lambdas/core/investigation/summary.js";
import { containedDetail, loadRecord, place, toLookupEvent } from "./support.js";

const KEY = "AKIAR7ISFR69YWROPYAN";
const SESSION = "ASIA9F6MXE9HSYOXYQOS";
const detail: ContainedDetail = containedDetail(KEY);
const WINDOW = {
  start: "2024-07-29T14:00:00.000Z",
  end: "2024-08-01T14:05:00.000Z",
  basis: "lookback-before-detection",
};
const REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1", "sa-east-1"];

function render(
  build: (add: (file: string, time: string, region: string, key?: string, id?: string) => void) => void,
) {
  const aggregator = new ActivityAggregator(KEY);
  build((file, eventTime, awsRegion, accessKeyId = KEY, eventID) => {
    const record = place(loadRecord(file), {
      eventTime,
      awsRegion,
      accessKeyId,
      ...(eventID ? { eventID } : {}),
    });
    aggregator.add(toApiCall(toLookupEventRecord(toLookupEvent(record)), { region: awsRegion, accessKeyId }));
  });
  for (const region of REGIONS) {
    aggregator.recordSearch({ region, accessKeyId: KEY, pages: 1, events: 0, status: "complete" });
  }
  const summary = aggregator.summary({
    window: WINDOW,
    regions: REGIONS,
    followed: new Set([SESSION]),
    topN: 10,
  });
  const fingerprint = activityFingerprint(summary);
  return { summary, fingerprint, alert: renderInvestigationAlert({ detail, summary, fingerprint }) };
}

/** The whole attack: persistence, hiding, mining through a role session, secret theft. */
function attack(add: Parameters<Parameters<typeof render>[0]>[0]) {
  add("stratus-assume-role", "2024-08-01T11:30:22Z", "us-east-1");
  add("stratus-create-user", "2024-08-01T13:33:28Z", "us-east-1");
  add("stratus-attach-user-policy", "2024-08-01T13:33:29Z", "us-east-1");
  add("stratus-create-access-key", "2024-08-01T13:33:30Z", "us-east-1");
  add("stratus-stop-logging", "2024-08-01T13:34:30Z", "us-east-1");
  for (let i = 0; i < 39; i++) {
    add(
      "stratus-run-instances-denied",
      `2024-08-01T12:${String(i).padStart(2, "0")}:00Z`,
      REGIONS[1 + (i % 3)] as string,
      SESSION,
      `ri${i}`,
    );
  }
  add("gorillastack-run-instances", "2024-08-01T12:50:00Z", "eu-west-1");
  add("stratus-get-secret-value", "2024-08-01T13:40:01Z", "eu-west-1");
}

describe("renderInvestigationAlert", () => {
  it("puts the key, the account and the worst calls in an ASCII subject under 100 characters", () => {
    const { alert } = render(attack);
    expect(alert.subject).toBe(
      "[INVESTIGATION] AKIA...PYAN (account 123456789012): 46 calls, high-risk: StopLogging +5",
    );
    expect(alert.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
  });

  it("writes readable email text: what was searched, what the key did, the flagged calls and what to do", () => {
    const { alert } = render(attack);
    const text = alert.text;
    expect(text).toContain("Follow-up to incident 123456789012-AKIAR7ISFR69YWROPYAN (containment alert for");
    expect(text).toContain("  Regions:     us-east-1, eu-west-1, ap-southeast-1, sa-east-1");
    expect(text).toContain(
      "  API calls:   46 (7 succeeded, 39 failed), 39 of them with 1 session key it minted",
    );
    expect(text).toContain(
      "  First use:   2024-08-01 11:30:22Z  AssumeRole in us-east-1 from 06.237.252.245",
    );
    expect(text).toContain(
      "  Last use:    2024-08-01 13:40:01Z  GetSecretValue in eu-west-1 from 253.201.144.253",
    );
    expect(text).toContain(
      [
        "HIGH-RISK CALLS",
        "  Identity changes (persistence)",
        "    - AttachUserPolicy x1 in us-east-1, at 2024-08-01 13:33:29Z: user malicious-iam-user, policy arn:aws:iam::aws:policy/AdministratorAccess",
        "    - CreateAccessKey x1 in us-east-1, at 2024-08-01 13:33:30Z: user malicious-iam-user, new access key AKIAXAFZN8JEPF6L682H",
        "    - CreateUser x1 in us-east-1, at 2024-08-01 13:33:28Z: user malicious-iam-user",
        "  Compute (crypto-mining)",
        "    - RunInstances x40 in 3 regions, 39 failed, 2024-08-01 12:00:00Z to 2024-08-01 12:50:00Z: instance i-e38a6646, type t2.micro",
        "  Data access (theft)",
        "    - GetSecretValue x1 in eu-west-1, at 2024-08-01 13:40:01Z: secret arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-18-4Rzn83",
        "  Defence evasion (hiding)",
        "    - StopLogging x1 in us-east-1, at 2024-08-01 13:34:30Z: trail stratus-red-team-ct-stop-trail-buykxbqejv",
      ].join("\n"),
    );
    expect(text).toContain(["ERRORS", "  39  Client.UnauthorizedOperation"].join("\n"));
    expect(text).toContain(
      "  1. Turn logging back on first (aws cloudtrail start-logging; recreate deleted trails; re-enable GuardDuty and Security Hub)",
    );
    expect(text).toContain("  2. Deactivate the access keys the attacker created, now: AKIAXAFZN8JEPF6L682H");
    expect(text).toContain("Revoke the active sessions of role stratus-red-team-ec2lui-role-idtzskbvtd");
    expect(text).toMatch(/\n-- leaked-key-responder$/);
  });

  it("sends AWS Chatbot a custom notification threaded on the incident", () => {
    const { alert, fingerprint } = render(attack);
    const chat = JSON.parse(alert.chat) as Record<string, unknown>;
    expect(Object.keys(chat).sort()).toEqual(["content", "id", "metadata", "source", "version"]);
    expect(chat).toMatchObject({
      version: "1.0",
      source: "custom",
      id: `123456789012-${KEY}:investigation:${fingerprint}`,
      content: {
        textType: "client-markdown",
        title: `:rotating_light: ${alert.subject}`,
        description: expect.stringContaining("• Defence evasion (hiding): StopLogging x1 in us-east-1"),
        nextSteps: expect.arrayContaining([expect.stringMatching(/^Turn logging back on first/)]),
        keywords: [
          "INVESTIGATION",
          "123456789012",
          "activity",
          "identity",
          "compute",
          "data",
          "defence-evasion",
        ],
      },
      metadata: {
        threadId: `123456789012-${KEY}`,
        summary: alert.subject,
        eventType: "LeakedKeyInvestigation",
        relatedResources: [KEY, SESSION],
        additionalContext: {
          incidentId: `123456789012-${KEY}`,
          totalCalls: "46",
          highRiskCalls: "45",
          complete: "true",
        },
      },
    });
  });

  it("links the key's IAM user page and its CloudTrail event history in the console, in the email and the JSON", () => {
    const { alert } = render(attack);
    const links = [
      {
        label: "IAM user christophe (security credentials)",
        url: "https://us-east-1.console.aws.amazon.com/iam/home#/users/details/christophe?section=security_credentials",
      },
      {
        label: "CloudTrail event history of the key (us-east-1)",
        url: `https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=${KEY}`,
      },
    ];
    expect(alert.text).toContain(
      [
        "  Searches:    4 searches, all complete",
        "",
        "IN THE CONSOLE (account 123456789012)",
        `  IAM user christophe (security credentials): ${links[0]?.url}`,
        `  CloudTrail event history of the key (us-east-1): ${links[1]?.url}`,
        "",
        "WHAT THE KEY DID",
      ].join("\n"),
    );
    expect(JSON.parse(alert.machine).consoleLinks).toEqual(links);
  });

  it("sends machines the summary as JSON, linked by incident id", () => {
    const { alert, summary, fingerprint } = render(attack);
    expect(JSON.parse(alert.machine)).toMatchObject({
      type: "leaked-key-responder.investigation",
      version: 1,
      incidentId: `123456789012-${KEY}`,
      accessKeyId: KEY,
      fingerprint,
      summary: JSON.parse(JSON.stringify(summary)),
    });
    const message = JSON.parse(snsMessageOf(alert)) as Record<string, string>;
    expect(message.email).toBe(alert.text);
    expect(message.https).toBe(alert.machine);
    expect(message.sqs).toBe(alert.machine);
  });

  it("reads well when the key did nothing", () => {
    const { alert } = render(() => {});
    expect(alert.subject).toBe(
      "[INVESTIGATION] AKIA...PYAN (account 123456789012): no CloudTrail activity found",
    );
    expect(alert.text).toContain(
      [
        "WHAT THE KEY DID",
        "  Nothing found: CloudTrail event history has no call signed with this key in us-east-1, eu-west-1, ap-southeast-1, sa-east-1 in this window.",
        "",
        "WHAT YOU SHOULD DO NOW",
        "  1. Nothing more from this investigation: CloudTrail shows no use of the key in the searched window and regions. Still follow the containment alert's steps.",
      ].join("\n"),
    );
    expect(alert.text).not.toMatch(/HIGH-RISK|SOURCE IPS|ERRORS/);
    const chat = JSON.parse(alert.chat) as {
      content: { title: string; description: string; keywords: string[] };
    };
    expect(chat.content.title).toBe(`:mag: ${alert.subject}`);
    expect(chat.content.description).toContain("*No API calls found* with this key.");
    expect(chat.content.keywords).toEqual(["INVESTIGATION", "123456789012", "no-activity"]);
  });

  it("with calls but nothing high-risk, says so", () => {
    const { alert } = render((add) => add("stratus-list-secrets", "2024-08-01T12:00:00Z", "eu-west-1"));
    expect(alert.subject).toBe("[INVESTIGATION] AKIA...PYAN (account 123456789012): 1 call, none high-risk");
    expect(alert.text).toContain("HIGH-RISK CALLS: none");
  });
});
