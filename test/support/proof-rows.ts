import type { Decision, ProofRequest } from "./iam-proof.js";

/** One row of an IAM proof table: what it says, the request, and the decision AWS must take on it. */
export interface ProofRow {
  readonly says: string;
  readonly request: ProofRequest;
  readonly expected: Decision;
  /** Today's decision is wrong; the fix belongs to another change. */
  readonly knownGap?: string;
}

/** What a row may add to its request (context keys, a caller's own policies) or mark (a known gap). */
export interface RowExtras {
  readonly context?: Record<string, string | string[]>;
  readonly knownGap?: string;
  readonly identityPolicies?: ProofRequest["identityPolicies"];
}

/** A proof row: `principal` asks for `action` on `resource`, and AWS decides `expected`. */
export function row(
  says: string,
  principal: string,
  action: string,
  resource: string,
  expected: Decision,
  extra: RowExtras = {},
): ProofRow {
  return {
    says,
    request: {
      principal,
      action,
      resource,
      ...(extra.context && { context: extra.context }),
      ...(extra.identityPolicies && { identityPolicies: extra.identityPolicies }),
    },
    expected,
    ...(extra.knownGap && { knownGap: extra.knownGap }),
  };
}
