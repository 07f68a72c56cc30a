import { describe, expect, it } from "vitest";
import { chatMessageOf, snsMessageOf } from "../../lambdas/adapters/sns-alerts.js";
import { toSnsSubject } from "../../lambdas/core/alert-text.js";
import type { Exposure } from "../../lambdas/core/exposure.js";
import { renderAlert } from "../../lambdas/core/notification.js";
import { planResponse } from "../../lambdas/core/plan.js";

import { actions, context, exposure, KEY, NOW } from "../support/contained-alert.js";

/** The alert for alice's key, contained in enforce mode. */
function containedAlert() {
  return renderAlert({
    exposure,
    plan: planResponse(exposure, context),
    principalName: "alice",
    actions,
    mode: "enforce",
    stackName: "S",
  });
}

describe("renderAlert", () => {
  it("writes the subject an on-call engineer triages from, ASCII and under 100 characters", () => {
    const alert = containedAlert();
    expect(alert.subject).toBe(
      "[CRITICAL] Exposed key AKIA...MPLE disabled - user alice, account 123456789012",
    );
  });

  it("names account, region, principal, key, signal, severity, what was done, what is left and how to release", () => {
    const alert = containedAlert();
    for (const line of [
      "  Signal:      AWS_RISK_CREDENTIALS_EXPOSED (AWS Health)",
      "  Severity:    CRITICAL",
      "  Account:     123456789012",
      "  Region:      us-east-1",
      "  Principal:   user alice",
      `  Access key:  ${KEY}`,
      `  - ${NOW}  disable-key ${KEY} (user alice): done`,
      `  4. After review, delete the key: aws iam delete-access-key --user-name alice --access-key-id ${KEY}`,
      `  npx leaked-key-responder release 123456789012-${KEY} --reason "<why this was a false alarm>" --stack S`,
    ]) {
      expect(alert.text.split("\n")).toContain(line);
    }
  });

  it("says a quarantined user cannot use temporary credentials, later sessions included", () => {
    const withDeny = { ...context, sessionDenyPolicyArn: "arn:aws:iam::123456789012:policy/SessionDeny" };
    const alert = renderAlert({
      exposure,
      plan: planResponse(exposure, withDeny),
      principalName: "alice",
      actions,
      mode: "enforce",
      stackName: "S",
    });
    expect(alert.text).toContain(
      "While quarantined, alice cannot use temporary credentials at all (sessions started later included); a release removes that policy.",
    );
    expect(containedAlert().text).not.toContain("temporary credentials");
  });

  it("names a tampered key's alert after what was undone, in the incident's thread", () => {
    const tampered: Exposure = {
      ...exposure,
      source: "cloudtrail",
      signal: "DetachUserPolicy",
      signalId: "cloudtrail:e:AKIAIOSFODNN7EXAMPLE",
      intent: "recontain-if-open",
      severity: "high",
      evidence: { actor: "arn:aws:iam::123456789012:user/mallory" },
    };
    const held = {
      ...context,
      incident: {
        incidentId: `123456789012-${KEY}`,
        accountId: "123456789012",
        accessKeyId: KEY,
        status: "contained" as const,
        severity: "critical" as const,
        principal: { type: "user" as const, name: "alice" },
        createdAt: NOW,
        updatedAt: NOW,
        mode: "enforce" as const,
        sample: false,
        signalIds: [],
        alertedSignalIds: [],
        signals: [],
        actions: [],
      },
    };
    const alert = renderAlert({
      exposure: tampered,
      plan: planResponse(tampered, held),
      principalName: "alice",
      actions,
      mode: "enforce",
      stackName: "S",
    });
    expect(alert.subject).toMatch(/^\[HIGH\] Tampered key AKIA\.\.\.MPLE disabled - user alice/);
    expect(alert.text).toContain(
      "Someone undid part of this key's quarantine (DetachUserPolicy by arn:aws:iam::123456789012:user/mallory)",
    );
    expect(JSON.parse(alert.chat).metadata.threadId).toBe(`123456789012-${KEY}`);
  });

  it("says what would have been done in notify-only mode, and offers no release", () => {
    const plan = planResponse(exposure, { ...context, mode: "notify-only" });
    const alert = renderAlert({
      exposure,
      plan,
      principalName: "alice",
      actions: [],
      mode: "notify-only",
      stackName: "S",
    });
    expect(alert.subject).toBe(
      "[CRITICAL] Exposed key AKIA...MPLE NOT contained (notify-only) - user alice, account 123456789012",
    );
    expect(alert.text).toContain("WHAT IT WOULD HAVE DONE (held back: notify-only mode)");
    expect(alert.text).toContain(`  - Set access key ${KEY} of user alice to Inactive`);
    expect(alert.text).not.toContain("lkr release");
  });

  it("renders AWS Chatbot's custom notification format and the machine JSON", () => {
    const alert = containedAlert();
    const chat = JSON.parse(alert.chat);
    expect(chat).toMatchObject({
      version: "1.0",
      source: "custom",
      content: { textType: "client-markdown", title: `:rotating_light: ${alert.subject}` },
      metadata: { threadId: `123456789012-${KEY}`, summary: alert.subject },
    });
    expect(chat.content.nextSteps).toHaveLength(5);
    expect(JSON.parse(alert.machine)).toMatchObject({
      type: "leaked-key-responder.incident-alert",
      incidentId: `123456789012-${KEY}`,
      decision: "contain",
      accessKeyId: KEY,
      principal: { type: "user", name: "alice" },
    });
  });

  it("gives each SNS protocol of the alert topic its own body: text to email, incident JSON to every machine, HTTPS webhooks included", () => {
    const alert = { subject: "s", text: "TEXT", chat: "CHAT", machine: "MACHINE" };
    expect(JSON.parse(chatMessageOf(alert))).toEqual({ default: "CHAT" });
    expect(JSON.parse(snsMessageOf(alert))).toEqual({
      default: "TEXT",
      email: "TEXT",
      "email-json": "MACHINE",
      sqs: "MACHINE",
      lambda: "MACHINE",
      firehose: "MACHINE",
      http: "MACHINE",
      https: "MACHINE",
    });
  });
});

describe("toSnsSubject", () => {
  it.each([
    ["[HIGH] Exposed key — user älice", "[HIGH] Exposed key - user lice"],
    ["line\nbreak", "line break"],
    ["x".repeat(150), `${"x".repeat(96)}...`],
  ])("makes %j a valid SNS subject", (input, expected) => {
    expect(toSnsSubject(input)).toBe(expected);
  });
});
