import * as z from "zod/mini";
import { TAG_PREFIX } from "../plan.js";

/**
 * Honey keys: real, powerless access keys planted where a real one could leak. Nobody legitimate
 * ever signs with one, so any call made with it means the place it was planted leaked.
 *
 * What marks a honey key is never its user's name or path (both look like an ordinary service
 * user's): a record in the incident table (read by the use handler and the safety net) and a tag
 * on its user (read by every other part of the responder, which then leaves the user alone). The
 * honey key itself cannot read either: its user's deny-all policy denies every IAM and DynamoDB
 * call, and sts:GetCallerIdentity, the one call no policy can deny, returns only the ARN.
 */

/** The tag every honey user carries (value `true`): the planner and the audit leave such users alone. */
export const HONEY_TAG = `${TAG_PREFIX}:honeykey`;

/**
 * The IAM path of honey users unless the deployer chose another: ordinary-looking, and the one
 * thing the detection rule matches on (CloudTrail's `userIdentity.arn` carries the user's path).
 * No other user may live under it.
 */
export const DEFAULT_HONEY_PATH = "/service/";

/** AWS's managed deny-all policy, attached to every honey user. */
export const DENY_ALL_POLICY_ARN = "arn:aws:iam::aws:policy/AWSDenyAll";

/** How long one source IP's uses of one honey key raise no second alert (each use is still recorded). */
export const DEFAULT_HONEY_ALERT_COOLDOWN_SECONDS = 3600;

/** How far last-used may lie after the last use CloudTrail showed and still be that use. */
export const LAST_USED_TOLERANCE_SECONDS = 300;

/** Words no honey user name or path may hold: scanners look for them. */
export const TELL_TALE_WORDS = ["canary", "honey", "decoy", "trap", "tripwire", "lure", "bait", "fake"];

/** The default user name pattern: `{word}` an ordinary service word, `{env}` an environment, `{n}` two digits. */
export const DEFAULT_NAME_PATTERN = "{word}-{env}-{n}";

const WORDS = [
  "backup",
  "ci-deploy",
  "build-agent",
  "etl",
  "reporting",
  "s3-sync",
  "terraform",
  "monitoring",
  "artifact-upload",
  "db-export",
  "log-shipper",
  "data-pipeline",
] as const;
const ENVS = ["prod", "production", "staging", "ops", "shared"] as const;

/** The honey key record's item key in the incident table (beside incidents, as child items are). */
export function honeyItemKey(accessKeyId: string): string {
  return `honeykey#${accessKeyId}`;
}

/** The item type of honey key records: child items carry one, so incident listings skip them. */
export const HONEY_ITEM_TYPE = "honeykey";

export const HONEY_STATES = ["active", "retired", "rotated"] as const;
export type HoneyState = (typeof HONEY_STATES)[number];

/** One use of a honey key, as the record keeps its latest (each use also has its own item). */
const UseSummarySchema = z.looseObject({
  eventId: z.string(),
  eventTime: z.string(),
  sourceIp: z.string(),
  userAgent: z.string(),
  region: z.string(),
  call: z.string(),
  /** When the alert went out; absent while the (key, source IP) was in its cooldown. */
  alertedAt: z.optional(z.string()),
});

/** The honey key record: what lkr planted where, and what the responder saw of it since. */
export const HoneyKeyRecordSchema = z.looseObject({
  accessKeyId: z.string(),
  accountId: z.string(),
  userName: z.string(),
  path: z.string(),
  placement: z.string(),
  state: z.enum(HONEY_STATES),
  createdAt: z.string(),
  createdBy: z.string(),
  /** Set when retired or rotated (the key is then Inactive, never deleted). */
  retiredAt: z.optional(z.string()),
  /** The key that replaced this one (rotation). */
  replacedBy: z.optional(z.string()),
  /** How many distinct CloudTrail events showed the key in use. */
  uses: z.optional(z.number()),
  /** The latest use CloudTrail showed (by its event time). */
  lastUse: z.optional(UseSummarySchema),
  /** The last alert sent for a use (any IP): what `lkr honeykey test` waits for. */
  lastAlert: z.optional(
    z.looseObject({ eventId: z.string(), at: z.string(), sourceIp: z.string(), userAgent: z.string() }),
  ),
  /** Source IP → when its last alert went out and for which event (the cooldown). */
  alertedIps: z.optional(z.record(z.string(), z.looseObject({ at: z.string(), eventId: z.string() }))),
  /** The last `GetAccessKeyLastUsed` date the safety net examined. */
  lastUsedSeen: z.optional(z.string()),
  /** A pending `lkr honeykey test`: its user agent marker (a random nonce) and until when it counts. */
  testNonce: z.optional(z.string()),
  testUntil: z.optional(z.string()),
});
export type HoneyKeyRecord = z.infer<typeof HoneyKeyRecordSchema>;

/** A path or name fragment holding a tell-tale word; undefined when it looks ordinary. */
export function tellTaleWordIn(text: string): string | undefined {
  const folded = text.toLowerCase();
  return TELL_TALE_WORDS.find((word) => folded.includes(word));
}

/** An IAM path: `/`, or `/a/b/` with IAM's characters, and no tell-tale word. Returns the problem, if any. */
export function honeyPathProblem(path: string): string | undefined {
  if (!/^\/([\x21-\x7e]+\/)*$/.test(path) || path.length > 512 || path.includes("//")) {
    return `path "${path}" is not an IAM path (begins and ends with /, printable characters, at most 512)`;
  }
  if (path === "/") return `path "/" is every user's: honey users need a path of their own`;
  const word = tellTaleWordIn(path);
  return word ? `path "${path}" contains "${word}": scanners look for it` : undefined;
}

/**
 * A user name from the pattern: `{word}`, `{env}` and `{n}` are filled from `random` (hex digits
 * from the caller; core has no randomness). Throws when the result is no valid IAM user name or
 * holds a tell-tale word.
 */
export function honeyUserNameOf(pattern: string, random: string): string {
  const digits = random.replace(/[^0-9a-f]/gi, "").padEnd(8, "0");
  const pick = (offset: number, size: number) => Number.parseInt(digits.slice(offset, offset + 2), 16) % size;
  const name = pattern
    .replaceAll("{word}", WORDS[pick(0, WORDS.length)] ?? "backup")
    .replaceAll("{env}", ENVS[pick(2, ENVS.length)] ?? "prod")
    .replaceAll("{n}", String(pick(4, 100)).padStart(2, "0"));
  if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
    throw new Error(`name pattern "${pattern}" gives "${name}", not a valid IAM user name`);
  }
  const word = tellTaleWordIn(name);
  if (word) throw new Error(`name pattern "${pattern}" gives "${name}", which contains "${word}"`);
  return name;
}

/** The three ways people paste a key, printed once at creation and never stored. */
export function renderCredentials(
  profile: string,
  accessKeyId: string,
  secretAccessKey: string,
  region: string,
): string {
  return [
    "~/.aws/credentials:",
    `[${profile}]`,
    `aws_access_key_id = ${accessKeyId}`,
    `aws_secret_access_key = ${secretAccessKey}`,
    `region = ${region}`,
    "",
    "Environment variables:",
    `export AWS_ACCESS_KEY_ID=${accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${secretAccessKey}`,
    `export AWS_DEFAULT_REGION=${region}`,
    "",
    "JSON:",
    JSON.stringify({ AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, Region: region }),
  ].join("\n");
}
