import { maskAccessKeyId } from "./access-key.js";
import { bullets, renderIncidentChat, todoSection, toSnsSubject } from "./alert-text.js";
import { chatList } from "./chatbot.js";
import { consoleLinksOf, consoleSection } from "./console-links.js";
import { containmentFailed } from "./containment.js";
import { CLI_INVOCATION } from "./contract.js";
import { CANDIDATE_KEYS, KEY_INFERRED } from "./evidence-keys.js";
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

export const SOURCE_LABEL: Record<Exposure["source"], string> = {
  health: "AWS Health",
  "trusted-advisor": "AWS Trusted Advisor",
  guardduty: "Amazon GuardDuty",
  cloudtrail: "AWS CloudTrail",
  drill: "Responder drill",
  investigation: "Responder investigation (CloudTrail)",
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
  if (exposure.source === "investigation" && exposure.intent !== "contain") {
    return `${sev} ${exposure.title}${persistenceOutcome(plan)} - account ${exposure.accountId}`;
  }
  if (exposure.principal.type === "root")
    return `${sev} Root access key ${key} ${verbOf(exposure)} - act now, account ${exposure.accountId}`;
  if (plan.decision === "contain" && containmentFailed(input.actions)) {
    return `${sev} FAILED to contain key ${key} - act now - ${who}`;
  }
  if (plan.decision === "contain" && exposure.intent === "fence-principal") {
    // The fence of a principal made with the key (persistence), undone by someone and put back.
    return `${sev} Tampered: fence of ${principalLabelOf(principalRecordOf(exposure.principal))} put back (key ${key}) - account ${exposure.accountId}`;
  }
  if (plan.decision === "contain") {
    const disabled = plan.steps.some((s) => s.kind === "disable-key");
    const what = disabled ? `key ${key} disabled` : `sessions of key ${key} revoked`;
    const inferred = exposure.evidence[KEY_INFERRED] === "true" ? " (inferred)" : "";
    return `${sev} ${capitalize(verbOf(exposure))} ${what}${inferred} - ${who}`;
  }
  if (plan.decision === "fence") {
    // SNS keeps 100 characters of a subject: the account is in the body.
    return `${sev} AWS quarantined ${principalLabel(input)}: sessions denied, candidate key ${key}`;
  }
  if (plan.withheld.length > 0) {
    return `${sev} ${capitalize(verbOf(exposure))} key ${key} NOT contained (${shortReason(plan.reasons)}) - ${who}`;
  }
  return `${sev} ${exposure.signal} for key ${key} - ${who}`;
}

/** What became of a principal the attacker made or used: fenced, held back and why, or alert only. */
function persistenceOutcome(plan: AlertInput["plan"]): string {
  if (plan.decision === "contain") {
    return plan.steps.some((s) => s.kind === "revoke-sessions") ? " - sessions revoked" : " - quarantined";
  }
  if (plan.withheld.length > 0) return ` - NOT fenced (${shortReason(plan.reasons)})`;
  return "";
}

