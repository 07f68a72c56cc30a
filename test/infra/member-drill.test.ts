import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { memberTemplate } from "../../infra/member-template.js";
import {
  MEMBER_DRILL_POLICY_NAME,
  MEMBER_DRILL_USER_NAME,
  MEMBER_DRILL_USER_PATH,
} from "../../lambdas/core/member-drill.js";
import { DRILL_TAG, EXEMPT_TAG } from "../../lambdas/core/plan.js";

/** The member stack's drill user (lkr drill --account): what the StackSet puts into every member account. */
const body = memberTemplate({
  organizationId: "o-a1b2c3d4e5",
  memberRoleName: "LkrMember",
  quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
});
const template = Template.fromJSON(body);

describe("the member stack's drill user", () => {
  it("is one user under the canary path, tagged as a drill canary (never exempt), denied everything", () => {
    template.resourceCountIs("AWS::IAM::User", 1);
    template.hasResourceProperties("AWS::IAM::User", {
      UserName: MEMBER_DRILL_USER_NAME,
      Path: MEMBER_DRILL_USER_PATH,
      Tags: Match.arrayWith([{ Key: DRILL_TAG, Value: "true" }]),
      Policies: [
        {
          PolicyName: MEMBER_DRILL_POLICY_NAME,
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [{ Sid: "DenyEverything", Effect: "Deny", Action: "*", Resource: "*" }],
          },
        },
      ],
    });
    const [user] = Object.values(template.findResources("AWS::IAM::User"));
    const tags = (user?.Properties.Tags ?? []) as { Key: string }[];
    expect(tags.map((t) => t.Key)).not.toContain(EXEMPT_TAG);
    expect(user?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(user?.Properties.Groups).toBeUndefined();
    expect(user?.Properties.LoginProfile).toBeUndefined();
  });

  it("has exactly one access key, created Inactive, for that user", () => {
    template.resourceCountIs("AWS::IAM::AccessKey", 1);
    const userId = Object.keys(template.findResources("AWS::IAM::User"))[0];
    template.hasResourceProperties("AWS::IAM::AccessKey", {
      UserName: { Ref: userId },
      Status: "Inactive",
    });
  });

  it("never outputs nor references the key's secret (nobody needs it)", () => {
    const keyId = Object.keys(template.findResources("AWS::IAM::AccessKey"))[0] ?? "";
    expect(keyId).not.toBe("");
    const text = JSON.stringify(body);
    expect(text).not.toContain("SecretAccessKey");
    expect(text).not.toMatch(new RegExp(`"Fn::GetAtt":\\["${keyId}"`));
    expect(Object.keys(template.findOutputs("*"))).toEqual([]);
  });

  it("keeps the member template well within the StackSet's inline TemplateBody limit (51,200 bytes)", () => {
    expect(JSON.stringify(body).length).toBeLessThan(51_200 / 2);
  });
});
