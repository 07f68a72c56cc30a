import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Aws, BootstraplessSynthesizer, CfnParameter, Stack, Tags } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { HONEYKEY_CHECK_IAM_ACTIONS } from "../lambdas/adapters/iam-honey.js";
import { AUDIT_ACTIONS, auditIamActionsFor } from "../lambdas/core/audit/permissions.js";
import { DEFAULT_STACK_NAME } from "../lambdas/core/contract.js";
import { INVESTIGATION_ACTIONS } from "../lambdas/core/investigation/permissions.js";
import {
  MEMBER_DRILL_POLICY_DOCUMENT,
  MEMBER_DRILL_POLICY_NAME,
  MEMBER_DRILL_USER_NAME,
  MEMBER_DRILL_USER_PATH,
} from "../lambdas/core/member-drill.js";
import { memberRevokerRoleName, memberSessionDenyPolicyName } from "../lambdas/core/organization.js";
import {
  iamActionsFor,
  ROLE_SESSION_LIFT_ACTIONS,
  ROLE_SESSION_REVOKER_ACTIONS,
} from "../lambdas/core/permissions.js";
import { DRILL_TAG, EXEMPT_TAG, TAG_PREFIX } from "../lambdas/core/plan.js";
import { quarantinePolicyArnsOf } from "../lambdas/core/quarantine-fallback.js";
import {
  RELEASE_DETACH_ACTIONS,
  RELEASE_IAM_ACTIONS,
  RELEASE_UNTAG_ACTIONS,
} from "../lambdas/core/release/permissions.js";
import { sessionDenyPolicyDocument } from "../lambdas/core/role-sessions.js";
import { forwardRules } from "./forward-rules.js";
import { type ForwardedPattern, honeyForwardedPattern, MEMBER_FORWARDED_PATTERNS } from "./forwarding.js";
import { memberForwarderRolePrefix } from "./org-intake.js";
import { exemptArnsOf, keyOwnerStatements } from "./respond-permissions.js";

/** The member template's parameters, filled in by the StackSet. */
export const MEMBER_PARAMETERS = {
  /** The central roles that may assume the member role (respond, investigate, operators). */
  centralRoleArns: "CentralRoleArns",
  /** The central bus the member account forwards its signals to. */
  centralBusArn: "CentralBusArn",
  /** The central role-session revoker's role: the only principal that may assume the member's revoker role. */
  centralRevokerRoleArn: "CentralRevokerRoleArn",
} as const;

/** The member stack's settings (the same for every member account). */
export interface MemberTemplateProps {
  readonly organizationId: string;
  readonly memberRoleName: string;
  /** An AWS managed quarantine policy (a stack-defined one does not exist in member accounts). */
  readonly quarantinePolicyArn: string;
  /** Exempt users and roles (names), never changed in any account. @default - none */
  readonly exemptPrincipals?: readonly string[];
  /** Honour the exempt tag in member accounts too. @default false */
  readonly honorExemptTag?: boolean;
  /** Forwarded to the central bus from the member's us-east-1 default bus. @default MEMBER_FORWARDED_PATTERNS and honey key use under `honeyKeyPath` */
  readonly patterns?: readonly ForwardedPattern[];
  /** IAM path of the member accounts' honey users, whose use is forwarded (the central stack's `honeyKeyPath`). @default "/service/" */
  readonly honeyKeyPath?: string;
  /**
   * The forwarding role is named `<prefix><region>`: the central bus admits honey key use only from
   * roles named so (`memberForwarderRoleArnPattern`). @default memberForwarderRolePrefix("LeakedKeyResponder")
   */
  readonly forwarderRolePrefix?: string;
}

/** Actions that grant: the member role holds none of them, and denies them explicitly. */
export const GRANT_ACTIONS = [
  "iam:PutUserPolicy",
  "iam:PutRolePolicy",
  "iam:PutGroupPolicy",
  "iam:CreatePolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AttachGroupPolicy",
  "iam:CreateUser",
  "iam:CreateRole",
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:AddUserToGroup",
  "iam:UpdateAssumeRolePolicy",
  "iam:PutUserPermissionsBoundary",
  "iam:PutRolePermissionsBoundary",
  "iam:DeleteUserPermissionsBoundary",
  "iam:DeleteRolePermissionsBoundary",
  "iam:PassRole",
] as const;

