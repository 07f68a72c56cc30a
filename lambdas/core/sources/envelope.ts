import * as z from "zod/mini";
import { InvalidEventError } from "../errors.js";

/** The EventBridge envelope every signal arrives in. `account` is optional only because emulators drop it. */
export const EnvelopeSchema = z.looseObject({
  version: z.optional(z.string()),
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  "detail-type": z.string(),
  source: z.string(),
  account: z.optional(z.string().check(z.regex(/^\d{12}$/))),
  time: z.string(),
  region: z.string(),
  resources: z.optional(z.array(z.string())),
  detail: z.unknown(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

const MAX_ISSUES = 10;

/**
 * A signal's time as ISO 8601, whatever AWS wrote: ISO already (GuardDuty, CloudTrail), RFC 1123
 * (`Wed, 12 Feb 2025 00:37:54 GMT`, Health) or epoch milliseconds as text (Trusted Advisor).
 * Unreadable times fall back to the envelope's.
 */
export function isoTimeOf(value: string | null | undefined, fallback: string): string {
  const text = value?.trim() ?? "";
  const date = /^\d{10,13}$/.test(text)
    ? new Date(Number(text.length === 10 ? `${text}000` : text))
    : new Date(text);
  if (text !== "" && !Number.isNaN(date.getTime())) return date.toISOString();
  const envelopeTime = new Date(fallback);
  return Number.isNaN(envelopeTime.getTime()) ? fallback : envelopeTime.toISOString();
}

/** Parses `value` or throws an InvalidEventError naming every field that is wrong. */
export function parseOrThrow<S extends z.ZodMiniType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.infer<S>;
  const issues = result.error.issues
    .slice(0, MAX_ISSUES)
    .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
  throw new InvalidEventError(`malformed ${source} event`, source, issues, { cause: result.error });
}

/**
 * The account the signal is about: the one the detail names, else the envelope's. They differ
 * when a delegated administrator (GuardDuty) receives a member account's finding on its own bus:
 * the key then lives in the member account.
 */
export function accountOf(envelope: Envelope, detailAccount: string | undefined, source: string): string {
  const account = detailAccount ?? envelope.account;
  if (account === undefined || !/^\d{12}$/.test(account)) {
    throw new InvalidEventError("event names no 12-digit account", source, ["account: missing"]);
  }
  return account;
}
