import * as z from "zod/mini";

/**
 * Long-term keys (users, root) start with AKIA; STS session credentials with ASIA.
 * Both are 20 characters: a 4-letter prefix and 16 upper-case letters or digits.
 */
export const ACCESS_KEY_ID_PATTERN = /^(AKIA|ASIA)[A-Z0-9]{16}$/;

export const AccessKeyIdSchema = z.string().check(z.regex(ACCESS_KEY_ID_PATTERN));
export type AccessKeyId = z.infer<typeof AccessKeyIdSchema>;

export type KeyKind = "long-term" | "session";

export function isAccessKeyId(value: unknown): value is AccessKeyId {
  return typeof value === "string" && ACCESS_KEY_ID_PATTERN.test(value);
}

export function keyKindOf(accessKeyId: AccessKeyId): KeyKind {
  return accessKeyId.startsWith("ASIA") ? "session" : "long-term";
}

/** `AKIA...WXYZ`: enough to recognise a key in a subject line or table without repeating it whole. */
export function maskAccessKeyId(accessKeyId: string): string {
  if (accessKeyId.length < 12) return accessKeyId;
  return `${accessKeyId.slice(0, 4)}...${accessKeyId.slice(-4)}`;
}

/** 12-digit AWS account id. */
export const AccountIdSchema = z.string().check(z.regex(/^\d{12}$/));