/**
 * Every action the member role holds: the respond function's (the permissions table), the
 * release's (lkr release / resolve through the role), the investigation's (CloudTrail lookups),
 * the audit's (IAM reads: credential report, keys, admin scope) and the honey key safety net's
 * (reads of the honey users planted in the account).
 */
export function memberRoleActions(): string[] {
  const respond = [...iamActionsFor("user"), ...iamActionsFor("role")];
  const release = [...RELEASE_IAM_ACTIONS.user, ...RELEASE_IAM_ACTIONS.role];
  return [
    ...new Set([
      ...respond,
      ...release,
      ...INVESTIGATION_ACTIONS,
      ...AUDIT_ACTIONS,
      ...HONEYKEY_CHECK_IAM_ACTIONS,
    ]),
  ].sort();
}

/**
 * The member stack, deployed into every account of the member OUs by the service-managed StackSet
 * (us-east-1 only: IAM, Trusted Advisor and Health signals of an account arrive there):
 * - the member role, assumable only by the central roles named (and only from inside the
 *   Organization), holding exactly the actions of the permissions tables, never one that grants;
 * - the member's own deny-only session policy (the one the member role may attach besides quarantine);
 * - the drill user `lkr drill --account` exercises (the member role may create no user or key);
 * - the revoker role: the only role of the stack that may write (and delete) an inline policy on a
 *   role, assumable only by the central role-session revoker function, which writes nothing but the
 *   deny of a role's older sessions (see `revokerRole`);
 * - rules forwarding the member's signals (and honey key use in us-east-1) to the central bus,
 *   through a role named `<forwarderRolePrefix>us-east-1`, with a DLQ.
 */
export class MemberStack extends Stack {
  readonly memberRole: iam.CfnRole;
  readonly revokerRole: iam.CfnRole;

