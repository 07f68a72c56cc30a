import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { memberTemplate } from "../../infra/member-template.js";
import { forwarderRoleName, memberForwarderRoleName } from "../../infra/org-intake.js";
import type { OrganizationSettings } from "../../infra/organization.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";
import { MEMBER_DRILL_IAM_ACTIONS } from "../../lambdas/adapters/iam-member-drill.js";
import { MEMBER_DRILL_USER_NAME, MEMBER_DRILL_USER_PATH } from "../../lambdas/core/member-drill.js";
import {
  type Decision,
  loadPolicyProof,
  type PolicyProof,
  type ProofOptions,
  type Weakening,
  weakenTemplate,
} from "../support/iam-proof.js";
import { type ProofRow as Row, row } from "../support/proof-rows.js";

/**
 * What the Organization deployment's policies allow, decided by iam-simulate over the synthesized
 * central and member templates (moto enforces no IAM policy): the member role's trust and grants,
 * the central roles' assume-role grant, and the central bus's policy. A principal outside the
 * Organization is denied everywhere.
 */

const CENTRAL = "123456789012";
const MEMBER = "210987654321";
const ORG_ID = "o-a1b2c3d4e5";
const OTHER_ORG = "o-zzzzzzzzzz";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const ROLE_NAME = "LkrMember";
const OPERATOR = `arn:aws:iam::${CENTRAL}:role/secops-operator`;
const ORG: OrganizationSettings = {
  organizationId: ORG_ID,
  memberOrganizationalUnitIds: ["ou-ab12-cdef3456"],
  forwardRegions: ["eu-west-1"],
  memberRoleName: ROLE_NAME,
};
const ADMIN = [
  { name: "AdministratorAccess", policy: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } },
];

const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
const centralStack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
  env: { account: CENTRAL, region: "us-east-1" },
  responder: { operatorRoleArns: [OPERATOR], exemptPrincipals: ["break-glass"] },
  organization: ORG,
});
const centralTemplate = Template.fromStack(centralStack).toJSON();
const central = loadPolicyProof(centralTemplate);
const respond = central.logicalId("AWS::IAM::Role", /RespondRole/);
const investigate = central.logicalId("AWS::IAM::Role", /InvestigateRole/);
const audit = central.logicalId("AWS::IAM::Role", /AuditRole/);
const revoker = central.logicalId("AWS::IAM::Role", /RoleSessionRevokerRole/);
const honeyCheck = central.logicalId("AWS::IAM::Role", /HoneyCheckRole/);
const honeyCheckArn = central.role(honeyCheck).arn;
const auditArn = central.role(audit).arn;
const respondArn = central.role(respond).arn;
const investigateArn = central.role(investigate).arn;
const orgBus = central.arn(central.logicalId("AWS::Events::EventBus", /OrgSignalBus/));

