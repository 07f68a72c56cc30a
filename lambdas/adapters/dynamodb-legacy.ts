import { IAM_NAME } from "../core/vocabulary.js";

/**
 * Incident items written before actions carried their subject as data: `target` was display text
 * (`AKIA… (user alice)`, `user alice`, an incident id) and `undo` a string map with comma-joined
 * tag keys. Read once here, at the table's edge, into the typed shape; text that names nothing is
 * left without a subject, and a release then refuses to guess.
 */

const KEY_TARGET = new RegExp(String.raw`^((?:AKIA|ASIA)[A-Z0-9]{16}) \(user (${IAM_NAME})\)$`);
const FENCE_TARGET = new RegExp(`^(user|role) (${IAM_NAME})$`);

/** `user alice` / `role web` → the principal; undefined for anything else. */
export function fenceTargetOf(text: string): { type: "user" | "role"; name: string } | undefined {
  const match = FENCE_TARGET.exec(text);
  if (!match) return undefined;
  return { type: match[1] === "role" ? "role" : "user", name: match[2] as string };
}

/** `AKIA… (user alice)` → the key and its user; undefined for anything else. */
export function keyTargetOf(text: string): { accessKeyId: string; userName: string } | undefined {
  const match = KEY_TARGET.exec(text);
  if (!match) return undefined;
  return { accessKeyId: match[1] as string, userName: match[2] as string };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function legacySubjectOf(kind: unknown, target: string): Record<string, unknown> | undefined {
  if (kind === "disable-key" || kind === "reactivate-key") {
    const key = keyTargetOf(target);
    return key && { type: "key", ...key };
  }
  if (kind === "release" || kind === "resolve") return { type: "incident", incidentId: target };
  return fenceTargetOf(target);
}

/** One stored action in the current shape: subject from the legacy text, tag keys as a list. */
export function upgradeLegacyAction(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const upgraded: Record<string, unknown> = { ...raw };
  if (upgraded.subject === undefined && typeof raw.target === "string") {
    const subject = legacySubjectOf(raw.kind, raw.target);
    if (subject !== undefined) upgraded.subject = subject;
  }
  if (isRecord(raw.undo) && typeof raw.undo.tagKeys === "string") {
    const tagKeys = raw.undo.tagKeys
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k !== "");
    upgraded.undo = { ...raw.undo, tagKeys };
  }
  return upgraded;
}

/** An incident item in the current shape (every action upgraded); anything else as it is. */
export function upgradeLegacyIncident(item: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(item.actions) ? { ...item, actions: item.actions.map(upgradeLegacyAction) } : item;
}
