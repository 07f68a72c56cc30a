import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { MEMBER_PARAMETERS, memberTemplate } from "../../infra/member-template.js";
import { type OrganizationSettings, validateOrganization } from "../../infra/organization.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";

/**
 * Role-session revocation in member accounts: the member stack's revoker role (trusted by the
 * central revoker function's role alone) and the central revoker's reach to it. What these policies
 * allow is proven in org-policy-proofs.test.ts; here, that the templates say it.
 */

const ACCOUNT = "123456789012";
const ORG: OrganizationSettings = {
  organizationId: "o-a1b2c3d4e5",
  memberOrganizationalUnitIds: ["ou-ab12-cdef3456"],
  forwardRegions: [],
  memberRoleName: "LkrMember",
};
const member = Template.fromJSON(
  memberTemplate({
    organizationId: ORG.organizationId,
    memberRoleName: ORG.memberRoleName,
    quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
    exemptPrincipals: ["break-glass"],
  }),
);

function central(org: OrganizationSettings | null = ORG) {
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [] },
    outdir: mkdtempSync(join(tmpdir(), "lkr-revoker-")),
  });
  const stack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
    env: { account: ACCOUNT, region: "us-east-1" },
    ...(org ? { organization: org } : {}),
  });
  return Template.fromStack(stack);
}

describe("the member stack's revoker role", () => {
  it("is named after the member role, trusted by the central revoker's role only, from inside the Organization", () => {
    member.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "LkrMember-SessionRevoker",
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: { Ref: MEMBER_PARAMETERS.centralRevokerRoleArn } },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:PrincipalOrgID": ORG.organizationId } },
          },
        ],
      },
      Tags: Match.arrayWith([{ Key: "leaked-key-responder:exempt", Value: "true" }]),
    });
  });

  it("may put, list and delete inline policies of roles, and nothing else; never on its own, the member or a forwarder role (any region), nor an exempt-listed one", () => {
    const own = (name: string) => ({
      "Fn::Join": [
        "",
        ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "AWS::AccountId" }, `:role/${name}`],
      ],
    });
    const actions = ["iam:PutRolePolicy", "iam:ListRolePolicies", "iam:DeleteRolePolicy"];
    member.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "LkrMember-SessionRevoker",
      Policies: [
        {
          PolicyName: "RevokeRoleSessions",
          PolicyDocument: {
            Statement: [
              { Sid: "RevokeRoleSessions", Effect: "Allow", Action: actions, Resource: own("*") },
              {
                Sid: "NeverWriteOnProtectedRoles",
                Effect: "Deny",
                Action: actions,
                Resource: [
                  own("LkrMember-SessionRevoker"),
                  own("LkrMember"),
                  // Every forwarder role of the member account: this stack's and the regional stacks'.
                  own("LeakedKeyResponder-member-forwarder-*"),
                  own("break-glass"),
                  own("*/break-glass"),
                ],
              },
            ],
          },
        },
      ],
    });
  });

  it("takes the central revoker's role ARN as a parameter of its own", () => {
    member.hasParameter(MEMBER_PARAMETERS.centralRevokerRoleArn, {
      Type: "String",
      AllowedPattern: Match.stringLikeRegexp("iam"),
    });
  });

  it("is exempt from the member role's changes, and the member role still writes and deletes no inline policy", () => {
    const roles = member.findResources("AWS::IAM::Role", { Properties: { RoleName: "LkrMember" } });
    const text = JSON.stringify(roles);
    expect(text).toContain(":role/LkrMember-SessionRevoker");
    const [role] = Object.values(roles) as {
      Properties: {
        Policies: { PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] } }[];
      };
    }[];
    const statements = role?.Properties.Policies[0]?.PolicyDocument.Statement ?? [];
    expect(statements.length).toBeGreaterThan(0);
    const allowed = statements.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat());
    expect(allowed).not.toContain("iam:PutRolePolicy");
    expect(allowed).not.toContain("iam:DeleteRolePolicy");
  });
});

describe("the central revoker in an Organization", () => {
  it("fills the StackSet's revoker parameter with the revoker function's role", () => {
    central().hasResourceProperties("AWS::CloudFormation::StackSet", {
      Parameters: Match.arrayWith([
        {
          ParameterKey: MEMBER_PARAMETERS.centralRevokerRoleArn,
          ParameterValue: { "Fn::GetAtt": [Match.stringLikeRegexp("RoleSessionRevokerRole"), "Arn"] },
        },
      ]),
    });
  });

  it("may assume the members' revoker role by name, only in the Organization, in its policy and its boundary, and is told the member role name", () => {
    const template = central();
    const statement = {
      Sid: "AssumeMemberRevokerRole",
      Effect: "Allow",
      Action: "sts:AssumeRole",
      Resource: {
        "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::*:role/LkrMember-SessionRevoker"]],
      },
      Condition: { StringEquals: { "aws:ResourceOrgID": ORG.organizationId } },
    };
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: { Statement: Match.arrayWith([statement]) },
      Roles: [{ Ref: Match.stringLikeRegexp("RoleSessionRevokerRole") }],
    });
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", {
      Description: "Permissions boundary of the leaked-key-responder role-session revoker",
      PolicyDocument: { Statement: Match.arrayWith([statement]) },
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("only inline-policy writer"),
      Environment: { Variables: { MEMBER_ROLE_NAME: "LkrMember" } },
    });
  });

  it("reaches no other account in a single-account deployment", () => {
    const text = JSON.stringify(central(null).toJSON());
    expect(
      ["AssumeMemberRevokerRole", "-SessionRevoker", "MEMBER_ROLE_NAME"].filter((s) => text.includes(s)),
    ).toEqual([]);
  });

  it("refuses a member role name too long for its revoker role's name", () => {
    expect(() => validateOrganization({ ...ORG, memberRoleName: "x".repeat(49) })).not.toThrow();
    expect(() => validateOrganization({ ...ORG, memberRoleName: "x".repeat(50) })).toThrow(
      /memberRoleName is "x{50}" \(50 characters\); at most 49: the member's revoker role is named <name>-SessionRevoker and IAM allows 64/,
    );
  });
});