const memberBody = memberTemplate({
  organizationId: ORG_ID,
  memberRoleName: ROLE_NAME,
  quarantinePolicyArn: QUARANTINE,
  exemptPrincipals: ["break-glass"],
});
const memberOptions: ProofOptions = {
  account: MEMBER,
  stackName: "StackSet-members",
  awsManagedPolicies: {},
  parameters: {
    CentralRoleArns: [respondArn, investigateArn, auditArn, honeyCheckArn, OPERATOR],
    CentralBusArn: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/LeakedKeyResponder-org-signals`,
    CentralRevokerRoleArn: central.role(revoker).arn,
  },
};
const member = loadPolicyProof(memberBody, memberOptions);
const memberRole = member.logicalId("AWS::IAM::Role", /MemberRole/);
const memberRoleArn = `arn:aws:iam::${MEMBER}:role/${ROLE_NAME}`;
const memberSessionDeny = `arn:aws:iam::${MEMBER}:policy/${ROLE_NAME}-SessionDeny`;
const bob = `arn:aws:iam::${MEMBER}:user/bob`;
const appRole = `arn:aws:iam::${MEMBER}:role/app`;
const breakGlass = `arn:aws:iam::${MEMBER}:user/break-glass`;
/** A honey user planted in the member account (lkr honeykey create --account, with the operator's own credentials). */
const honeyUser = `arn:aws:iam::${MEMBER}:user/service/etl-prod-04`;

interface ProofTable {
  readonly name: string;
  readonly template: unknown;
  readonly options: ProofOptions;
  readonly rows: readonly Row[];
  /** Each weakening of the template must change the decision of at least these rows. */
  readonly weakenings: Partial<Record<Weakening, readonly string[]>>;
}

const inOrg = (extra: Record<string, string | string[]> = {}) => ({ "aws:PrincipalOrgID": ORG_ID, ...extra });

/** A central role's request to assume the member role: its identity policies are the central template's. */
function assume(
  says: string,
  centralRole: string,
  expected: Decision,
  context: Record<string, string> = {},
): Row {
  const role = central.role(centralRole);
  return row(says, role.arn, "sts:AssumeRole", memberRoleArn, expected, {
    identityPolicies: role.identityPolicies,
    context: { "aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID, ...context },
  });
}

const memberTrust: ProofTable = {
  name: "the member role's trust, and the central roles' assume-role grant",
  template: memberBody,
  options: memberOptions,
  rows: [
    assume("the central respond role assumes it", respond, "Allowed"),
    assume("the central investigate role assumes it", investigate, "Allowed"),
    row("the operator role named assumes it", OPERATOR, "sts:AssumeRole", memberRoleArn, "Allowed", {
      context: inOrg(),
      identityPolicies: ADMIN,
    }),
    assume("the central audit role assumes it (the Organization audit)", audit, "Allowed"),
    assume("the central honey check role assumes it (honey keys of member accounts)", honeyCheck, "Allowed"),
    assume("another central role (the session revoker's) assumes it not", revoker, "ImplicitlyDenied"),
    assume("the respond role ARN from outside the Organization assumes it not", respond, "ImplicitlyDenied", {
      "aws:PrincipalOrgID": OTHER_ORG,
    }),
    assume(
      "the respond role assumes no role of that name outside the Organization",
      respond,
      "ImplicitlyDenied",
      {
        "aws:ResourceOrgID": OTHER_ORG,
      },
    ),
    row(
      "an administrator of another Organization assumes it not",
      `arn:aws:iam::444455556666:role/admin`,
      "sts:AssumeRole",
      memberRoleArn,
      "ImplicitlyDenied",
      { context: { "aws:PrincipalOrgID": OTHER_ORG }, identityPolicies: ADMIN },
    ),
    row(
      "an administrator of the member account itself assumes it not",
      `arn:aws:iam::${MEMBER}:role/admin`,
      "sts:AssumeRole",
      memberRoleArn,
      "ImplicitlyDenied",
      { context: inOrg(), identityPolicies: ADMIN },
    ),
  ],
  weakenings: {
    // (the aws:ResourceOrgID row's condition is the central template's: the next table weakens it)
    "drop-allow-conditions": ["the respond role ARN from outside the Organization assumes it not"],
  },
};

const centralAssume: ProofTable = {
  name: "the central roles assume only the member role",
  template: centralTemplate,
  options: {},
  rows: [
    {
      says: "the respond role assumes no administrator role of its own account",
      request: {
        principal: respond,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/OrganizationAccountAccessRole`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the respond role may assume the member role of its own account, in the Organization",
      request: {
        principal: respond,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "Allowed",
    },
    {
      says: "the investigate role may not assume a member role outside the Organization",
      request: {
        principal: investigate,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": OTHER_ORG },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the audit role may assume the member role of an account in the Organization",
      request: {
        principal: audit,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "Allowed",
    },
    {
      says: "the audit role may not assume a member role outside the Organization",
      request: {
        principal: audit,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": OTHER_ORG },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the audit role assumes no administrator role (only the member role)",
      request: {
        principal: audit,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/OrganizationAccountAccessRole`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the honey check role may assume the member role of an account in the Organization",
      request: {
        principal: honeyCheck,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "Allowed",
    },
    {
      says: "the honey check role may not assume a member role outside the Organization",
      request: {
        principal: honeyCheck,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": OTHER_ORG },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the honey check role assumes no administrator role (only the member role)",
      request: {
        principal: honeyCheck,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/OrganizationAccountAccessRole`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the honey check role creates no user and no key (lkr plants honey keys)",
      request: {
        principal: honeyCheck,
        action: "iam:CreateAccessKey",
        resource: `arn:aws:iam::${CENTRAL}:user/service/etl-prod-04`,
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the audit role lists the Organization's accounts",
      request: { principal: audit, action: "organizations:ListAccounts", resource: "*" },
      expected: "Allowed",
    },
    {
      says: "the audit role changes nothing in the Organization",
      request: { principal: audit, action: "organizations:CreateAccount", resource: "*" },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the audit role disables no key itself",
      request: {
        principal: audit,
        action: "iam:UpdateAccessKey",
        resource: `arn:aws:iam::${CENTRAL}:user/bob`,
      },
      expected: "ImplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-allow-conditions": [
      "the investigate role may not assume a member role outside the Organization",
      "the audit role may not assume a member role outside the Organization",
      "the honey check role may not assume a member role outside the Organization",
    ],
    "widen-allow-resources": [
      "the respond role assumes no administrator role of its own account",
      "the audit role assumes no administrator role (only the member role)",
      "the honey check role assumes no administrator role (only the member role)",
    ],
  },
};

const memberRoleGrants: ProofTable = {
  name: "the member role's grants in a member account",
  template: memberBody,
  options: memberOptions,
  rows: [
    {
      says: "disables a key",
      request: { principal: memberRole, action: "iam:UpdateAccessKey", resource: bob },
      expected: "Allowed",
    },
    {
      says: "attaches the quarantine policy",
      request: {
        principal: memberRole,
        action: "iam:AttachUserPolicy",
        resource: bob,
        context: { "iam:PolicyARN": QUARANTINE },
      },
      expected: "Allowed",
    },
    {
      says: "attaches the member's session deny policy",
      request: {
        principal: memberRole,
        action: "iam:AttachUserPolicy",
        resource: bob,
        context: { "iam:PolicyARN": memberSessionDeny },
      },
      expected: "Allowed",
    },
    {
      says: "attaches no administrator policy",
      request: {
        principal: memberRole,
        action: "iam:AttachRolePolicy",
        resource: appRole,
        context: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "detaches the quarantine policy (release)",
      request: {
        principal: memberRole,
        action: "iam:DetachUserPolicy",
        resource: bob,
        context: { "iam:PolicyARN": QUARANTINE },
      },
      expected: "Allowed",
    },
    {
      says: "detaches no other policy",
      request: {
        principal: memberRole,
        action: "iam:DetachUserPolicy",
        resource: bob,
        context: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSDenyAll" },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "tags a quarantine mark",
      request: {
        principal: memberRole,
        action: "iam:TagUser",
        resource: bob,
        context: { "aws:TagKeys": ["leaked-key-responder:quarantine:AKIAEXAMPLE"] },
      },
      expected: "Allowed",
    },
    {
      says: "never sets the exempt tag",
      request: {
        principal: memberRole,
        action: "iam:TagUser",
        resource: bob,
        context: { "aws:TagKeys": ["leaked-key-responder:exempt"] },
      },
      expected: "ExplicitlyDenied",
    },
    {
      says: "generates the credential report (audit)",
      request: { principal: memberRole, action: "iam:GenerateCredentialReport", resource: "*" },
      expected: "Allowed",
    },
    {
      says: "reads the credential report (audit)",
      request: { principal: memberRole, action: "iam:GetCredentialReport", resource: "*" },
      expected: "Allowed",
    },
    {
      says: "lists a user's keys and their last use (audit)",
      request: { principal: memberRole, action: "iam:ListAccessKeys", resource: bob },
      expected: "Allowed",
    },
    {
      says: "reads the account's authorization details (audit: admin scope)",
      request: { principal: memberRole, action: "iam:GetAccountAuthorizationDetails", resource: "*" },
      expected: "Allowed",
    },
    {
      says: "reads when a honey key of the account was last used (honey key safety net)",
      request: { principal: memberRole, action: "iam:GetAccessKeyLastUsed", resource: honeyUser },
      expected: "Allowed",
    },
    {
      says: "lists a honey user's keys and attached policies (honey key safety net)",
      request: { principal: memberRole, action: "iam:ListAttachedUserPolicies", resource: honeyUser },
      expected: "Allowed",
    },
    {
      says: "creates no honey user (lkr plants them with the operator's own credentials)",
      request: { principal: memberRole, action: "iam:CreateUser", resource: honeyUser },
      expected: "ExplicitlyDenied",
    },
    {
      says: "creates no key for a honey user",
      request: { principal: memberRole, action: "iam:CreateAccessKey", resource: honeyUser },
      expected: "ExplicitlyDenied",
    },
    {
      says: "detaches no honey user's deny-all policy",
      request: {
        principal: memberRole,
        action: "iam:DetachUserPolicy",
        resource: honeyUser,
        context: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSDenyAll" },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "looks up the member's CloudTrail (investigation)",
      request: { principal: memberRole, action: "cloudtrail:LookupEvents", resource: "*" },
      expected: "Allowed",
    },
    {
      says: "puts no inline policy",
      request: { principal: memberRole, action: "iam:PutUserPolicy", resource: bob },
      expected: "ExplicitlyDenied",
    },
    {
      says: "puts no role policy",
      request: { principal: memberRole, action: "iam:PutRolePolicy", resource: appRole },
      expected: "ExplicitlyDenied",
    },
    {
      says: "creates no key",
      request: { principal: memberRole, action: "iam:CreateAccessKey", resource: bob },
      expected: "ExplicitlyDenied",
    },
    {
      says: "deletes no key",
      request: { principal: memberRole, action: "iam:DeleteAccessKey", resource: bob },
      expected: "ExplicitlyDenied",
    },
    {
      says: "changes no trust policy",
      request: { principal: memberRole, action: "iam:UpdateAssumeRolePolicy", resource: appRole },
      expected: "ExplicitlyDenied",
    },
    {
      says: "passes no role",
      request: { principal: memberRole, action: "iam:PassRole", resource: appRole },
      expected: "ExplicitlyDenied",
    },
    {
      says: "changes no exempt-listed user",
      request: { principal: memberRole, action: "iam:UpdateAccessKey", resource: breakGlass },
      expected: "ExplicitlyDenied",
    },
    {
      says: "never fences itself",
      request: {
        principal: memberRole,
        action: "iam:AttachRolePolicy",
        resource: memberRoleArn,
        context: { "iam:PolicyARN": QUARANTINE },
      },
      expected: "ExplicitlyDenied",
    },
    {
      says: "reads no S3",
      request: { principal: memberRole, action: "s3:GetObject", resource: "arn:aws:s3:::bucket/key" },
      expected: "ImplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-deny-statements": [
      "never sets the exempt tag",
      "changes no exempt-listed user",
      "never fences itself",
    ],
    "drop-allow-conditions": ["attaches no administrator policy", "detaches no other policy"],
  },
};

/** A principal putting an event of `source` (and `detailType`, when given) on the central bus. */
function put(
  says: string,
  principal: string,
  source: string,
  orgId: string,
  expected: Decision,
  detailType?: string,
): Row {
  return row(says, principal, "events:PutEvents", orgBus, expected, {
    identityPolicies: ADMIN,
    context: {
      "aws:PrincipalOrgID": orgId,
      "aws:PrincipalArn": principal,
      "events:source": [source],
      ...(detailType === undefined ? {} : { "events:detail-type": [detailType] }),
    },
  });
}

const API_CALL = "AWS API Call via CloudTrail";
/** The regional forwarder role of eu-west-1 (its name from forwarderRoleName, as infra/app.ts gives it). */
const FORWARDER = `arn:aws:iam::${CENTRAL}:role/${forwarderRoleName("LeakedKeyResponder", "eu-west-1")}`;

/** Member forwarder roles (the member stack's in us-east-1, a member regional forwarder's in eu-west-1), as the member templates name them. */
const MEMBER_FORWARDER = `arn:aws:iam::${MEMBER}:role/${memberForwarderRoleName("LeakedKeyResponder", "eu-west-1")}`;
const MEMBER_STACK_FORWARDER = `arn:aws:iam::${MEMBER}:role/${memberForwarderRoleName("LeakedKeyResponder", "us-east-1")}`;

const centralBus: ProofTable = {
  name: "the central bus",
  template: centralTemplate,
  options: {},
  rows: [
    put(
      "a member's forwarding role puts a Trusted Advisor event",
      `arn:aws:iam::${MEMBER}:role/forward`,
      "aws.trustedadvisor",
      ORG_ID,
      "Allowed",
    ),
    put(
      "a regional forwarder of the central account puts a GuardDuty finding",
      `arn:aws:iam::${CENTRAL}:role/forward`,
      "aws.guardduty",
      ORG_ID,
      "Allowed",
    ),
    put(
      "a role outside the Organization puts nothing",
      "arn:aws:iam::444455556666:role/admin",
      "aws.guardduty",
      OTHER_ORG,
      "ExplicitlyDenied",
    ),
    put(
      "a member role puts no custom event",
      `arn:aws:iam::${MEMBER}:role/app`,
      "leaked-key-responder.drill",
      ORG_ID,
      "ExplicitlyDenied",
    ),
    put(
      "an administrator of the central account puts no custom event",
      `arn:aws:iam::${CENTRAL}:role/admin`,
      "my.app",
      ORG_ID,
      "ExplicitlyDenied",
    ),
    put(
      "a member puts no source that is not forwarded",
      `arn:aws:iam::${MEMBER}:role/forward`,
      "aws.s3",
      ORG_ID,
      "ExplicitlyDenied",
    ),
    put(
      "a regional forwarder role puts honey key use (a CloudTrail call of any aws.* source)",
      FORWARDER,
      "aws.sts",
      ORG_ID,
      "Allowed",
      API_CALL,
    ),
    put(
      "a regional forwarder role puts no other detail-type of a source not forwarded",
      FORWARDER,
      "aws.sts",
      ORG_ID,
      "ExplicitlyDenied",
      "Some Other Event",
    ),
    put(
      "an administrator of the central account puts no CloudTrail call of a source not forwarded",
      `arn:aws:iam::${CENTRAL}:role/admin`,
      "aws.sts",
      ORG_ID,
      "ExplicitlyDenied",
      API_CALL,
    ),
    put(
      "a member role named like a forwarder puts no honey key use (forwarders live in the central account)",
      `arn:aws:iam::${MEMBER}:role/${forwarderRoleName("LeakedKeyResponder", "eu-west-1")}`,
      "aws.sts",
      ORG_ID,
      "ExplicitlyDenied",
      API_CALL,
    ),
    put(
      "a principal outside the Organization puts no honey key use",
      "arn:aws:iam::444455556666:role/LeakedKeyResponder-forwarder-eu-west-1",
      "aws.sts",
      OTHER_ORG,
      "ExplicitlyDenied",
      API_CALL,
    ),
    put(
      "a member regional forwarder role puts honey key use (a CloudTrail call of any aws.* source)",
      MEMBER_FORWARDER,
      "aws.sts",
      ORG_ID,
      "Allowed",
      API_CALL,
    ),
    put(
      "the member stack's forwarder role (us-east-1) puts honey key use",
      MEMBER_STACK_FORWARDER,
      "aws.s3",
      ORG_ID,
      "Allowed",
      API_CALL,
    ),
    put(
      "a member forwarder role puts no other detail-type of a source not forwarded",
      MEMBER_FORWARDER,
      "aws.s3",
      ORG_ID,
      "ExplicitlyDenied",
      "Object Created",
    ),
    put(
      "a member forwarder role puts no custom source, even as a CloudTrail call",
      MEMBER_FORWARDER,
      "acme.app",
      ORG_ID,
      "ImplicitlyDenied",
      API_CALL,
    ),
    put(
      "a member role not named like a forwarder puts no honey key use",
      `arn:aws:iam::${MEMBER}:role/forward`,
      "aws.sts",
      ORG_ID,
      "ExplicitlyDenied",
      API_CALL,
    ),
    put(
      "a principal outside the Organization named like a member forwarder puts no honey key use",
      `arn:aws:iam::444455556666:role/${memberForwarderRoleName("LeakedKeyResponder", "eu-west-1")}`,
      "aws.sts",
      OTHER_ORG,
      "ExplicitlyDenied",
      API_CALL,
    ),
    {
      says: "another role of the central account (respond) puts no honey key use",
      request: {
        principal: respond,
        action: "events:PutEvents",
        resource: orgBus,
        context: {
          "aws:PrincipalOrgID": ORG_ID,
          "events:source": ["aws.sts"],
          "events:detail-type": [API_CALL],
        },
      },
      expected: "ExplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-allow-conditions": ["a member forwarder role puts no custom source, even as a CloudTrail call"],
    "drop-deny-statements": [
      "a role outside the Organization puts nothing",
      "a member role puts no custom event",
      "an administrator of the central account puts no custom event",
      "a member puts no source that is not forwarded",
      "a regional forwarder role puts no other detail-type of a source not forwarded",
      "an administrator of the central account puts no CloudTrail call of a source not forwarded",
      "a member role named like a forwarder puts no honey key use (forwarders live in the central account)",
      "a principal outside the Organization puts no honey key use",
      "a member forwarder role puts no other detail-type of a source not forwarded",
      "a member role not named like a forwarder puts no honey key use",
      "a principal outside the Organization named like a member forwarder puts no honey key use",
      "another role of the central account (respond) puts no honey key use",
    ],
  },
};

/** A single account's deployment with a forward region: the intake bus its regional forwarders put on. */
const singleApp = new App({ context: { "aws:cdk:bundling-stacks": [] } });
const singleTemplate = Template.fromStack(
  new LeakedKeyResponderStack(singleApp, "LeakedKeyResponder", {
    env: { account: CENTRAL, region: "us-east-1" },
    forwardRegions: ["eu-west-1"],
  }),
).toJSON();
const single = loadPolicyProof(singleTemplate);
const intakeBus = single.arn(single.logicalId("AWS::Events::EventBus", /OrgSignalBus/));
const singleRespond = single.logicalId("AWS::IAM::Role", /RespondRole/);

/** A principal (with administrator identity policies) putting one entry on the single account's intake bus. */
function putOnIntake(
  says: string,
  principal: string,
  source: string,
  detailType: string,
  expected: Decision,
): Row {
  return {
    says,
    request: {
      principal,
      action: "events:PutEvents",
      resource: intakeBus,
      identityPolicies: ADMIN,
      context: {
        "aws:PrincipalAccount": principal.split(":")[4] ?? "",
        "aws:PrincipalArn": principal,
        "events:source": [source],
        "events:detail-type": [detailType],
      },
    },
    expected,
  };
}

const intakeBusTable: ProofTable = {
  name: "the single account's intake bus (forwardRegions without organizationId)",
  template: singleTemplate,
  options: {},
  rows: [
    putOnIntake(
      "a regional forwarder role puts a GuardDuty finding",
      FORWARDER,
      "aws.guardduty",
      "GuardDuty Finding",
      "Allowed",
    ),
    putOnIntake("a regional forwarder role puts honey key use", FORWARDER, "aws.sts", API_CALL, "Allowed"),
    putOnIntake(
      "a regional forwarder role puts no other detail-type of a source not forwarded",
      FORWARDER,
      "aws.s3",
      "Object Created",
      "ExplicitlyDenied",
    ),
    putOnIntake(
      "an administrator of the account puts no GuardDuty finding",
      `arn:aws:iam::${CENTRAL}:role/admin`,
      "aws.guardduty",
      "GuardDuty Finding",
      "ExplicitlyDenied",
    ),
    putOnIntake(
      "an administrator of the account puts no honey key use",
      `arn:aws:iam::${CENTRAL}:role/admin`,
      "aws.sts",
      API_CALL,
      "ExplicitlyDenied",
    ),
    putOnIntake(
      "a role of the account named like a member forwarder puts nothing (a single account has no members)",
      `arn:aws:iam::${CENTRAL}:role/${memberForwarderRoleName("LeakedKeyResponder", "eu-west-1")}`,
      "aws.sts",
      API_CALL,
      "ExplicitlyDenied",
    ),
    putOnIntake(
      "a role of another account named like a forwarder puts nothing",
      "arn:aws:iam::444455556666:role/LeakedKeyResponder-forwarder-eu-west-1",
      "aws.guardduty",
      "GuardDuty Finding",
      "ExplicitlyDenied",
    ),
    {
      says: "the respond role puts nothing on the intake bus",
      request: {
        principal: singleRespond,
        action: "events:PutEvents",
        resource: intakeBus,
        context: { "events:source": ["aws.guardduty"], "events:detail-type": ["GuardDuty Finding"] },
      },
      expected: "ExplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-deny-statements": [
      "a regional forwarder role puts no other detail-type of a source not forwarded",
      "an administrator of the account puts no GuardDuty finding",
      "an administrator of the account puts no honey key use",
      "a role of the account named like a member forwarder puts nothing (a single account has no members)",
      "a role of another account named like a forwarder puts nothing",
      "the respond role puts nothing on the intake bus",
    ],
  },
};

const memberRevoker = member.logicalId("AWS::IAM::Role", /SessionRevokerRole/);
const memberRevokerArn = `arn:aws:iam::${MEMBER}:role/${ROLE_NAME}-SessionRevoker`;
const forwardRoleArn = member.role(member.logicalId("AWS::IAM::Role", /ForwardRole/)).arn;
const breakGlassRole = `arn:aws:iam::${MEMBER}:role/break-glass`;

/** A central role's request to assume the member's revoker role. */
function assumeRevoker(
  says: string,
  centralRole: string,
  expected: Decision,
  context: Record<string, string> = {},
): Row {
  const role = central.role(centralRole);
  return {
    says,
    request: {
      principal: role.arn,
      action: "sts:AssumeRole",
      resource: memberRevokerArn,
      identityPolicies: role.identityPolicies,
      context: { "aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID, ...context },
    },
    expected,
  };
}

const memberRevokerTrust: ProofTable = {
  name: "the member's revoker role: assumed by the central revoker alone",
  template: memberBody,
  options: memberOptions,
  rows: [
    assumeRevoker("the central revoker role assumes it", revoker, "Allowed"),
    assumeRevoker(
      "the central respond role assumes it not (it may only invoke the revoker)",
      respond,
      "ImplicitlyDenied",
    ),
    assumeRevoker("the central investigate role assumes it not", investigate, "ImplicitlyDenied"),
    assumeRevoker("the central audit role assumes it not", audit, "ImplicitlyDenied"),
    assumeRevoker(
      "the revoker role ARN from outside the Organization assumes it not",
      revoker,
      "ImplicitlyDenied",
      {
        "aws:PrincipalOrgID": OTHER_ORG,
      },
    ),
    {
      says: "an operator role (administrator of the central account) assumes it not",
      request: {
        principal: OPERATOR,
        action: "sts:AssumeRole",
        resource: memberRevokerArn,
        identityPolicies: ADMIN,
        context: inOrg(),
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "an administrator of the member account itself assumes it not",
      request: {
        principal: `arn:aws:iam::${MEMBER}:role/admin`,
        action: "sts:AssumeRole",
        resource: memberRevokerArn,
        identityPolicies: ADMIN,
        context: inOrg(),
      },
      expected: "ImplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-allow-conditions": ["the revoker role ARN from outside the Organization assumes it not"],
  },
};

/** The central template's grants alone decide these (as in the table above, the role named in the central account). */
const centralRevokerNamed = `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}-SessionRevoker`;

const centralRevokerReach: ProofTable = {
  name: "the central revoker reaches only the members' revoker roles",
  template: centralTemplate,
  options: {},
  rows: [
    {
      says: "the revoker may assume a member's revoker role, in the Organization",
      request: {
        principal: revoker,
        action: "sts:AssumeRole",
        resource: centralRevokerNamed,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "Allowed",
    },
    {
      says: "the revoker may not assume a revoker role outside the Organization",
      request: {
        principal: revoker,
        action: "sts:AssumeRole",
        resource: centralRevokerNamed,
        context: { "aws:ResourceOrgID": OTHER_ORG },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the revoker may not assume the member role (it needs none of its grants)",
      request: {
        principal: revoker,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/${ROLE_NAME}`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the revoker may not assume an administrator role",
      request: {
        principal: revoker,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${CENTRAL}:role/OrganizationAccountAccessRole`,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "ImplicitlyDenied",
    },
    {
      says: "the respond role may not assume a member's revoker role",
      request: {
        principal: respond,
        action: "sts:AssumeRole",
        resource: centralRevokerNamed,
        context: { "aws:ResourceOrgID": ORG_ID },
      },
      expected: "ImplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-allow-conditions": ["the revoker may not assume a revoker role outside the Organization"],
    "widen-allow-resources": [
      "the revoker may not assume the member role (it needs none of its grants)",
      "the revoker may not assume an administrator role",
    ],
  },
};

const revokerAction = (says: string, action: string, resource: string, expected: Decision): Row => ({
  says,
  request: { principal: memberRevoker, action, resource },
  expected,
});

const memberRevokerGrants: ProofTable = {
  name: "the member's revoker role: a role's inline policies and nothing else",
  template: memberBody,
  options: memberOptions,
  rows: [
    revokerAction("puts the revoke policy on a role", "iam:PutRolePolicy", appRole, "Allowed"),
    revokerAction("lists a role's inline policies (lift)", "iam:ListRolePolicies", appRole, "Allowed"),
    revokerAction("deletes a role's inline policy (lift)", "iam:DeleteRolePolicy", appRole, "Allowed"),
    revokerAction(
      "puts no inline policy on the member role",
      "iam:PutRolePolicy",
      memberRoleArn,
      "ExplicitlyDenied",
    ),
    revokerAction(
      "puts no inline policy on itself",
      "iam:PutRolePolicy",
      memberRevokerArn,
      "ExplicitlyDenied",
    ),
    revokerAction(
      "deletes no inline policy of itself",
      "iam:DeleteRolePolicy",
      memberRevokerArn,
      "ExplicitlyDenied",
    ),
    revokerAction(
      "puts no inline policy on the forwarder role",
      "iam:PutRolePolicy",
      forwardRoleArn,
      "ExplicitlyDenied",
    ),
    revokerAction(
      "puts no inline policy on an exempt-listed role",
      "iam:PutRolePolicy",
      breakGlassRole,
      "ExplicitlyDenied",
    ),
    revokerAction("puts no inline policy on a user", "iam:PutUserPolicy", bob, "ImplicitlyDenied"),
    revokerAction("attaches no managed policy", "iam:AttachRolePolicy", appRole, "ImplicitlyDenied"),
    revokerAction(
      "creates no policy",
      "iam:CreatePolicy",
      `arn:aws:iam::${MEMBER}:policy/x`,
      "ImplicitlyDenied",
    ),
    revokerAction(
      "creates no policy version",
      "iam:CreatePolicyVersion",
      memberSessionDeny,
      "ImplicitlyDenied",
    ),
    revokerAction("changes no trust policy", "iam:UpdateAssumeRolePolicy", appRole, "ImplicitlyDenied"),
    revokerAction(
      "removes no permissions boundary",
      "iam:DeleteRolePermissionsBoundary",
      appRole,
      "ImplicitlyDenied",
    ),
    revokerAction("passes no role", "iam:PassRole", appRole, "ImplicitlyDenied"),
    revokerAction("creates no key", "iam:CreateAccessKey", bob, "ImplicitlyDenied"),
    revokerAction("re-enables no key", "iam:UpdateAccessKey", bob, "ImplicitlyDenied"),
    revokerAction("assumes no role", "sts:AssumeRole", appRole, "ImplicitlyDenied"),
  ],
  weakenings: {
    "drop-deny-statements": [
      "puts no inline policy on the member role",
      "puts no inline policy on itself",
      "deletes no inline policy of itself",
      "puts no inline policy on the forwarder role",
      "puts no inline policy on an exempt-listed role",
    ],
  },
};

/** The member stack's drill user (lkr drill --account): what the member role may do to it, and never. */
const drillUser = `arn:aws:iam::${MEMBER}:user${MEMBER_DRILL_USER_PATH}${MEMBER_DRILL_USER_NAME}`;
const onDrillUser = (
  says: string,
  action: string,
  expected: Decision,
  context?: Record<string, string | string[]>,
): Row => ({
  says,
  request: { principal: memberRole, action, resource: drillUser, ...(context ? { context } : {}) },
  expected,
});

const memberDrill: ProofTable = {
  name: "the member role and the member stack's drill user",
  template: memberBody,
  options: memberOptions,
  rows: [
    ...MEMBER_DRILL_IAM_ACTIONS.filter((a) => a !== "iam:DetachUserPolicy" && a !== "iam:UntagUser").map(
      (action) => onDrillUser(`the drill sends ${action} on the drill user`, action, "Allowed"),
    ),
    onDrillUser("the drill detaches the quarantine policy from it", "iam:DetachUserPolicy", "Allowed", {
      "iam:PolicyARN": QUARANTINE,
    }),
    onDrillUser(
      "the drill detaches the member's session deny policy from it",
      "iam:DetachUserPolicy",
      "Allowed",
      {
        "iam:PolicyARN": memberSessionDeny,
      },
    ),
    onDrillUser("the drill removes the quarantine mark", "iam:UntagUser", "Allowed", {
      "aws:TagKeys": ["leaked-key-responder:quarantine:AKIAEXAMPLE"],
    }),
    onDrillUser("the responder fences it (quarantine policy)", "iam:AttachUserPolicy", "Allowed", {
      "iam:PolicyARN": QUARANTINE,
    }),
    onDrillUser("never removes the drill mark", "iam:UntagUser", "ImplicitlyDenied", {
      "aws:TagKeys": ["leaked-key-responder:drill"],
    }),
    onDrillUser("never detaches another policy from it", "iam:DetachUserPolicy", "ImplicitlyDenied", {
      "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSDenyAll",
    }),
    onDrillUser("never removes its deny-all policy", "iam:DeleteUserPolicy", "ImplicitlyDenied"),
    onDrillUser("never creates a key for it", "iam:CreateAccessKey", "ExplicitlyDenied"),
    onDrillUser("never deletes its key", "iam:DeleteAccessKey", "ExplicitlyDenied"),
    onDrillUser("never deletes it", "iam:DeleteUser", "ExplicitlyDenied"),
    onDrillUser("never puts a policy on it", "iam:PutUserPolicy", "ExplicitlyDenied"),
    onDrillUser("never gives it a console password", "iam:CreateLoginProfile", "ExplicitlyDenied"),
    onDrillUser("never exempts it", "iam:TagUser", "ExplicitlyDenied", {
      "aws:TagKeys": ["leaked-key-responder:exempt"],
    }),
    {
      says: "creates no other drill user",
      request: {
        principal: memberRole,
        action: "iam:CreateUser",
        resource: `arn:aws:iam::${MEMBER}:user${MEMBER_DRILL_USER_PATH}another`,
      },
      expected: "ExplicitlyDenied",
    },
  ],
  weakenings: {
    "drop-deny-statements": ["never creates a key for it", "never exempts it", "creates no other drill user"],
    "drop-allow-conditions": ["never removes the drill mark", "never detaches another policy from it"],
  },
};

/** The default quarantine policy (V4) in a member account: a containment there may have attached V3 (the fallback), and the release must detach it. */
const V4 = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const memberV4Body = memberTemplate({
  organizationId: ORG_ID,
  memberRoleName: ROLE_NAME,
  quarantinePolicyArn: V4,
});
const memberV4Role = loadPolicyProof(memberV4Body, memberOptions).logicalId("AWS::IAM::Role", /MemberRole/);
const memberRoleV4: ProofTable = {
  name: "the member role with the default quarantine policy (V4, V3 where V4 does not exist)",
  template: memberV4Body,
  options: memberOptions,
  rows: [
    row("attaches V4", memberV4Role, "iam:AttachUserPolicy", bob, "Allowed", {
      context: { "iam:PolicyARN": V4 },
    }),
    row("attaches V3 (the fallback)", memberV4Role, "iam:AttachUserPolicy", bob, "Allowed", {
      context: { "iam:PolicyARN": QUARANTINE },
    }),
    row("detaches V4 (release)", memberV4Role, "iam:DetachUserPolicy", bob, "Allowed", {
      context: { "iam:PolicyARN": V4 },
    }),
    row(
      "detaches V3 (release of a fallback containment)",
      memberV4Role,
      "iam:DetachUserPolicy",
      bob,
      "Allowed",
      {
        context: { "iam:PolicyARN": QUARANTINE },
      },
    ),
    row("detaches no other policy", memberV4Role, "iam:DetachUserPolicy", bob, "ImplicitlyDenied", {
      context: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSDenyAll" },
    }),
  ],
  weakenings: { "drop-allow-conditions": ["detaches no other policy"] },
};

describe.each([
  memberTrust,
  centralAssume,
  memberRoleGrants,
  centralBus,
  memberDrill,
  memberRevokerTrust,
  centralRevokerReach,
  memberRevokerGrants,
  intakeBusTable,
  memberRoleV4,
])("$name", (t) => {
  const decideAll = (p: PolicyProof) => Promise.all(t.rows.map((r) => p.decide(r.request)));

  it(`decides each of its ${t.rows.length} rows as expected`, async () => {
    const decided = await decideAll(loadPolicyProof(t.template, t.options));
    expect(t.rows.map((r, i) => ({ row: r.says, decision: decided[i] }))).toEqual(
      t.rows.map((r) => ({ row: r.says, decision: r.expected })),
    );
  });

  it.each(Object.entries(t.weakenings))(
    "can fail: %s changes the decision of the rows named",
    async (weakening, mustFlip) => {
      const weakened = loadPolicyProof(weakenTemplate(t.template, weakening as Weakening), t.options);
      const after = await decideAll(weakened);
      const flipped = t.rows.filter((r, i) => after[i] !== r.expected).map((r) => r.says);
      expect(flipped).toEqual(expect.arrayContaining([...(mustFlip ?? [])]));
    },
  );
});
