import type { HoneyKeyRecord } from "./model.js";
import type { HoneyUse } from "./use.js";

/** Honey key records in the incident table, as the use handler, the safety net and lkr need them. */
export interface HoneyKeyStore {
  get(accessKeyId: string): Promise<HoneyKeyRecord | undefined>;
  /** Every honey key record, any state. */
  list(): Promise<HoneyKeyRecord[]>;
  /** Keeps the use on its own item; `seen` when that CloudTrail event was recorded before (a duplicate). */
  recordUse(use: HoneyUse, now: string): Promise<"new" | "seen">;
  /**
   * Claims the alert for (key, source IP): true unless that IP was alerted on after `cutoff`.
   * A new IP always claims.
   */
  claimAlert(
    accessKeyId: string,
    sourceIp: string,
    eventId: string,
    now: string,
    cutoff: string,
  ): Promise<boolean>;
  /** Gives the claim back when the alert could not be published, so the retry alerts. */
  releaseAlert(accessKeyId: string, sourceIp: string, eventId: string): Promise<void>;
  /** Notes on the record that the alert for this use went out (`lastAlert`, and on `lastUse` when it is that use). */
  markAlerted(use: HoneyUse, at: string): Promise<void>;
  /** The last last-used date the safety net examined. */
  markLastUsedSeen(accessKeyId: string, lastUsed: string): Promise<void>;
}

/** What IAM says about one honey key, for the safety net. */
export interface HoneyKeyFacts {
  /** GetAccessKeyLastUsed: undefined when never used (or the key is gone). */
  readonly lastUsed: { readonly at: string; readonly service: string; readonly region: string } | undefined;
  readonly keyStatus: "Active" | "Inactive" | "absent";
  /** Managed policies attached to the user; undefined when the user is gone. */
  readonly attachedPolicyArns: readonly string[] | undefined;
}

export interface HoneyIamReader {
  facts(userName: string, accessKeyId: string): Promise<HoneyKeyFacts>;
}

/** Who the honey users are, for the parts of the responder that must leave them alone (the audit). */
export interface HoneyUserDirectory {
  /** `<account>/<user name>` of every honey user, retired ones included. */
  honeyUsers(): Promise<Set<string>>;
}
