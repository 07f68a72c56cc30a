/**
 * What the investigation calls in an account: CloudTrail event history, read-only. LookupEvents has
 * no resource-level permissions (its only Resource is `*`).
 */
export const INVESTIGATION_ACTIONS = ["cloudtrail:LookupEvents"] as const;
