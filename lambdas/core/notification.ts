import { maskAccessKeyId } from "./access-key.js";
import { bullets, renderIncidentChat, todoSection, toSnsSubject } from "./alert-text.js";
import { chatList } from "./chatbot.js";
import { consoleLinksOf } from "./console-links.js";
import { containmentFailed } from "./containment.js";
import type { Exposure } from "./exposure.js";
import { type ActionRecord, principalRecordOf } from "./incident.js";
import type { IamStep, ResponsePlan } from "./plan.js";
import type { RenderedAlert } from "./ports.js";
import { principalLabelOf, type ResponseMode, type Severity } from "./vocabulary.js";

/** What one alert is about: the exposure, the plan, and what executing it did. */
export interface AlertInput {
  readonly exposure: Exposure;
  readonly plan: ResponsePlan;
  readonly principalName: string | undefined;
  readonly actions: readonly ActionRecord[];
  readonly mode: ResponseMode;
  /** Name of the CloudFormation stack, for the release command. */
  readonly stackName: string;
}

const SOURCE_LABEL: Record<Exposure["source"], string> = {
  health: "AWS Health",
  "trusted-advisor": "AWS Trusted Advisor",
  guardduty: "Amazon GuardDuty",
  cloudtrail: "AWS CloudTrail",
  drill: "Responder drill",
  audit: "Key hygiene audit (enforcement)",
};

function principalLabel(input: AlertInput): string {
  const record = principalRecordOf(input.exposure.principal);
  // A user the signal did not name (Health) is named by the owner lookup, when it found one.
  return principalLabelOf(record.type === "user" ? { type: "user", name: input.principalName } : record);
}

function headline(input: AlertInput): string {
  const { exposure, plan } = input;
  const key = maskAccessKeyId(exposure.accessKeyId);
  const sev = `[${exposure.sample ? "SAMPLE" : plan.severity.toUpperCase()}]`;
  const who = `${principalLabel(input)}, account ${exposure.accountId}`;
  if (exposure.sample) return `${sev} GuardDuty sample ${exposure.signal} - no action`;
  if (exposure.principal.type === "root")
    return `${sev} Root access key ${key} ${verbOf(exposure)} - act now, account ${exposure.accountId}`;
  if (plan.decision === "contain" && containmentFailed(input.actions)) {
    return `${sev} FAILED to contain key ${key} - act now - ${who}`;
  }
  if (plan.decision === "contain") {
    const disabled = plan.steps.some((s) => s.kind === "disable-key");
    const what = disabled ? `key ${key} disabled` : `sessions of key ${key} revoked`;
    return `${sev} ${capitalize(verbOf(exposure))} ${what} - ${who}`;
  }
  if (plan.withheld.length > 0) {
    return `${sev} ${capitalize(verbOf(exposure))} key ${key} NOT contained (${shortReason(plan.reasons)}) - ${who}`;
  }
  return `${sev} ${exposure.signal} for key ${key} - ${who}`;
}