  constructor(scope: App, id: string, props: MemberTemplateProps) {
    super(scope, id, {
      synthesizer: new BootstraplessSynthesizer(),
      description: "leaked-key-responder member account: remediation role and signal forwarding",
    });
    const centralRoles = new CfnParameter(this, MEMBER_PARAMETERS.centralRoleArns, {
      type: "CommaDelimitedList",
      description: "ARNs of the central respond, investigate and operator roles",
    });
    const centralBus = new CfnParameter(this, MEMBER_PARAMETERS.centralBusArn, {
      type: "String",
      allowedPattern: "^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/[\\w.-]+$",
      description: "ARN of the central bus",
    });
    const centralRevoker = new CfnParameter(this, MEMBER_PARAMETERS.centralRevokerRoleArn, {
      type: "String",
      allowedPattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+$",
      description: "ARN of the central role-session revoker function's role",
    });
    const revokerRoleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${memberRevokerRoleName(props.memberRoleName)}`;

    const sessionDeny = new iam.CfnManagedPolicy(this, "SessionDenyPolicy", {
      managedPolicyName: memberSessionDenyPolicyName(props.memberRoleName),
      description:
        "leaked-key-responder: denies every request made with temporary credentials (attached to a quarantined user)",
      policyDocument: sessionDenyPolicyDocument(),
    });
    const owners = {
      user: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/*`,
      role: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`,
    };
    const settings = {
      quarantinePolicyArn: props.quarantinePolicyArn,
      sessionDenyPolicyArn: sessionDeny.ref,
      exemptArns: [
        ...exemptArnsOf(props.exemptPrincipals ?? []),
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${props.memberRoleName}`,
        revokerRoleArn,
      ],
      honorExemptTag: props.honorExemptTag ?? false,
    };
    const statements = [
      ...keyOwnerStatements(owners, settings),
      ...releaseStatements(owners, settings.quarantinePolicyArn, sessionDeny.ref),
      new iam.PolicyStatement({
        sid: "LookUpCloudTrailEvents",
        actions: [...INVESTIGATION_ACTIONS],
        resources: ["*"],
      }),
      // The key hygiene audit (lambdas/core/audit/permissions.ts): reads only.
      new iam.PolicyStatement({
        sid: "AuditCredentialReport",
        actions: auditIamActionsFor("*"),
        resources: ["*"],
      }),
      new iam.PolicyStatement({
        sid: "AuditReadUserKeys",
        actions: auditIamActionsFor("user"),
        resources: [owners.user],
      }),
      // The honey key safety net (lambdas/adapters/iam-honey.ts): reads only, of the users honey keys belong to.
      new iam.PolicyStatement({
        sid: "HoneyKeyCheckReads",
        actions: [...HONEYKEY_CHECK_IAM_ACTIONS],
        resources: [owners.user],
      }),
      new iam.PolicyStatement({
        sid: "NoGrantPower",
        effect: iam.Effect.DENY,
        actions: [...GRANT_ACTIONS, "iam:DeleteAccessKey", "iam:DeleteUser", "iam:DeleteRole"],
        resources: ["*"],
      }),
    ];
    this.memberRole = new iam.CfnRole(this, "MemberRole", {
      roleName: props.memberRoleName,
      description: "leaked-key-responder: the central responder acts in this account through this role",
      maxSessionDuration: 3600,
      assumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CentralRolesOfTheOrganization",
            Effect: "Allow",
            Principal: { AWS: centralRoles.valueAsList },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId } },
          },
        ],
      },
      policies: [
        {
          policyName: "Remediate",
          policyDocument: new iam.PolicyDocument({ statements }).toJSON(),
        },
      ],
      tags: [{ key: EXEMPT_TAG, value: "true" }],
    });

    this.drillUser();
    // One rule per forwarded pattern: the member's default bus → the central bus, through one role, with a DLQ.
    // Honey key use of us-east-1 too (the member regional forwarders cover the other regions, never this one).
    const forwarderRolePrefix = props.forwarderRolePrefix ?? memberForwarderRolePrefix(DEFAULT_STACK_NAME);
    forwardRules(this, {
      patterns: props.patterns ?? [...MEMBER_FORWARDED_PATTERNS, honeyForwardedPattern(props.honeyKeyPath)],
      centralBusArn: centralBus.valueAsString,
      roleName: `${forwarderRolePrefix}${Aws.REGION}`,
      roleDescription: "leaked-key-responder: EventBridge forwards this account's signals to the central bus",
    });
    this.revokerRole = this.createRevokerRole(props, centralRevoker.valueAsString, revokerRoleArn, [
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${props.memberRoleName}`,
      // The forwarder roles of every region (this one and the member regional stacks').
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${forwarderRolePrefix}*`,
      ...exemptArnsOf(props.exemptPrincipals ?? []).filter((arn) => arn.includes(":role/")),
    ]);
    Tags.of(this).add(`${TAG_PREFIX}:component`, "member");
  }

  /**
   * The member's revoker role. IAM has no condition on an inline policy's name or content
   * (PutRolePolicy's only condition keys are iam:PermissionsBoundary and iam:RoleTemplateARN, per
   * the Service Authorization Reference), and no deny-only managed policy can carry a per-incident
   * time (a policy variable cannot feed a date condition). So the grant power of writing the
   * time-scoped deny stays where the home stack keeps it: with the central revoker function, which
   * builds the one document itself. This role is assumable by that function's role alone, from inside
   * the Organization; it may put, list and delete inline policies of roles only, never on the stack's
   * own roles nor on exempt-listed ones, and nothing else. The member role, which respond,
   * investigate and operators assume, holds no Put*Policy or Delete*Policy.
   */
  private createRevokerRole(
    props: MemberTemplateProps,
    centralRevokerRoleArn: string,
    revokerRoleArn: string,
    protectedRoles: readonly string[],
  ): iam.CfnRole {
    const actions = [...ROLE_SESSION_REVOKER_ACTIONS, ...ROLE_SESSION_LIFT_ACTIONS];
    const statements = [
      new iam.PolicyStatement({
        sid: "RevokeRoleSessions",
        actions,
        resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`],
      }),
      new iam.PolicyStatement({
        sid: "NeverWriteOnProtectedRoles",
        effect: iam.Effect.DENY,
        actions,
        resources: [revokerRoleArn, ...protectedRoles],
      }),
    ];
    return new iam.CfnRole(this, "SessionRevokerRole", {
      roleName: memberRevokerRoleName(props.memberRoleName),
      description:
        "leaked-key-responder: the central role-session revoker denies a role's older sessions through this role",
      maxSessionDuration: 3600,
      assumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CentralRevokerOfTheOrganization",
            Effect: "Allow",
            Principal: { AWS: centralRevokerRoleArn },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId } },
          },
        ],
      },
      policies: [
        {
          policyName: "RevokeRoleSessions",
          policyDocument: new iam.PolicyDocument({ statements }).toJSON(),
        },
      ],
      tags: [{ key: EXEMPT_TAG, value: "true" }],
    });
  }

  /**
   * The member drill's user (lambdas/core/member-drill.ts): under the canary path, tagged as a
   * drill canary, denied everything, with one access key created Inactive. The key's secret is
   * never output nor referenced: nobody signs with it, the drill only switches it Active and
   * watches the responder disable it.
   */
  private drillUser(): void {
    const user = new iam.CfnUser(this, "DrillUser", {
      userName: MEMBER_DRILL_USER_NAME,
      path: MEMBER_DRILL_USER_PATH,
      policies: [{ policyName: MEMBER_DRILL_POLICY_NAME, policyDocument: MEMBER_DRILL_POLICY_DOCUMENT }],
      tags: [{ key: DRILL_TAG, value: "true" }],
    });
    new iam.CfnAccessKey(this, "DrillUserKey", { userName: user.ref, status: "Inactive" });
  }
}

/** Release through the member role: detach only the fence policies, untag only the quarantine marks, list, re-enable. */
function releaseStatements(
  owners: { user: string; role: string },
  quarantinePolicyArn: string,
  sessionDenyArn: string,
): iam.PolicyStatement[] {
  const pinned = new Set<string>([...RELEASE_DETACH_ACTIONS, ...RELEASE_UNTAG_ACTIONS]);
  const plain = [...RELEASE_IAM_ACTIONS.user, ...RELEASE_IAM_ACTIONS.role].filter((a) => !pinned.has(a));
  return [
    new iam.PolicyStatement({
      sid: "ReleaseReadAndReenable",
      actions: plain,
      resources: [owners.user, owners.role],
    }),
    new iam.PolicyStatement({
      sid: "ReleaseDetachOnlyFencePolicies",
      actions: [...RELEASE_DETACH_ACTIONS],
      resources: [owners.user, owners.role],
      // With V4 (the default) also V3: the policy a containment attached where V4 does not exist.
      conditions: {
        ArnEquals: { "iam:PolicyARN": [...quarantinePolicyArnsOf(quarantinePolicyArn), sessionDenyArn] },
      },
    }),
    new iam.PolicyStatement({
      sid: "ReleaseUntagOnlyQuarantineMarks",
      actions: [...RELEASE_UNTAG_ACTIONS],
      resources: [owners.user, owners.role],
      conditions: { "ForAllValues:StringLike": { "aws:TagKeys": [`${TAG_PREFIX}:quarantine:*`] } },
    }),
  ];
}

/** The member template as CloudFormation JSON (the StackSet's TemplateBody). */
export function memberTemplate(props: MemberTemplateProps): Record<string, unknown> {
  // Its own assembly directory: not the outer app's cdk.out (it is not a stack `cdk deploy` deploys).
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "lkr-member-")) });
  const stack = new MemberStack(app, "LeakedKeyResponderMember", props);
  return app.synth().getStackArtifact(stack.artifactId).template as Record<string, unknown>;
}