function verbOf(exposure: Exposure): string {
  // AWS's own quarantine call (CloudTrail): the key was exposed.
  if (exposure.source === "cloudtrail" && (exposure.intent === "contain" || exposure.intent === "fence-user"))
    return "exposed";
  if (exposure.source === "investigation") return "attacker-made";
  if (exposure.source === "cloudtrail") {
    if (exposure.intent === "notify") return "created";
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

export function describeAction(action: ActionRecord): string {
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
  if (exposure.source === "investigation") return persistenceSteps(input);
  const user = input.principalName ?? "<user>";
  const steps: string[] = [];
  if (exposure.source === "drill" && plan.decision !== "contain") {
    return [
      "Nothing to contain: this drill event names a principal that is not a drill canary. Find who sent it (CloudTrail PutEvents with source leaked-key-responder.drill).",
    ];
  }
  if (plan.decision === "fence") return fenceSteps(input, user);
  if (exposure.evidence[KEY_INFERRED] === "true" && plan.decision === "contain") {
    steps.push(
      `AWS's quarantine record named no key: the responder disabled ${user}'s only Active key, ${key}. AWS's Health event, which follows, names the key and joins this incident; if it names another key, that key is contained in its own incident and this one can be released.`,
    );
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
  if (
    (exposure.intent === "recontain-if-open" || exposure.intent === "fence-principal") &&
    plan.decision === "contain"
  ) {
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

/** What a human does when AWS quarantined a user without naming the key: the candidates are in the evidence. */
function fenceSteps(input: AlertInput, user: string): string[] {
  const candidates = input.exposure.evidence[CANDIDATE_KEYS] ?? input.exposure.accessKeyId;
  return [
    `AWS attached its quarantine policy to ${user} (its own call, recorded by CloudTrail) without naming the leaked key. Candidate keys: ${candidates}. The responder denied ${user}'s sessions and left the keys as they are.`,
    "AWS's Health event usually follows within a minute and names the key: the responder then disables exactly that key, in that key's incident (this one, or the other candidate's).",
    `If you know which key leaked, disable it now: aws iam update-access-key --user-name ${user} --access-key-id <key> --status Inactive`,
    `Once the leaked key is known, release the other candidates' incidents (which lifts the session deny unless a contained key still needs it): ${CLI_INVOCATION} release <incident> --reason "not the leaked key" --stack ${input.stackName}`,
  ];
}

/** What people must still do about persistence the investigation found (and the responder fenced). */
function persistenceSteps(input: AlertInput): string[] {
  const { exposure, plan } = input;
  const linked = exposure.evidence.linkedIncident ?? "the leaked key's incident";
  const leaked = exposure.evidence.leakedKey ?? "the leaked key";
  const steps = [
    `This was made with ${leaked} (incident ${linked}) while it was leaked: treat it as the attacker's.`,
  ];
  if (plan.decision !== "contain" && plan.withheld.length > 0) {
    steps.push(
      `The responder did not act (${plan.reasons.join("; ")}): decide now whether to fence it yourself.`,
    );
  }
  const p = exposure.principal;
  const name = p.type === "user" || p.type === "role" ? (p.name ?? "<name>") : "<name>";
  if (exposure.intent === "contain") {
    steps.push(
      `Delete the key once reviewed (disable, never delete, is the responder's rule; deleting is yours): aws iam delete-access-key --user-name ${name} --access-key-id ${exposure.accessKeyId}`,
    );
  } else if (p.type === "user") {
    steps.push(
      `Review user ${name}; if it is the attacker's, remove its console password and delete it yourself: aws iam delete-login-profile --user-name ${name}; aws iam delete-user --user-name ${name}. A release of incident ${linked} also gives back its quarantine.`,
    );
  } else if (exposure.signal === "UpdateAssumeRolePolicy") {
    steps.push(
      `Restore the trust policy of role ${name} (the diff is under Evidence): aws iam update-assume-role-policy --role-name ${name} --policy-document file://trusted.json`,
    );
  } else {
    steps.push(
      `Look at what sessions of role ${name} did (the follow-up alert of incident ${linked}); a release of that incident lifts the revoke.`,
    );
  }
  return steps;
}

function releaseLine(input: AlertInput): string | undefined {
  if (input.plan.decision !== "contain" && input.plan.decision !== "fence") return undefined;
  return `${CLI_INVOCATION} release ${input.plan.incidentId} --reason "<why this was a false alarm>" --stack ${input.stackName}`;
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
    ...consoleSection(exposure.accountId, links),
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
    // A key the leaked key made is told in the leaked key's thread: one story per leak.
    incidentId:
      exposure.source === "investigation"
        ? (exposure.evidence.linkedIncident ?? plan.incidentId)
        : plan.incidentId,
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