function verbOf(exposure: Exposure): string {
  if (exposure.source === "cloudtrail") {
    if (exposure.intent !== "recontain-if-open") return "created";
    return exposure.signal === "UpdateAccessKey" ? "re-enabled" : "tampered";
  }
  if (exposure.source === "guardduty") return "abused";
  if (exposure.source === "audit") return "hygiene-enforced";
  return "exposed";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function shortReason(reasons: readonly string[]): string {
  const first = reasons[0] ?? "";
  if (first.includes("notify-only")) return "notify-only";
  if (first.includes("exempt")) return "exempt";
  return "see alert";
}

function describeStep(step: IamStep): string {
  switch (step.kind) {
    case "disable-key":
      return `Set access key ${step.accessKeyId} of user ${step.userName} to Inactive`;
    case "attach-quarantine-policy":
      return `Attach ${step.policyArn} to ${step.target.type} ${step.target.name}`;
    case "attach-session-deny-policy":
      return `Attach ${step.policyArn} to ${step.target.type} ${step.target.name}: every request with temporary credentials denied, sessions started later included, while it stays attached`;
    case "revoke-sessions":
      return `Deny every session of ${step.target.type} ${step.target.name} issued before ${step.issuedBefore} (inline policy ${step.policyName})`;
    case "tag-principal":
      return `Tag ${step.target.type} ${step.target.name} with ${Object.keys(step.tags).join(", ")}`;
  }
}

function describeAction(action: ActionRecord): string {
  const outcome =
    action.outcome === "done"
      ? "done"
      : action.outcome === "already"
        ? "already so"
        : action.outcome === "not-found"
          ? "not found (already deleted?)"
          : `FAILED${action.detail ? `: ${action.detail}` : ""}`;
  return `${action.at}  ${action.kind} ${action.target}: ${outcome}`;
}

function humanSteps(input: AlertInput): string[] {
  const { exposure, plan } = input;
  const key = exposure.accessKeyId;
  if (exposure.sample) {
    return [
      "Nothing: this is a GuardDuty sample finding. Its alert shows the pipeline from GuardDuty to you works.",
    ];
  }
  if (exposure.principal.type === "root") {
    return [
      "Sign in as the root user now, deactivate this access key and then delete it: root should have no access keys.",
      "Make sure the root user has MFA, and look in CloudTrail for what the key did.",
    ];
  }
  const user = input.principalName ?? "<user>";
  const steps: string[] = [];
  if (exposure.source === "drill" && plan.decision !== "contain") {
    return [
      "Nothing to contain: this drill event names a principal that is not a drill canary. Find who sent it (CloudTrail PutEvents with source leaked-key-responder.drill).",
    ];
  }
  if (exposure.source === "audit" && plan.decision === "contain" && !containmentFailed(input.actions)) {
    return [
      `The key hygiene audit announced this key (${exposure.evidence.kinds ?? "its findings"}) and disabled it when its date (${(exposure.evidence.dueAt ?? "").slice(0, 10)}) passed: it was not reported leaked.`,
      `Give ${user} a new key (or better, a role) and move every use of this key to it; then delete this key: aws iam delete-access-key --user-name ${user} --access-key-id ${key}`,
      "If the key must stay in use for now, release the incident (below): the audit does not disable a released key again.",
    ];
  }
  if (plan.decision === "contain" && containmentFailed(input.actions)) {
    steps.push(
      `Contain the key by hand now: aws iam update-access-key --user-name ${user} --access-key-id ${key} --status Inactive (the responder's attempt failed; see WHAT THE RESPONDER DID).`,
    );
  }
  if (plan.decision !== "contain" && plan.withheld.length > 0) {
    steps.push(
      `Decide now whether to contain the key yourself: aws iam update-access-key --user-name ${user} --access-key-id ${key} --status Inactive`,
    );
  }
  if (exposure.intent === "recontain-if-open" && plan.decision === "contain") {
    steps.push(
      `Someone undid part of this key's quarantine (${exposure.signal} by ${exposure.evidence.actor ?? "an unknown caller"}); the responder put it back. Find out who and why: the caller may hold the leaked key or a second foothold.`,
    );
  }
  if (plan.steps.some((s) => s.kind === "attach-session-deny-policy")) {
    steps.push(
      `While quarantined, ${user} cannot use temporary credentials at all (sessions started later included); a release removes that policy.`,
    );
  }
  if (exposure.source === "cloudtrail" && exposure.intent === "notify") {
    steps.push(
      "Confirm that whoever created this key meant to, and that the key is stored safely (a role is better).",
    );
    return steps;
  }
  steps.push(
    "Find every place this key is used (CI, servers, laptops) and move it to a new key, or better to a role.",
    "Look for persistence: new IAM users, access keys, login profiles, roles, policies, Lambda functions and EC2 instances in every region. The follow-up alert summarises what the key did.",
    "Remove the secret from wherever it leaked (rewriting history is not enough once it was public).",
    `After review, delete the key: aws iam delete-access-key --user-name ${user} --access-key-id ${key}`,
  );
  return steps;
}

function releaseLine(input: AlertInput): string | undefined {
  if (input.plan.decision !== "contain") return undefined;
  return `npx lkr release ${input.plan.incidentId} --reason "<why this was a false alarm>" --stack ${input.stackName}`;
}

export function renderAlert(input: AlertInput): RenderedAlert {
  const { exposure, plan } = input;
  const subject = toSnsSubject(headline(input));
  const doneLines = input.actions.map(describeAction);
  const withheldLines = plan.withheld.map(describeStep);
  const todo = humanSteps(input);
  const release = releaseLine(input);
  const evidence = Object.entries(exposure.evidence).map(([k, v]) => `${k}: ${v}`);
  const links = consoleLinksOf(exposure, input.principalName);

  const text = [
    subject,
    "",
    "WHAT HAPPENED",
    `  Signal:      ${exposure.signal} (${SOURCE_LABEL[exposure.source]})`,
    `  Summary:     ${exposure.title}`,
    `  Severity:    ${plan.severity.toUpperCase()}${exposure.sample ? " (sample finding)" : ""}`,
    `  Account:     ${exposure.accountId}`,
    `  Region:      ${exposure.region}`,
    `  Principal:   ${principalLabel(input)}`,
    `  Access key:  ${exposure.accessKeyId}`,
    `  Observed:    ${exposure.observedAt}`,
    `  Incident:    ${plan.incidentId}`,
    ...evidence.map((line) => `  ${line}`),
    "",
    `WHAT THE RESPONDER DID${input.mode === "notify-only" ? " (notify-only mode)" : ""}`,
    ...bullets(doneLines, "Nothing in IAM."),
    ...(withheldLines.length > 0
      ? ["", `WHAT IT WOULD HAVE DONE (held back: ${plan.reasons.join("; ")})`, ...bullets(withheldLines)]
      : plan.reasons.length > 0
        ? ["", `WHY NOTHING WAS CHANGED: ${plan.reasons.join("; ")}`]
        : []),
    ...(links.length > 0
      ? ["", `IN THE CONSOLE (account ${exposure.accountId})`, ...links.map((l) => `  ${l.label}: ${l.url}`)]
      : []),
    "",
    ...todoSection(todo),
    ...(release
      ? [
          "",
          "IF THIS WAS A FALSE ALARM",
          `  ${release}`,
          "  (reactivates the key and removes the quarantine the responder added)",
        ]
      : []),
    "",
    "-- leaked-key-responder",
  ].join("\n");

  const chat = renderIncidentChat({
    incidentId: plan.incidentId,
    id: `${plan.incidentId}:${exposure.signalId}`,
    subject,
    emoji: emojiOf(plan.severity, exposure.sample),
    description: [
      `*${exposure.title}*`,
      `Signal: \`${exposure.signal}\` (${SOURCE_LABEL[exposure.source]}) · Account \`${exposure.accountId}\` · ${exposure.region}`,
      `Principal: ${principalLabel(input)} · Key \`${exposure.accessKeyId}\``,
      chatList("Done", doneLines, "*Done:* nothing in IAM"),
      chatList("Would have done", withheldLines),
      plan.reasons.length > 0 ? `*Why not:* ${plan.reasons.join("; ")}` : "",
      chatList(
        "Console",
        links.map((l) => `${l.label}: ${l.url}`),
      ),
    ],
    nextSteps: [...todo, ...(release ? [`False alarm? \`${release}\``] : [])],
    keywords: [plan.severity.toUpperCase(), exposure.accountId, exposure.source, plan.decision],
    eventType: "LeakedKeyIncident",
    relatedResources: [exposure.accessKeyId],
    additionalContext: { incidentId: plan.incidentId, decision: plan.decision },
  });

  const machine = JSON.stringify({
    type: "leaked-key-responder.incident-alert",
    version: 1,
    incidentId: plan.incidentId,
    decision: plan.decision,
    status: plan.status,
    severity: plan.severity,
    mode: input.mode,
    sample: exposure.sample,
    accountId: exposure.accountId,
    region: exposure.region,
    accessKeyId: exposure.accessKeyId,
    principal: { ...exposure.principal, ...(input.principalName ? { name: input.principalName } : {}) },
    source: exposure.source,
    signal: exposure.signal,
    signalId: exposure.signalId,
    observedAt: exposure.observedAt,
    evidence: exposure.evidence,
    actions: input.actions,
    withheld: plan.withheld,
    reasons: plan.reasons,
    humanSteps: todo,
    releaseCommand: release ?? null,
    consoleLinks: links,
  });

  return { subject, text, chat, machine };
}

function emojiOf(severity: Severity, sample: boolean): string {
  if (sample) return ":test_tube:";
  return severity === "critical" || severity === "high" ? ":rotating_light:" : ":warning:";
}
