import { Stack, Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { AWS_QUARANTINE_POLICY_ARN_PATTERN, QUARANTINE_POLICY_ALLOWED } from "../lambdas/core/contract.js";

/**
 * Whether a quarantine policy ARN is allowed: one of AWS's deny-only quarantine policies by ARN,
 * or a token naming a managed policy defined in the same stack whose every statement denies.
 * Every containment attaches this policy to the attacker's principal: a policy that allows
 * anything (AdministratorAccess...) would hand them that power. Returns the problem, if any.
 */
export function quarantinePolicyProblem(scope: IConstruct, arn: string): string | undefined {
  if (!Token.isUnresolved(arn)) {
    return AWS_QUARANTINE_POLICY_ARN_PATTERN.test(arn)
      ? undefined
      : `quarantinePolicyArn is "${arn}"; allowed: ${QUARANTINE_POLICY_ALLOWED}`;
  }
  const stack = Stack.of(scope);
  const wanted = JSON.stringify(stack.resolve(arn));
  const policy = stack.node
    .findAll()
    .find(
      (c): c is iam.ManagedPolicy =>
        c instanceof iam.ManagedPolicy && JSON.stringify(stack.resolve(c.managedPolicyArn)) === wanted,
    );
  if (policy === undefined) {
    return `quarantinePolicyArn is ${wanted}, which names no managed policy of this stack; allowed: ${QUARANTINE_POLICY_ALLOWED}`;
  }
  const allowing = nonDenyStatements(policy);
  return allowing.length === 0
    ? undefined
    : `quarantinePolicyArn is ${policy.node.path} (${wanted}), whose statements ${allowing.join(", ")} do not deny; allowed: ${QUARANTINE_POLICY_ALLOWED}`;
}

/** The statements (by Sid or position) of the policy that are not Deny; an empty policy denies nothing. */
function nonDenyStatements(policy: iam.ManagedPolicy): string[] {
  const statements = (policy.document.toJSON()?.Statement ?? []) as { Effect?: string; Sid?: string }[];
  if (statements.length === 0) return ["(none: the policy is empty)"];
  return statements.flatMap((s, i) => (s.Effect === "Deny" ? [] : [s.Sid ?? `#${i + 1}`]));
}
