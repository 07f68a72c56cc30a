import type { AuditRecord } from "./digest.js";
import type { EnforcementDetail } from "./enforcement.js";
import type { KeyLastUsed, ListedKey } from "./keys.js";
import type { AdminScope } from "./rules.js";

/** The IAM credential report: generated, waited for, fetched and decoded by the implementation. */
export interface CredentialReportSource {
  fetch(): Promise<{ readonly csv: string; readonly generatedAt: string | undefined }>;
}

/** The IAM reads the report is not enough for. */
export interface KeyDirectory {
  /** ListAccessKeys; a user gone since the report has none. */
  listKeys(userName: string): Promise<ListedKey[]>;
  /** GetAccessKeyLastUsed. */
  lastUsed(accessKeyId: string): Promise<KeyLastUsed>;
  /**
   * Every user's admin-equivalent scope, from one paginated read of the account's users, groups and
   * customer managed policies. Users missing from the answer are not looked up (their admin rule
   * fails closed).
   */
  adminScopes(): Promise<Map<string, AdminScope>>;
}

/** The responder's incidents about keys (public exposure history), by key id. */
export interface ExposureHistory {
  incidentsOf(accountId: string, accessKeyIds: readonly string[]): Promise<Map<string, string[]>>;
}

/** Where audits are kept: the incident table, under `audit#`. */
export interface AuditStore {
  previous(): Promise<AuditRecord | undefined>;
  record(record: AuditRecord): Promise<void>;
}

/** The stack's own bus: enforcement signals for the respond function (the audit disables nothing itself). */
export interface EnforcementSignals {
  emit(detail: EnforcementDetail): Promise<void>;
}
