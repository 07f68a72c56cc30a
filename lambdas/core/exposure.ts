import type { AccessKeyId } from "./access-key.js";
import type { Severity } from "./vocabulary.js";

export type SourceName =
  | "health"
  | "trusted-advisor"
  | "guardduty"
  | "cloudtrail"
  | "drill"
  /** Persistence the investigation found in what a contained key did (investigation/persistence.ts). */
  | "investigation"
  /** The key hygiene audit's enforcement of an announced finding (audit/enforcement.ts). */
  | "audit";

export { maxSeverity, SEVERITY_ORDER, type Severity } from "./vocabulary.js";

/** Who the key belongs to, as far as the signal says. */
export type Principal =
  /** name undefined: the signal does not say (Health); the responder looks it up. */
  | { readonly type: "user"; readonly name: string | undefined }
  | { readonly type: "root" }
  | { readonly type: "role"; readonly name: string }
  /** AWSService, FederatedUser, unknown: nothing the responder may fence. */
  | { readonly type: "other"; readonly description: string };

/**
 * What the signal asks of the responder, before any policy is applied:
 * contain the key; revoke the sessions of a role; only tell people; or, for a key
 * that was switched back on, contain it again only if its incident is still open;
 * `fence-user`: the key is one of several candidates (AWS quarantined their user without
 * naming it): deny the user's sessions and leave the key as it is, until a signal names it;
 * `fence-principal`: fence a principal the attacker made or used with a contained key (a user
 * quarantined, a role's sessions revoked), recorded on that key's incident while it is contained.
 */
export type Intent =
  | "contain"
  | "revoke-sessions"
  | "notify"
  | "recontain-if-open"
  | "fence-user"
  | "fence-principal";

/** One exposed or abused access key, as one signal reports it. */
export interface Exposure {
  readonly source: SourceName;
  /** What the signal is: Health event type code, finding type, API call, check name. */
  readonly signal: string;
  /** Stable id of this report of this key: deliveries with the same id are duplicates. */
  readonly signalId: string;
  /** Id of the event that carried it (for logs). */
  readonly sourceEventId: string;
  readonly accountId: string;
  readonly region: string;
  /** The exact key named by the signal. For GuardDuty sample findings, the placeholder it carries. */
  readonly accessKeyId: AccessKeyId | string;
  readonly principal: Principal;
  readonly intent: Intent;
  readonly severity: Severity;
  /** GuardDuty sample finding: report it, never act. */
  readonly sample: boolean;
  readonly observedAt: string;
  /** One-line human description of the signal. */
  readonly title: string;
  /** Extra facts worth showing a human (IPs, fraud type, case id...), short strings. */
  readonly evidence: Readonly<Record<string, string>>;
}
