import { maskAccessKeyId } from "../access-key.js";
import { bullets, renderIncidentChat, todoSection, toSnsSubject } from "../alert-text.js";
import type { RenderedAlert } from "../ports.js";
import type { HoneyKeyRecord } from "./model.js";
import type { LastUsedFinding } from "./safety-net.js";
import type { HoneyUse } from "./use.js";

/** A honey key's own chat thread: every alert about that key lands in it, apart from any incident. */
export function honeyThreadOf(record: Pick<HoneyKeyRecord, "accountId" | "accessKeyId">): string {
  return `honeykey-${record.accountId}-${record.accessKeyId}`;
}

function machine(kind: string, record: HoneyKeyRecord, extra: Record<string, unknown>): string {
  return JSON.stringify({
    type: `leaked-key-responder.${kind}`,
    version: 1,
    severity: "critical",
    accountId: record.accountId,
    accessKeyId: record.accessKeyId,
    userName: record.userName,
    placement: record.placement,
    thread: honeyThreadOf(record),
    ...extra,
  });
}

/**
 * The alert for a use of a honey key: critical, naming where the key was planted, who used it
 * from where, and what to do. `test` is true only when the use carried the nonce of a pending
 * `lkr honeykey test` (an attacker cannot know it, so cannot pass a real use off as a test).
 */
export function renderHoneyUseAlert(record: HoneyKeyRecord, use: HoneyUse, test: boolean): RenderedAlert {
  const key = maskAccessKeyId(record.accessKeyId);
  const subject = toSnsSubject(
    `[CRITICAL] ${test ? "(lkr honeykey test) " : ""}Honey key ${key} used from ${use.sourceIp} - ${record.placement} leaked`,
  );
  const facts = [
    `Planted at:   ${record.placement}`,
    `Access key:   ${record.accessKeyId} (user ${record.userName}, account ${record.accountId})`,
    `Call:         ${use.call}${use.errorCode ? ` (failed: ${use.errorCode})` : ""}`,
    `Source IP:    ${use.sourceIp}`,
    `User agent:   ${use.userAgent}`,
    `Region:       ${use.region}`,
    `Time:         ${use.eventTime}`,
    `Event:        ${use.eventId}`,
  ];
  const todo = test
    ? ["Nothing: this use carried the nonce of the `lkr honeykey test` that was run just now."]
    : [
        `Treat "${record.placement}" as leaked: whoever holds this key read it there. Find out how (who had access, what was public, which image or repository contains it).`,
        "Rotate every real secret that lived in the same place: it leaked with the honey key.",
        "Do NOT disable or delete the honey key: it is powerless already, and every further use tells you more (new IPs alert again).",
        `History of this key: npx lkr honeykey show ${record.accessKeyId}`,
      ];
  const text = [
    subject,
    "",
    "WHAT HAPPENED",
    "  A honey key was used. Nobody legitimate ever signs with it: the place it was planted has leaked.",
    ...facts.map((line) => `  ${line}`),
    "",
    "WHAT THE RESPONDER DID",
    ...bullets([
      "Recorded the use on the honey key's record.",
      "Nothing in IAM: the key can do nothing (explicit deny-all) and is left active so further uses are seen.",
    ]),
    "",
    ...todoSection(todo),
    "",
    "-- leaked-key-responder",
  ].join("\n");
  const chat = renderIncidentChat({
    incidentId: honeyThreadOf(record),
    id: `${honeyThreadOf(record)}:${use.eventId}`,
    subject,
    emoji: test ? ":test_tube:" : ":rotating_light:",
    description: [
      `*Honey key used — ${record.placement} leaked*`,
      `\`${use.call}\`${use.errorCode ? ` (${use.errorCode})` : ""} from \`${use.sourceIp}\` · ${use.region} · ${use.eventTime}`,
      `User agent: \`${use.userAgent}\``,
      `Key \`${record.accessKeyId}\` · user ${record.userName} · account \`${record.accountId}\``,
    ],
    nextSteps: todo,
    keywords: ["CRITICAL", record.accountId, "honeykey"],
    eventType: "HoneyKeyUsed",
    relatedResources: [record.accessKeyId],
    additionalContext: { placement: record.placement, sourceIp: use.sourceIp },
  });
  return {
    subject,
    text,
    chat,
    machine: machine("honeykey-used", record, { use, test }),
  };
}

/** The safety net's alert: IAM says the key was used, CloudTrail showed no such use (or the key's guard is gone). */
export function renderSafetyNetAlert(record: HoneyKeyRecord, finding: LastUsedFinding): RenderedAlert {
  const key = maskAccessKeyId(record.accessKeyId);
  const subject = toSnsSubject(`[CRITICAL] Honey key ${key}: ${finding.headline} - ${record.placement}`);
  const text = [
    subject,
    "",
    "WHAT HAPPENED",
    ...bullets([finding.detail]),
    `  Planted at:   ${record.placement}`,
    `  Access key:   ${record.accessKeyId} (user ${record.userName}, account ${record.accountId})`,
    "",
    ...todoSection(finding.todo),
    "",
    "-- leaked-key-responder (honey key safety net)",
  ].join("\n");
  const chat = renderIncidentChat({
    incidentId: honeyThreadOf(record),
    id: `${honeyThreadOf(record)}:${finding.kind}:${finding.lastUsed ?? "none"}`,
    subject,
    emoji: ":rotating_light:",
    description: [`*${finding.headline}*`, finding.detail, `Planted at: ${record.placement}`],
    nextSteps: finding.todo,
    keywords: ["CRITICAL", record.accountId, "honeykey", finding.kind],
    eventType: "HoneyKeySafetyNet",
    relatedResources: [record.accessKeyId],
    additionalContext: { placement: record.placement, kind: finding.kind },
  });
  return { subject, text, chat, machine: machine("honeykey-safety-net", record, { finding }) };
}
