/**
 * AWS's newest quarantine policy, and the one before it. `AWSCompromisedKeyQuarantineV4` (created
 * 2026-11-06) is the default; a partition that does not have it yet answers NoSuchEntity to the
 * attach, and the responder attaches V3 there instead, recording which one it attached (a release
 * detaches exactly that one).
 */

const V4 = /^(arn:aws[a-z-]*:iam::aws:policy\/)AWSCompromisedKeyQuarantineV4$/;

/** The policy attached in its place when `policyArn` does not exist (V4 → V3, same partition); undefined otherwise. */
export function quarantineFallbackOf(policyArn: string): string | undefined {
  const match = V4.exec(policyArn);
  return match ? `${match[1]}AWSCompromisedKeyQuarantineV3` : undefined;
}

/** The configured quarantine policy and its fallback: every policy a containment may have attached. */
export function quarantinePolicyArnsOf(policyArn: string): string[] {
  const fallback = quarantineFallbackOf(policyArn);
  return fallback === undefined ? [policyArn] : [policyArn, fallback];
}
