import * as z from "zod/mini";
import { CredentialReportError } from "./errors.js";

/**
 * The IAM credential report (GetCredentialReport's CSV, base64-decoded) as typed rows. Real shapes
 * are kept in test/fixtures/credential-reports with their sources.
 */

/** The columns of today's report, in IAM's order. */
export const CREDENTIAL_REPORT_COLUMNS = [
  "user",
  "arn",
  "user_creation_time",
  "password_enabled",
  "password_last_used",
  "password_last_changed",
  "password_next_rotation",
  "mfa_active",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_1_last_used_region",
  "access_key_1_last_used_service",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
  "access_key_2_last_used_region",
  "access_key_2_last_used_service",
  "cert_1_active",
  "cert_1_last_rotated",
  "cert_2_active",
  "cert_2_last_rotated",
] as const;

/** The user name IAM writes for the account's root user. */
export const ROOT_ACCOUNT = "<root_account>";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** What IAM writes where there is no time: no such credential, root, no record of use. */
const NO_TIME = ["N/A", "not_supported", "no_information"] as const;

const Time = z.union([z.string().check(z.regex(ISO_TIME)), z.enum(NO_TIME)]);
const Flag = z.enum(["true", "false"]);
const FlagOrNotSupported = z.enum(["true", "false", "not_supported"]);
const Text = z.string();

/** One row as IAM writes it: every column a string of its documented shape. */
export const CredentialReportRowSchema = z.object({
  user: z.string().check(z.minLength(1)),
  arn: z.string().check(z.regex(/^arn:aws[a-z-]*:iam::[^:]*:(root|user\/.+)$/)),
  user_creation_time: Time,
  password_enabled: FlagOrNotSupported,
  password_last_used: Time,
  password_last_changed: Time,
  password_next_rotation: Time,
  mfa_active: Flag,
  access_key_1_active: Flag,
  access_key_1_last_rotated: Time,
  access_key_1_last_used_date: Time,
  access_key_1_last_used_region: Text,
  access_key_1_last_used_service: Text,
  access_key_2_active: Flag,
  access_key_2_last_rotated: Time,
  access_key_2_last_used_date: Time,
  access_key_2_last_used_region: Text,
  access_key_2_last_used_service: Text,
  cert_1_active: Flag,
  cert_1_last_rotated: Time,
  cert_2_active: Flag,
  cert_2_last_rotated: Time,
});
export type CredentialReportRow = z.infer<typeof CredentialReportRowSchema>;

/** One access-key slot of a report row (1 or 2). The report names no key id. */
export interface KeySlot {
  readonly slot: 1 | 2;
  readonly active: boolean;
  /** When the key in this slot was created (ISO, UTC); undefined when the slot is empty. */
  readonly lastRotated: string | undefined;
  readonly lastUsed: string | undefined;
  readonly lastUsedRegion: string | undefined;
  readonly lastUsedService: string | undefined;
}

/** A user of the report, with times as ISO UTC instants and IAM's markers as undefined. */
export interface CredentialUser {
  readonly userName: string;
  readonly arn: string;
  readonly isRoot: boolean;
  /** The account the report is about, from the ARN. */
  readonly accountId: string;
  readonly createdAt: string | undefined;
  /** Whether the user can sign in to the console; the root user always can. */
  readonly consoleAccess: boolean;
  readonly passwordLastUsed: string | undefined;
  readonly mfaActive: boolean;
  readonly keySlots: readonly [KeySlot, KeySlot];
}

/** ISO UTC for a report time, undefined for N/A, not_supported and no_information. */
function timeOf(value: string): string | undefined {
  return (NO_TIME as readonly string[]).includes(value) ? undefined : new Date(value).toISOString();
}

function textOf(value: string): string | undefined {
  return value === "" || value === "N/A" || value === "not_supported" ? undefined : value;
}

function slotOf(row: CredentialReportRow, slot: 1 | 2): KeySlot {
  const p = slot === 1 ? "access_key_1" : "access_key_2";
  return {
    slot,
    active: row[`${p}_active`] === "true",
    lastRotated: timeOf(row[`${p}_last_rotated`]),
    lastUsed: timeOf(row[`${p}_last_used_date`]),
    lastUsedRegion: textOf(row[`${p}_last_used_region`]),
    lastUsedService: textOf(row[`${p}_last_used_service`]),
  };
}

export function credentialUserOf(row: CredentialReportRow): CredentialUser {
  const isRoot = row.user === ROOT_ACCOUNT;
  return {
    userName: row.user,
    arn: row.arn,
    isRoot,
    accountId: row.arn.split(":")[4] ?? "",
    createdAt: timeOf(row.user_creation_time),
    consoleAccess: isRoot || row.password_enabled === "true",
    passwordLastUsed: timeOf(row.password_last_used),
    mfaActive: row.mfa_active === "true",
    keySlots: [slotOf(row, 1), slotOf(row, 2)],
  };
}

/** Fields of one CSV line; a field in double quotes may hold commas and doubled quotes. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * IAM user names may hold commas (`+=,.@_-` are allowed). Should a row come unquoted, a name with
 * c commas splits into c+1 fields and its ARN (which ends in the name) into c+1 more: 2c extra
 * fields in all. Joined back only when the ARN then ends in `/<name>`; otherwise left as it is, to
 * fail its schema.
 */
function rejoinNameCommas(fields: readonly string[], width: number): readonly string[] {
  const extra = fields.length - width;
  if (extra <= 0 || extra % 2 !== 0) return fields;
  const c = extra / 2;
  const user = fields.slice(0, c + 1).join(",");
  const arn = fields.slice(c + 1, 2 * c + 2).join(",");
  return arn.endsWith(`/${user}`) ? [user, arn, ...fields.slice(2 * c + 2)] : fields;
}

const MAX_ISSUES = 10;

/**
 * Every row of the report, typed. Columns are read by header name (IAM may add columns at the
 * end); a missing column, or any row failing its schema, rejects the whole report with every
 * problem named: an audit over a misread report would lie.
 */
export function parseCredentialReport(csv: string): CredentialUser[] {
  const lines = csv
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  const [headerLine, ...rows] = lines;
  if (headerLine === undefined) throw new CredentialReportError("credential report is empty");
  const header = csvFields(headerLine).map((h) => h.trim());
  const missing = CREDENTIAL_REPORT_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new CredentialReportError("credential report lacks columns", [missing.join(", ")]);
  }
  const issues: string[] = [];
  const users: CredentialUser[] = [];
  rows.forEach((line, i) => {
    const fields = rejoinNameCommas(csvFields(line), header.length);
    if (fields.length !== header.length) {
      issues.push(`row ${i + 1}: ${fields.length} fields, header has ${header.length}`);
      return;
    }
    const record = Object.fromEntries(header.map((name, j) => [name, fields[j] ?? ""]));
    const parsed = CredentialReportRowSchema.safeParse(record);
    if (parsed.success) users.push(credentialUserOf(parsed.data));
    else {
      for (const issue of parsed.error.issues) {
        issues.push(
          `row ${i + 1} (${String(record.user)}): ${issue.path.map(String).join(".")}: ${issue.message}`,
        );
      }
    }
  });
  if (issues.length > 0) {
    throw new CredentialReportError("credential report rows do not parse", issues.slice(0, MAX_ISSUES));
  }
  return users;
}
