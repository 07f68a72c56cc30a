import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { describe, expect, it } from "vitest";
import { LeakedKeyResponder, type LeakedKeyResponderProps } from "../../infra/leaked-key-responder.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";
import {
  type Decision,
  loadPolicyProof,
  type PolicyProof,
  type ProofRequest,
  type Weakening,
  weakenTemplate,
} from "../support/iam-proof.js";

/**
 * What the deployed policies allow, decided by iam-simulate over the synthesized template
 * (moto enforces no IAM policy). A row marked `knownGap` asserts today's decision where it
 * is wrong; fixing the gap flips the row, which must then lose its mark.
 */

const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";
/** V3: where the default V4 does not exist, the responder attaches V3 (its fallback). */
const QUARANTINE_POLICY = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const QUARANTINE_V4 = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess";
const EXEMPT_TAG = "leaked-key-responder:exempt";
const alice = `arn:aws:iam::${ACCOUNT}:user/alice`;
const appRole = `arn:aws:iam::${ACCOUNT}:role/app`;
const webRole = `arn:aws:iam::${ACCOUNT}:role/web`;
/** On the exempt list by name (so at any path, user or role) and by ARN. */
const breakGlass = `arn:aws:iam::${ACCOUNT}:user/break-glass`;
const breakGlassAtPath = `arn:aws:iam::${ACCOUNT}:user/ops/break-glass`;
const adminRole = `arn:aws:iam::${ACCOUNT}:role/admin`;

function synthTemplate(extra: Partial<LeakedKeyResponderProps> = {}): unknown {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
    env: { account: ACCOUNT, region: "us-east-1" },
    responder: {
      notificationEmails: ["secops@example.com"],
      exemptPrincipals: ["break-glass", adminRole],
      ...extra,
    },
  });
  return Template.fromStack(stack).toJSON();
}

const template = synthTemplate();
const proof = loadPolicyProof(template);
const honouringTemplate = synthTemplate({ honorExemptTag: true });
const honouring = loadPolicyProof(honouringTemplate);
/** The audit enforcing one kind: its role may hand keys to the respond function over the bus. */
const enforcingTemplate = synthTemplate({ audit: { enforce: { "key-old": 30 } } });
const enforcing = loadPolicyProof(enforcingTemplate);

const respond = proof.logicalId("AWS::IAM::Role", /RespondRole/);
const investigate = proof.logicalId("AWS::IAM::Role", /InvestigateRole/);
const audit = proof.logicalId("AWS::IAM::Role", /AuditRole/);
const auditDlq = proof.arn(proof.logicalId("AWS::SQS::Queue", /AuditDeadLetterQueue/));
const respondFunction = proof.arn(proof.logicalId("AWS::Lambda::Function", /RespondFunction/));
const revoker = proof.logicalId("AWS::IAM::Role", /RoleSessionRevokerRole/);
const revokerFunction = proof.arn(proof.logicalId("AWS::Lambda::Function", /RoleSessionRevokerFunction/));
const sessionDenyPolicy = proof.ref(proof.logicalId("AWS::IAM::ManagedPolicy", /SessionDenyPolicy/));
const revokerLogStream = proof
  .arn(proof.logicalId("AWS::Logs::LogGroup", /RoleSessionRevokerLogGroup/))
  .replace(/\*$/, "log-stream:s");
const investigateFunction = proof.arn(proof.logicalId("AWS::Lambda::Function", /InvestigateFunction/));
const table = proof.arn(proof.logicalId("AWS::DynamoDB::Table", /IncidentTable/));
const topic = proof.ref(proof.logicalId("AWS::SNS::Topic", /AlertTopic/));
const chatTopic = proof.ref(proof.logicalId("AWS::SNS::Topic", /ChatTopic/));
const topicKey = proof.arn(proof.logicalId("AWS::KMS::Key", /AlertTopicKey/));
const respondDlq = proof.arn(proof.logicalId("AWS::SQS::Queue", /RespondDeadLetterQueue/));
const investigateDlq = proof.arn(proof.logicalId("AWS::SQS::Queue", /InvestigateDeadLetterQueue/));
const respondLogStream = proof
  .arn(proof.logicalId("AWS::Logs::LogGroup", /RespondLogGroup/))
  .replace(/\*$/, "log-stream:s");
const drillRule = proof.arn(proof.logicalId("AWS::Events::Rule", /DrillRule/));
const foreignRule = `arn:aws:events:us-east-1:${ACCOUNT}:rule/not-the-responders`;
const defaultBus = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`;
const responderBus = proof.arn(proof.logicalId("AWS::Events::EventBus", /ResponderBus/));
const scheduleRole = proof.logicalId("AWS::IAM::Role", /ContainmentCheckRole/);
const scheduleRoleArn = proof.role(scheduleRole).arn;
const scheduleGroupName = (
  (template as { Resources: Record<string, { Properties: { Name: string } }> }).Resources[
    proof.logicalId("AWS::Scheduler::ScheduleGroup", /ContainmentCheckGroup/)
  ] as { Properties: { Name: string } }
).Properties.Name;
const checkSchedule = `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/${scheduleGroupName}/confirm-x`;
const foreignSchedule = `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/confirm-x`;
/** PutEvents' source and detail-type keys hold one value per entry of the request. */
const PERSISTENCE_FOUND = {
  "events:source": ["leaked-key-responder"],
  "events:detail-type": ["Persistence Found"],
};
const INCIDENT_CONTAINED = {
  "events:source": ["leaked-key-responder"],
  "events:detail-type": ["Incident Contained"],
};
/** One Persistence Found smuggled in beside an Incident Contained: the whole request is refused. */
const MIXED = {
  "events:source": ["leaked-key-responder"],
  "events:detail-type": ["Persistence Found", "Incident Contained"],
};
const informationalQueue = proof.arn(proof.logicalId("AWS::SQS::Queue", /InformationalQueue/));
const admin = `arn:aws:iam::${ACCOUNT}:role/admin`;
const outsider = `arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`;
/** What an administrator (or a leaked admin key) holds: every action on everything. */
const ADMIN_POLICY_DOCUMENT = [
  { name: "AdministratorAccess", policy: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } },
];

interface Row {
  readonly says: string;
  readonly request: ProofRequest;
  readonly expected: Decision;
  /** Today's decision is wrong; the fix belongs to another change. */
  readonly knownGap?: string;
}

interface ProofTable {
  readonly name: string;
  /** The template the rows are decided on. @default the default stack's */
  readonly template?: unknown;
  readonly rows: readonly Row[];
  /** Each weakening of the template must change the decision of at least these rows. */
  readonly weakenings: Partial<Record<Weakening, readonly string[]>>;
}

const row = (
  says: string,
  principal: string,
  action: string,
  resource: string,
  expected: Decision,
  extra: {
    context?: Record<string, string | string[]>;
    knownGap?: string;
    identityPolicies?: ProofRequest["identityPolicies"];
  } = {},
): Row => ({
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
});

const respondOnIam: ProofTable = {
  name: "respond role on IAM principals",
  rows: [
    row("disables a key of alice", respond, "iam:UpdateAccessKey", alice, "Allowed"),
    row("lists alice's keys", respond, "iam:ListAccessKeys", alice, "Allowed"),
    row(
      "disables no key of an exempt-listed user",
      respond,
      "iam:UpdateAccessKey",
      breakGlass,
      "ExplicitlyDenied",
    ),
    row(
      "disables no key of an exempt-listed user at a path",
      respond,
      "iam:UpdateAccessKey",
      breakGlassAtPath,
      "ExplicitlyDenied",
    ),
    row(
      "attaches nothing to a role exempt-listed by ARN",
      respond,
      "iam:AttachRolePolicy",
      adminRole,
      "ExplicitlyDenied",
      { context: { "iam:PolicyARN": QUARANTINE_POLICY } },
    ),
    row(
      "disables a key of a user that tagged itself exempt (the tag is not honoured by default)",
      respond,
      "iam:UpdateAccessKey",
      alice,
      "Allowed",
      { context: { [`aws:ResourceTag/${EXEMPT_TAG}`]: "true" } },
    ),
    row(
      "disables no key in another account",
      respond,
      "iam:UpdateAccessKey",
      `arn:aws:iam::${OTHER_ACCOUNT}:user/alice`,
      "ImplicitlyDenied",
    ),
    row("creates no key", respond, "iam:CreateAccessKey", alice, "ExplicitlyDenied"),
    row("deletes no key", respond, "iam:DeleteAccessKey", alice, "ExplicitlyDenied"),
    row("creates no user", respond, "iam:CreateUser", alice, "ExplicitlyDenied"),
    row("deletes no user", respond, "iam:DeleteUser", alice, "ExplicitlyDenied"),
    row("sets no console password", respond, "iam:UpdateLoginProfile", alice, "ExplicitlyDenied"),
    row("attaches the quarantine policy to alice", respond, "iam:AttachUserPolicy", alice, "Allowed", {
      context: { "iam:PolicyARN": QUARANTINE_POLICY },
    }),
    row(
      "attaches the default quarantine policy, AWSCompromisedKeyQuarantineV4, to alice (V3 above is its fallback)",
      respond,
      "iam:AttachUserPolicy",
      alice,
      "Allowed",
      { context: { "iam:PolicyARN": QUARANTINE_V4 } },
    ),
    row(
      "attaches no older quarantine policy than the fallback (V2) to alice",
      respond,
      "iam:AttachUserPolicy",
      alice,
      "ImplicitlyDenied",
      { context: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2" } },
    ),
    row(
      "attaches no AdministratorAccess to alice",
      respond,
      "iam:AttachUserPolicy",
      alice,
      "ImplicitlyDenied",
      {
        context: { "iam:PolicyARN": ADMIN_POLICY },
      },
    ),
    row(
      "attaches the stack's session-deny policy to alice",
      respond,
      "iam:AttachUserPolicy",
      alice,
      "Allowed",
      {
        context: { "iam:PolicyARN": sessionDenyPolicy },
      },
    ),
    row(
      "attaches no other policy of the account to alice",
      respond,
      "iam:AttachUserPolicy",
      alice,
      "ImplicitlyDenied",
      { context: { "iam:PolicyARN": `arn:aws:iam::${ACCOUNT}:policy/Anything` } },
    ),
    row("attaches the quarantine policy to a role", respond, "iam:AttachRolePolicy", appRole, "Allowed", {
      context: { "iam:PolicyARN": QUARANTINE_POLICY },
    }),
    row(
      "attaches no AdministratorAccess to a role",
      respond,
      "iam:AttachRolePolicy",
      appRole,
      "ImplicitlyDenied",
      { context: { "iam:PolicyARN": ADMIN_POLICY } },
    ),
    row("tags alice with a quarantine mark", respond, "iam:TagUser", alice, "Allowed", {
      context: { "aws:TagKeys": ["leaked-key-responder:quarantine:AKIAEXAMPLE"] },
    }),
    row("tags no one exempt", respond, "iam:TagUser", alice, "ExplicitlyDenied", {
      context: { "aws:TagKeys": [EXEMPT_TAG] },
    }),
    row("tags no one exempt, whatever the case", respond, "iam:TagRole", appRole, "ExplicitlyDenied", {
      context: {
        "aws:TagKeys": ["Leaked-Key-Responder:Exempt", "leaked-key-responder:quarantine:AKIAEXAMPLE"],
      },
    }),
    row("makes no drill canary", respond, "iam:TagUser", alice, "ExplicitlyDenied", {
      context: { "aws:TagKeys": ["leaked-key-responder:drill"] },
    }),
    row("passes no role", respond, "iam:PassRole", appRole, "ExplicitlyDenied"),
    row("changes no trust policy", respond, "iam:UpdateAssumeRolePolicy", appRole, "ExplicitlyDenied"),
    row("lifts no boundary", respond, "iam:DeleteRolePermissionsBoundary", appRole, "ExplicitlyDenied"),
    row(
      "writes no policy version",
      respond,
      "iam:CreatePolicyVersion",
      `arn:aws:iam::${ACCOUNT}:policy/any`,
      "ExplicitlyDenied",
    ),
    row(
      "writes no inline policy on itself",
      respond,
      "iam:PutRolePolicy",
      proof.arn(respond),
      "ExplicitlyDenied",
    ),
    row(
      "attaches nothing to the investigate role",
      respond,
      "iam:AttachRolePolicy",
      proof.arn(investigate),
      "ExplicitlyDenied",
      { context: { "iam:PolicyARN": QUARANTINE_POLICY } },
    ),
    row("tags not itself", respond, "iam:TagRole", proof.arn(respond), "ExplicitlyDenied", {
      context: { "aws:TagKeys": ["leaked-key-responder:quarantine:AKIAEXAMPLE"] },
    }),
    row("writes no inline policy on alice", respond, "iam:PutUserPolicy", alice, "ExplicitlyDenied"),
    row("writes no inline policy on a role", respond, "iam:PutRolePolicy", appRole, "ExplicitlyDenied"),
    row(
      "writes no inline policy on a group",
      respond,
      "iam:PutGroupPolicy",
      `arn:aws:iam::${ACCOUNT}:group/admins`,
      "ExplicitlyDenied",
    ),
    row(
      "attaches nothing to a group",
      respond,
      "iam:AttachGroupPolicy",
      `arn:aws:iam::${ACCOUNT}:group/admins`,
      "ExplicitlyDenied",
      { context: { "iam:PolicyARN": ADMIN_POLICY } },
    ),
    row(
      "creates no policy",
      respond,
      "iam:CreatePolicy",
      `arn:aws:iam::${ACCOUNT}:policy/any`,
      "ExplicitlyDenied",
    ),
    row(
      "sets no default policy version",
      respond,
      "iam:SetDefaultPolicyVersion",
      `arn:aws:iam::${ACCOUNT}:policy/any`,
      "ExplicitlyDenied",
    ),
    row("invokes the role-session revoker", respond, "lambda:InvokeFunction", revokerFunction, "Allowed"),
    row(
      "invokes no other function",
      respond,
      "lambda:InvokeFunction",
      investigateFunction,
      "ImplicitlyDenied",
    ),
  ],
  weakenings: {
    "drop-permissions-boundaries": ["creates no key", "passes no role", "writes no inline policy on alice"],
    "drop-deny-statements": [
      "disables no key of an exempt-listed user",
      "attaches nothing to a role exempt-listed by ARN",
      "writes no inline policy on itself",
      "tags no one exempt",
    ],
    "drop-allow-conditions": ["attaches no AdministratorAccess to alice"],
    "widen-allow-resources": ["invokes no other function"],
  },
};

const revokerRole: ProofTable = {
  name: "role-session revoker role",
  rows: [
    row("puts the revoke policy on a role", revoker, "iam:PutRolePolicy", webRole, "Allowed"),
    row("writes no inline policy on a user", revoker, "iam:PutUserPolicy", alice, "ImplicitlyDenied"),
    row(
      "writes not on the respond role",
      revoker,
      "iam:PutRolePolicy",
      proof.arn(respond),
      "ExplicitlyDenied",
    ),
    row(
      "writes not on the investigate role",
      revoker,
      "iam:PutRolePolicy",
      proof.arn(investigate),
      "ExplicitlyDenied",
    ),
    row("writes not on its own role", revoker, "iam:PutRolePolicy", proof.arn(revoker), "ExplicitlyDenied"),
    row(
      "writes not on any role named after the stack",
      revoker,
      "iam:PutRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/LeakedKeyResponder-Later`,
      "ExplicitlyDenied",
    ),
    row("writes not on an exempt-listed role", revoker, "iam:PutRolePolicy", adminRole, "ExplicitlyDenied"),
    row(
      "writes not on a role of another account",
      revoker,
      "iam:PutRolePolicy",
      `arn:aws:iam::${OTHER_ACCOUNT}:role/web`,
      "ImplicitlyDenied",
    ),
    row("attaches no policy to a role", revoker, "iam:AttachRolePolicy", webRole, "ImplicitlyDenied", {
      context: { "iam:PolicyARN": QUARANTINE_POLICY },
    }),
    row("deletes no inline policy", revoker, "iam:DeleteRolePolicy", webRole, "ImplicitlyDenied"),
    row("disables no key", revoker, "iam:UpdateAccessKey", alice, "ImplicitlyDenied"),
    row("passes no role", revoker, "iam:PassRole", webRole, "ImplicitlyDenied"),
    row("assumes no role", revoker, "sts:AssumeRole", webRole, "ImplicitlyDenied"),
    row("reads no incident", revoker, "dynamodb:GetItem", table, "ImplicitlyDenied"),
    row("publishes no alert", revoker, "sns:Publish", topic, "ImplicitlyDenied"),
    row("publishes nothing to Chatbot", revoker, "sns:Publish", chatTopic, "ImplicitlyDenied"),
    row("writes its logs", revoker, "logs:PutLogEvents", revokerLogStream, "Allowed"),
    row("writes not the respond logs", revoker, "logs:PutLogEvents", respondLogStream, "ImplicitlyDenied"),
  ],
  weakenings: {
    "drop-deny-statements": ["writes not on the respond role", "writes not on an exempt-listed role"],
    "widen-allow-resources": ["writes not the respond logs"],
  },
};

const respondHonouringTag: ProofTable = {
  name: "respond role where the deployer honours the exempt tag",
  template: honouringTemplate,
  rows: [
    row("disables a key of alice", respond, "iam:UpdateAccessKey", alice, "Allowed"),
    row(
      "disables no key of a user tagged exempt",
      respond,
      "iam:UpdateAccessKey",
      alice,
      "ExplicitlyDenied",
      {
        context: { [`aws:ResourceTag/${EXEMPT_TAG}`]: "true" },
      },
    ),
    row(
      "attaches nothing to a role tagged exempt",
      respond,
      "iam:AttachRolePolicy",
      appRole,
      "ExplicitlyDenied",
      {
        context: { "iam:PolicyARN": QUARANTINE_POLICY, [`aws:ResourceTag/${EXEMPT_TAG}`]: "true" },
      },
    ),
    row(
      "disables no key of an exempt-listed user",
      respond,
      "iam:UpdateAccessKey",
      breakGlass,
      "ExplicitlyDenied",
    ),
  ],
  weakenings: {
    "drop-deny-statements": [
      "disables no key of a user tagged exempt",
      "disables no key of an exempt-listed user",
    ],
  },
};

const respondOnOwnResources: ProofTable = {
  name: "respond role on its own resources",
  rows: [
    row("reads an incident", respond, "dynamodb:GetItem", table, "Allowed"),
    row("writes an incident", respond, "dynamodb:UpdateItem", table, "Allowed"),
    row("deletes no incident", respond, "dynamodb:DeleteItem", table, "ImplicitlyDenied"),
    row("scans no table", respond, "dynamodb:Scan", table, "ImplicitlyDenied"),
    row("publishes an alert", respond, "sns:Publish", topic, "Allowed"),
    row("publishes the alert's chat copy", respond, "sns:Publish", chatTopic, "Allowed"),
    row(
      "publishes to no other topic",
      respond,
      "sns:Publish",
      `arn:aws:sns:us-east-1:${ACCOUNT}:other`,
      "ImplicitlyDenied",
    ),
    row("encrypts an alert", respond, "kms:GenerateDataKey", topicKey, "Allowed"),
    row("decrypts with the alert key", respond, "kms:Decrypt", topicKey, "Allowed"),
    row("schedules no key deletion", respond, "kms:ScheduleKeyDeletion", topicKey, "ImplicitlyDenied"),
    row("sends to its DLQ", respond, "sqs:SendMessage", respondDlq, "Allowed"),
    row("sends to its DLQ only over TLS", respond, "sqs:SendMessage", respondDlq, "ExplicitlyDenied", {
      context: { "aws:SecureTransport": "false" },
    }),
    row("reads not its DLQ", respond, "sqs:ReceiveMessage", respondDlq, "ImplicitlyDenied"),
    row("sends not to the investigation DLQ", respond, "sqs:SendMessage", investigateDlq, "ImplicitlyDenied"),
    row("puts events on the responder's bus", respond, "events:PutEvents", responderBus, "Allowed"),
    row("puts no events on the default bus", respond, "events:PutEvents", defaultBus, "ImplicitlyDenied"),
    row(
      "receives from the informational queue",
      respond,
      "sqs:ReceiveMessage",
      informationalQueue,
      "Allowed",
    ),
    row("deletes what it handled there", respond, "sqs:DeleteMessage", informationalQueue, "Allowed"),
    row(
      "sends nothing to the informational queue",
      respond,
      "sqs:SendMessage",
      informationalQueue,
      "ImplicitlyDenied",
    ),
    row(
      "puts no events on another bus",
      respond,
      "events:PutEvents",
      `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/other`,
      "ImplicitlyDenied",
    ),
    row("writes its logs", respond, "logs:PutLogEvents", respondLogStream, "Allowed"),
    row(
      "writes no other logs",
      respond,
      "logs:PutLogEvents",
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:other:log-stream:s`,
      "ImplicitlyDenied",
    ),
  ],
  weakenings: {
    "widen-allow-resources": [
      "publishes to no other topic",
      "sends not to the investigation DLQ",
      "puts no events on the default bus",
    ],
    "drop-deny-statements": ["sends to its DLQ only over TLS"],
  },
};

const investigateRole: ProofTable = {
  name: "investigate role",
  rows: [
    row("looks up CloudTrail events", investigate, "cloudtrail:LookupEvents", "*", "Allowed"),
    row("reads an incident", investigate, "dynamodb:GetItem", table, "Allowed"),
    row("writes the investigation on an incident", investigate, "dynamodb:UpdateItem", table, "Allowed", {
      context: {
        "dynamodb:Attributes": ["incidentId", "investigation", "investigationFingerprint", "investigatedAt"],
        "dynamodb:ReturnValues": "NONE",
      },
    }),
    row("marks a containment investigated", investigate, "dynamodb:UpdateItem", table, "Allowed", {
      context: { "dynamodb:Attributes": ["incidentId", "investigatedContainment"] },
    }),
    row("writes no incident status", investigate, "dynamodb:UpdateItem", table, "ImplicitlyDenied", {
      context: { "dynamodb:Attributes": ["incidentId", "status"] },
    }),
    row(
      "writes no actions or signals of an incident",
      investigate,
      "dynamodb:UpdateItem",
      table,
      "ImplicitlyDenied",
      { context: { "dynamodb:Attributes": ["incidentId", "investigation", "actions", "signals"] } },
    ),
    row(
      "reads back no whole incident through an update",
      investigate,
      "dynamodb:UpdateItem",
      table,
      "ImplicitlyDenied",
      {
        context: {
          "dynamodb:Attributes": ["incidentId", "investigation"],
          "dynamodb:ReturnValues": "ALL_NEW",
        },
      },
    ),
    row("puts no item", investigate, "dynamodb:PutItem", table, "ImplicitlyDenied"),
    row("deletes no incident", investigate, "dynamodb:DeleteItem", table, "ImplicitlyDenied"),
    row("publishes an alert", investigate, "sns:Publish", topic, "Allowed"),
    row("publishes the follow-up's chat copy", investigate, "sns:Publish", chatTopic, "Allowed"),
    row("decrypts with the alert key", investigate, "kms:Decrypt", topicKey, "Allowed"),
    row("sends to its DLQ", investigate, "sqs:SendMessage", investigateDlq, "Allowed"),
    row("sends not to the respond DLQ", investigate, "sqs:SendMessage", respondDlq, "ImplicitlyDenied"),
    row("disables no key", investigate, "iam:UpdateAccessKey", alice, "ImplicitlyDenied"),
    row("attaches no policy", investigate, "iam:AttachUserPolicy", alice, "ImplicitlyDenied", {
      context: { "iam:PolicyARN": QUARANTINE_POLICY },
    }),
    row("creates no key", investigate, "iam:CreateAccessKey", alice, "ImplicitlyDenied"),
    // Persistence closed: handed to the respond function as an event, never acted on here.
    row(
      "hands persistence over on the responder's bus",
      investigate,
      "events:PutEvents",
      responderBus,
      "Allowed",
      {
        context: PERSISTENCE_FOUND,
      },
    ),
    row(
      "puts no Incident Contained on the bus",
      investigate,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      {
        context: INCIDENT_CONTAINED,
      },
    ),
    row(
      "puts no other event beside a Persistence Found",
      investigate,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      { context: MIXED },
    ),
    row(
      "puts no Persistence Found on the default bus",
      investigate,
      "events:PutEvents",
      defaultBus,
      "ImplicitlyDenied",
      {
        context: PERSISTENCE_FOUND,
      },
    ),
    row("reads a role's trust policy", investigate, "iam:GetRole", appRole, "Allowed"),
    row("changes no trust policy", investigate, "iam:UpdateAssumeRolePolicy", appRole, "ImplicitlyDenied"),
    row("writes no role policy", investigate, "iam:PutRolePolicy", appRole, "ImplicitlyDenied"),
    row("fences no user", investigate, "iam:AttachUserPolicy", breakGlass, "ImplicitlyDenied", {
      context: { "iam:PolicyARN": QUARANTINE_POLICY },
    }),
    // Containment confirmed: one-time schedules in the stack's group, with the stack's schedule role.
    row(
      "creates a containment check in its schedule group",
      investigate,
      "scheduler:CreateSchedule",
      checkSchedule,
      "Allowed",
    ),
    row(
      "creates no schedule in another group",
      investigate,
      "scheduler:CreateSchedule",
      foreignSchedule,
      "ImplicitlyDenied",
    ),
    row("changes no schedule", investigate, "scheduler:UpdateSchedule", checkSchedule, "ImplicitlyDenied"),
    row(
      "deletes no schedule (Scheduler does, once it ran)",
      investigate,
      "scheduler:DeleteSchedule",
      checkSchedule,
      "ImplicitlyDenied",
    ),
    row("passes the schedule role to Scheduler", investigate, "iam:PassRole", scheduleRoleArn, "Allowed", {
      context: { "iam:PassedToService": "scheduler.amazonaws.com" },
    }),
    row(
      "passes the schedule role to no other service",
      investigate,
      "iam:PassRole",
      scheduleRoleArn,
      "ImplicitlyDenied",
      {
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      },
    ),
    row(
      "passes no other role to Scheduler",
      investigate,
      "iam:PassRole",
      proof.role(respond).arn,
      "ImplicitlyDenied",
      {
        context: { "iam:PassedToService": "scheduler.amazonaws.com" },
      },
    ),
    row(
      "invokes no function itself",
      investigate,
      "lambda:InvokeFunction",
      respondFunction,
      "ImplicitlyDenied",
    ),
  ],
  weakenings: {
    "widen-allow-resources": [
      "sends not to the respond DLQ",
      "creates no schedule in another group",
      "passes no other role to Scheduler",
    ],
    "drop-allow-conditions": [
      "writes no incident status",
      "writes no actions or signals of an incident",
      "reads back no whole incident through an update",
      "passes the schedule role to no other service",
    ],
  },
};

/** The role the one-time schedules invoke the investigate function with. */
const scheduleRoleTable: ProofTable = {
  name: "containment check schedule role",
  rows: [
    row(
      "invokes the investigate function",
      scheduleRole,
      "lambda:InvokeFunction",
      investigateFunction,
      "Allowed",
    ),
    row(
      "invokes not the respond function",
      scheduleRole,
      "lambda:InvokeFunction",
      respondFunction,
      "ImplicitlyDenied",
    ),
    row(
      "invokes not the role-session revoker",
      scheduleRole,
      "lambda:InvokeFunction",
      revokerFunction,
      "ImplicitlyDenied",
    ),
    row(
      "puts a failed check on the investigate DLQ",
      scheduleRole,
      "sqs:SendMessage",
      investigateDlq,
      "Allowed",
    ),
    row("sends not to the respond DLQ", scheduleRole, "sqs:SendMessage", respondDlq, "ImplicitlyDenied"),
    row(
      "puts no events on the responder's bus",
      scheduleRole,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      {
        context: PERSISTENCE_FOUND,
      },
    ),
    row("disables no key", scheduleRole, "iam:UpdateAccessKey", alice, "ImplicitlyDenied"),
    row("passes no role", scheduleRole, "iam:PassRole", scheduleRoleArn, "ImplicitlyDenied", {
      context: { "iam:PassedToService": "scheduler.amazonaws.com" },
    }),
    row("creates no schedule", scheduleRole, "scheduler:CreateSchedule", checkSchedule, "ImplicitlyDenied"),
    row("writes no incident", scheduleRole, "dynamodb:UpdateItem", table, "ImplicitlyDenied"),
  ],
  weakenings: {
    "widen-allow-resources": ["invokes not the respond function", "sends not to the respond DLQ"],
  },
};

const responderBusPolicy: ProofTable = {
  name: "the responder's bus",
  rows: [
    row("the respond role puts events on it", respond, "events:PutEvents", responderBus, "Allowed"),
    row(
      "an administrator of this account puts none",
      admin,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      { identityPolicies: ADMIN_POLICY_DOCUMENT },
    ),
    row(
      "a role of another account puts none",
      outsider,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      {
        identityPolicies: ADMIN_POLICY_DOCUMENT,
      },
    ),
    // Before persistence was closed the investigate role put nothing; now Persistence Found only.
    row(
      "the investigate role puts no other detail-type",
      investigate,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      {
        context: INCIDENT_CONTAINED,
      },
    ),
    row(
      "the investigate role puts Persistence Found",
      investigate,
      "events:PutEvents",
      responderBus,
      "Allowed",
      {
        context: PERSISTENCE_FOUND,
      },
    ),
    row(
      "the respond role puts no Persistence Found",
      respond,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      {
        context: PERSISTENCE_FOUND,
      },
    ),
    row(
      "the respond role puts no Persistence Found beside an Incident Contained",
      respond,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      { context: MIXED },
    ),
    row(
      "the respond role still puts Incident Contained",
      respond,
      "events:PutEvents",
      responderBus,
      "Allowed",
      {
        context: INCIDENT_CONTAINED,
      },
    ),
    row(
      "an administrator of this account puts no Persistence Found",
      admin,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
      { identityPolicies: ADMIN_POLICY_DOCUMENT, context: PERSISTENCE_FOUND },
    ),
    row(
      "an administrator still puts events on the default bus",
      admin,
      "events:PutEvents",
      defaultBus,
      "Allowed",
      { identityPolicies: ADMIN_POLICY_DOCUMENT },
    ),
  ],
  weakenings: {
    "drop-deny-statements": ["an administrator of this account puts none"],
  },
};

/** One row per rule target and its dead-letter queue, read from the template's rules. */
function ruleDeliveryRows(p: PolicyProof): Row[] {
  return p.logicalIds("AWS::Events::Rule").flatMap((rule) => {
    const ruleArn = p.arn(rule);
    const name = rule.replace(/^Responder/, "").replace(/[0-9A-F]{8}$/, "");
    const targets = (p.properties(rule).Targets ?? []) as {
      Arn: string;
      DeadLetterConfig?: { Arn: string };
    }[];
    return targets.flatMap((t) => [
      t.Arn.startsWith("arn:aws:sqs:")
        ? row(`${name} queues its event`, "events.amazonaws.com", "sqs:SendMessage", t.Arn, "Allowed", {
            context: { "aws:SourceArn": ruleArn },
          })
        : row(
            `${name} invokes its target`,
            "events.amazonaws.com",
            "lambda:InvokeFunction",
            t.Arn,
            "Allowed",
            {
              context: { "aws:SourceArn": ruleArn },
            },
          ),
      ...(t.DeadLetterConfig
        ? [
            row(
              `${name} dead-letters`,
              "events.amazonaws.com",
              "sqs:SendMessage",
              t.DeadLetterConfig.Arn,
              "Allowed",
              {
                context: { "aws:SourceArn": ruleArn },
              },
            ),
          ]
        : []),
    ]);
  });
}

/** One row per alarm action on an SNS topic, read from the template's alarms. */
function alarmPublishRows(p: PolicyProof): Row[] {
  return p.logicalIds("AWS::CloudWatch::Alarm").flatMap((alarm) => {
    const actions = (p.properties(alarm).AlarmActions ?? []) as string[];
    return actions
      .filter((a) => a.startsWith("arn:aws:sns:"))
      .map((a) =>
        row(
          `${alarm.replace(/^Responder/, "").replace(/[0-9A-F]{8}$/, "")} publishes to ${a.includes("ChatTopic") ? "the chat topic" : "the alert topic"}`,
          "cloudwatch.amazonaws.com",
          "sns:Publish",
          a,
          "Allowed",
          { context: { "aws:SourceArn": p.arn(alarm), "aws:SourceAccount": ACCOUNT } },
        ),
      );
  });
}

const someAlarm = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:not-the-responders`;
const alarmOfAnotherAccount = `arn:aws:cloudwatch:us-east-1:${OTHER_ACCOUNT}:alarm:x`;

const servicesOnResources: ProofTable = {
  name: "AWS services on resource policies",
  rows: [
    ...ruleDeliveryRows(proof),
    row(
      "a foreign rule invokes not the respond function",
      "events.amazonaws.com",
      "lambda:InvokeFunction",
      respondFunction,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": foreignRule } },
    ),
    row(
      "a signal rule invokes not the investigate function",
      "events.amazonaws.com",
      "lambda:InvokeFunction",
      investigateFunction,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": drillRule } },
    ),
    row(
      "a foreign rule queues nothing on the informational queue",
      "events.amazonaws.com",
      "sqs:SendMessage",
      informationalQueue,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": foreignRule } },
    ),
    row(
      "a foreign rule dead-letters not into the DLQ",
      "events.amazonaws.com",
      "sqs:SendMessage",
      respondDlq,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": foreignRule } },
    ),
    row(
      "a rule dead-letters only over TLS",
      "events.amazonaws.com",
      "sqs:SendMessage",
      respondDlq,
      "ExplicitlyDenied",
      { context: { "aws:SourceArn": drillRule, "aws:SecureTransport": "false" } },
    ),
    row(
      "Lambda assumes the respond role",
      "lambda.amazonaws.com",
      "sts:AssumeRole",
      proof.arn(respond),
      "Allowed",
    ),
    row(
      "Lambda assumes the investigate role",
      "lambda.amazonaws.com",
      "sts:AssumeRole",
      proof.arn(investigate),
      "Allowed",
    ),
    row(
      "EventBridge assumes not the respond role",
      "events.amazonaws.com",
      "sts:AssumeRole",
      proof.arn(respond),
      "ImplicitlyDenied",
    ),
    ...alarmPublishRows(proof),
    row(
      "another alarm of this account publishes no alert",
      "cloudwatch.amazonaws.com",
      "sns:Publish",
      topic,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": someAlarm, "aws:SourceAccount": ACCOUNT } },
    ),
    row(
      "an alarm of another account publishes no alert",
      "cloudwatch.amazonaws.com",
      "sns:Publish",
      topic,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": alarmOfAnotherAccount, "aws:SourceAccount": OTHER_ACCOUNT } },
    ),
    row(
      "CloudWatch encrypts with the alert key for an alarm",
      "cloudwatch.amazonaws.com",
      "kms:GenerateDataKey",
      topicKey,
      "Allowed",
      { context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": alarmArnOf(proof, /RespondErrorsAlarm/) } },
    ),
    row(
      "CloudWatch decrypts with the alert key for an alarm",
      "cloudwatch.amazonaws.com",
      "kms:Decrypt",
      topicKey,
      "Allowed",
      { context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": alarmArnOf(proof, /RespondErrorsAlarm/) } },
    ),
    row(
      "CloudWatch on behalf of another account uses not the alert key",
      "cloudwatch.amazonaws.com",
      "kms:GenerateDataKey",
      topicKey,
      "ImplicitlyDenied",
      { context: { "aws:SourceAccount": OTHER_ACCOUNT, "aws:SourceArn": alarmOfAnotherAccount } },
    ),
    row(
      "CloudWatch for no alarm uses not the alert key",
      "cloudwatch.amazonaws.com",
      "kms:GenerateDataKey",
      topicKey,
      "ImplicitlyDenied",
      {
        context: {
          "aws:SourceAccount": ACCOUNT,
          "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:dashboard/x`,
        },
      },
    ),
    row(
      "a role of another account publishes no alert",
      `arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`,
      "sns:Publish",
      topic,
      "ImplicitlyDenied",
    ),
    row(
      "a role of another account uses not the alert key",
      `arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`,
      "kms:Decrypt",
      topicKey,
      "ImplicitlyDenied",
    ),
  ],
  weakenings: {
    "drop-allow-conditions": [
      "a foreign rule invokes not the respond function",
      "a signal rule invokes not the investigate function",
      "a foreign rule dead-letters not into the DLQ",
      "a foreign rule queues nothing on the informational queue",
      "another alarm of this account publishes no alert",
      "an alarm of another account publishes no alert",
      "CloudWatch on behalf of another account uses not the alert key",
      "CloudWatch for no alarm uses not the alert key",
    ],
    "drop-deny-statements": ["a rule dead-letters only over TLS"],
  },
};

const auditRole: ProofTable = {
  name: "audit role",
  rows: [
    row("generates the credential report", audit, "iam:GenerateCredentialReport", "*", "Allowed"),
    row("gets the credential report", audit, "iam:GetCredentialReport", "*", "Allowed"),
    row("lists alice's keys", audit, "iam:ListAccessKeys", alice, "Allowed"),
    row("reads a key's last use", audit, "iam:GetAccessKeyLastUsed", alice, "Allowed"),
    row(
      "reads the account's users, groups and policies",
      audit,
      "iam:GetAccountAuthorizationDetails",
      "*",
      "Allowed",
    ),
    row("reads no role's policy", audit, "iam:GetRolePolicy", appRole, "ImplicitlyDenied"),
    row(
      "lists no keys in another account",
      audit,
      "iam:ListAccessKeys",
      `arn:aws:iam::${OTHER_ACCOUNT}:user/alice`,
      "ImplicitlyDenied",
    ),
    row(
      "disables no key (enforcement is the respond function's, through the bus)",
      audit,
      "iam:UpdateAccessKey",
      alice,
      "ImplicitlyDenied",
    ),
    row(
      "puts no event on the responder's bus while nothing is enforced",
      audit,
      "events:PutEvents",
      responderBus,
      "ExplicitlyDenied",
    ),
    row("deletes no key", audit, "iam:DeleteAccessKey", alice, "ImplicitlyDenied"),
    row("creates no key", audit, "iam:CreateAccessKey", alice, "ImplicitlyDenied"),
    row("writes no inline policy", audit, "iam:PutUserPolicy", alice, "ImplicitlyDenied"),
    row("attaches no policy", audit, "iam:AttachUserPolicy", alice, "ImplicitlyDenied", {
      context: { "iam:PolicyARN": ADMIN_POLICY },
    }),
    row("tags no user", audit, "iam:TagUser", alice, "ImplicitlyDenied"),
    row("reads an incident", audit, "dynamodb:GetItem", table, "Allowed"),
    row("reads incidents in batches", audit, "dynamodb:BatchGetItem", table, "Allowed"),
    row("writes an audit record", audit, "dynamodb:PutItem", table, "Allowed"),
    row("scans no table", audit, "dynamodb:Scan", table, "ImplicitlyDenied"),
    row("deletes no incident", audit, "dynamodb:DeleteItem", table, "ImplicitlyDenied"),
    row("publishes the digest", audit, "sns:Publish", topic, "Allowed"),
    row("publishes the digest's chat copy", audit, "sns:Publish", chatTopic, "Allowed"),
    row("sends to its DLQ", audit, "sqs:SendMessage", auditDlq, "Allowed"),
    row("sends not to the respond DLQ", audit, "sqs:SendMessage", respondDlq, "ImplicitlyDenied"),
  ],
  weakenings: {
    "widen-allow-resources": ["sends not to the respond DLQ"],
  },
};

/** The audit → bus → respond hop, on a stack whose audit enforces `key-old`. */
const enforcingAudit = enforcing.logicalId("AWS::IAM::Role", /AuditRole/);
const enforcingRespond = enforcing.logicalId("AWS::IAM::Role", /RespondRole/);
const enforcingBus = enforcing.arn(enforcing.logicalId("AWS::Events::EventBus", /ResponderBus/));
const enforcementRule = enforcing.arn(enforcing.logicalId("AWS::Events::Rule", /AuditEnforcementRule/));
const enforcingQueue = enforcing.arn(enforcing.logicalId("AWS::SQS::Queue", /InformationalQueue/));
const enforcingInvestigate = enforcing.logicalId("AWS::IAM::Role", /InvestigateRole/);
/** The audit's enforcement signal: its own source and detail-type, one value per entry of the request. */
const AUDIT_SIGNAL = {
  "events:source": ["leaked-key-responder.audit"],
  "events:detail-type": ["Key Hygiene Enforcement Due"],
};
/** An Incident Contained as the audit role would forge it (the respond function acts on those). */
const AUDIT_FORGED_CONTAINED = {
  "events:source": ["leaked-key-responder.audit"],
  "events:detail-type": ["Incident Contained"],
};
/** One audit signal beside a Persistence Found: the whole request is refused. */
const AUDIT_MIXED = {
  "events:source": ["leaked-key-responder.audit", "leaked-key-responder"],
  "events:detail-type": ["Key Hygiene Enforcement Due", "Persistence Found"],
};
const auditEnforcement: ProofTable = {
  name: "audit enforcement: audit → responder's bus → respond",
  template: enforcingTemplate,
  rows: [
    row(
      "the audit role puts its signal on the responder's bus",
      enforcingAudit,
      "events:PutEvents",
      enforcingBus,
      "Allowed",
      { context: AUDIT_SIGNAL },
    ),
    // An exclusive entry, as Persistence Found has: only the audit role, and only its detail-type.
    row(
      "the audit role puts no Incident Contained",
      enforcingAudit,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { context: INCIDENT_CONTAINED },
    ),
    row(
      "the audit role puts no Persistence Found",
      enforcingAudit,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { context: PERSISTENCE_FOUND },
    ),
    row(
      "the audit role forges no Incident Contained under its own source",
      enforcingAudit,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { context: AUDIT_FORGED_CONTAINED },
    ),
    row(
      "the audit role puts no other event beside its signal",
      enforcingAudit,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { context: AUDIT_MIXED },
    ),
    row(
      "the respond role puts no audit signal",
      enforcingRespond,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { context: AUDIT_SIGNAL },
    ),
    row(
      "the investigate role puts no audit signal",
      enforcingInvestigate,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { context: AUDIT_SIGNAL },
    ),
    row(
      "the respond role still puts Incident Contained beside the enforcing audit",
      enforcingRespond,
      "events:PutEvents",
      enforcingBus,
      "Allowed",
      { context: INCIDENT_CONTAINED },
    ),
    row(
      "the audit role puts no event on the default bus",
      enforcingAudit,
      "events:PutEvents",
      defaultBus,
      "ImplicitlyDenied",
    ),
    row(
      "the audit role still disables no key",
      enforcingAudit,
      "iam:UpdateAccessKey",
      alice,
      "ImplicitlyDenied",
    ),
    row(
      "the audit role still deletes no key",
      enforcingAudit,
      "iam:DeleteAccessKey",
      alice,
      "ImplicitlyDenied",
    ),
    row(
      "the audit role attaches no policy",
      enforcingAudit,
      "iam:AttachUserPolicy",
      alice,
      "ImplicitlyDenied",
      {
        context: { "iam:PolicyARN": QUARANTINE_POLICY },
      },
    ),
    row(
      "the enforcement rule queues the signal for the respond function",
      "events.amazonaws.com",
      "sqs:SendMessage",
      enforcingQueue,
      "Allowed",
      { context: { "aws:SourceArn": enforcementRule } },
    ),
    row("the respond role disables the key", enforcingRespond, "iam:UpdateAccessKey", alice, "Allowed"),
    row(
      "the respond role disables no key of an exempt-listed user",
      enforcingRespond,
      "iam:UpdateAccessKey",
      breakGlass,
      "ExplicitlyDenied",
    ),
    row(
      "the respond role deletes no key",
      enforcingRespond,
      "iam:DeleteAccessKey",
      alice,
      "ExplicitlyDenied",
    ),
    row(
      "an administrator still puts no audit signal on the responder's bus",
      admin,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { identityPolicies: ADMIN_POLICY_DOCUMENT },
    ),
    row(
      "an administrator puts no audit signal on the responder's bus, whatever its identity policy",
      admin,
      "events:PutEvents",
      enforcingBus,
      "ExplicitlyDenied",
      { identityPolicies: ADMIN_POLICY_DOCUMENT, context: AUDIT_SIGNAL },
    ),
  ],
  weakenings: {
    "drop-deny-statements": ["an administrator still puts no audit signal on the responder's bus"],
  },
};

function alarmArnOf(p: PolicyProof, pattern: RegExp): string {
  return p.arn(p.logicalId("AWS::CloudWatch::Alarm", pattern));
}

const honeyCheck = proof.logicalId("AWS::IAM::Role", /HoneyCheckRole/);
/** A honey user as lkr honeykey create makes it, under the watched path. */
const honeyUser = `arn:aws:iam::${ACCOUNT}:user/service/backup-prod-07`;
/** AWS's managed AWSDenyAll, as IAM publishes it, which lkr attaches to every honey user. */
const DENY_ALL_DOCUMENT = {
  name: "AWSDenyAll",
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] },
};
/** Even were the honey user given administrator power later (a group, a policy), the deny wins. */
const honeyPolicies = [DENY_ALL_DOCUMENT, ...ADMIN_POLICY_DOCUMENT];

const honeyUserCanDoNothing: ProofTable = {
  name: "a honey user (AWSDenyAll, even beside AdministratorAccess) can do nothing",
  rows: [
    ...(
      [
        ["creates no access key for itself", "iam:CreateAccessKey", honeyUser],
        ["reads not its own tags (nor learns it is a honey user)", "iam:ListUserTags", honeyUser],
        ["detaches not its deny-all policy", "iam:DetachUserPolicy", honeyUser],
        ["gets no session token", "sts:GetSessionToken", "*"],
        ["assumes no role", "sts:AssumeRole", appRole],
        ["lists no buckets", "s3:ListAllMyBuckets", "*"],
        ["reads not the incident table", "dynamodb:GetItem", table],
        ["publishes nothing to the alert topic", "sns:Publish", topic],
        ["puts no event on the default bus", "events:PutEvents", defaultBus],
      ] as const
    ).map(([says, action, resource]) =>
      row(says, honeyUser, action, resource, "ExplicitlyDenied", { identityPolicies: honeyPolicies }),
    ),
    row(
      "without the deny-all, the same administrator power would be allowed (control)",
      honeyUser,
      "iam:CreateAccessKey",
      honeyUser,
      "Allowed",
      {
        identityPolicies: ADMIN_POLICY_DOCUMENT,
      },
    ),
  ],
  // The honey user's policies are lkr's (AWSDenyAll), not the template's: no template weakening reaches them.
  weakenings: {},
};

const honeyCheckRole: ProofTable = {
  name: "honey key safety net role",
  rows: [
    row("reads a honey key's last use", honeyCheck, "iam:GetAccessKeyLastUsed", honeyUser, "Allowed"),
    row("lists a honey user's keys", honeyCheck, "iam:ListAccessKeys", honeyUser, "Allowed"),
    row(
      "lists a honey user's attached policies",
      honeyCheck,
      "iam:ListAttachedUserPolicies",
      honeyUser,
      "Allowed",
    ),
    row("disables no key", honeyCheck, "iam:UpdateAccessKey", honeyUser, "ImplicitlyDenied"),
    row("attaches no policy", honeyCheck, "iam:AttachUserPolicy", honeyUser, "ImplicitlyDenied"),
    row("deletes no user", honeyCheck, "iam:DeleteUser", honeyUser, "ImplicitlyDenied"),
    row("reads the honey records", honeyCheck, "dynamodb:GetItem", table, "Allowed"),
    row("scans nothing", honeyCheck, "dynamodb:Scan", table, "ImplicitlyDenied"),
    row(
      "reads no other table",
      honeyCheck,
      "dynamodb:GetItem",
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/other`,
      "ImplicitlyDenied",
    ),
    row("alerts on the topic", honeyCheck, "sns:Publish", topic, "Allowed"),
  ],
  weakenings: { "widen-allow-resources": ["reads no other table"] },
};

/** The Slack webhook forwarder, its secret (in the same stack) encrypted with a customer managed key. */
/** A stack with the responder construct and the forwarder, the way a construct user builds it. */
const webhookTemplate = (() => {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new Stack(app, "LeakedKeyResponder", { env: { account: ACCOUNT, region: "us-east-1" } });
  const secret = new secretsmanager.Secret(stack, "HookSecret", {
    encryptionKey: new kms.Key(stack, "HookKey"),
  });
  new LeakedKeyResponder(stack, "Responder", { webhook: { secret, format: "slack" } });
  return Template.fromStack(stack).toJSON();
})();
const webhookProof = loadPolicyProof(webhookTemplate);
const WEBHOOK_SECRET = webhookProof.ref(webhookProof.logicalId("AWS::SecretsManager::Secret", /HookSecret/));
const WEBHOOK_KEY = webhookProof.arn(webhookProof.logicalId("AWS::KMS::Key", /HookKey/));
const forwarder = webhookProof.logicalId("AWS::IAM::Role", /WebhookForwarderForwarderRole/);
const forwarderFunction = webhookProof.arn(
  webhookProof.logicalId("AWS::Lambda::Function", /WebhookForwarderForwarderFunction/),
);
const webhookTopic = webhookProof.ref(webhookProof.logicalId("AWS::SNS::Topic", /AlertTopic/));
const SECRETS_MANAGER = "secretsmanager.us-east-1.amazonaws.com";

const webhookForwarderRole: ProofTable = {
  name: "webhook forwarder role, and the alert topic's hop to it",
  template: webhookTemplate,
  rows: [
    row("reads the webhook secret", forwarder, "secretsmanager:GetSecretValue", WEBHOOK_SECRET, "Allowed"),
    row(
      "reads no other secret",
      forwarder,
      "secretsmanager:GetSecretValue",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-password-XyZ123`,
      "ImplicitlyDenied",
    ),
    row(
      "changes not the webhook secret",
      forwarder,
      "secretsmanager:PutSecretValue",
      WEBHOOK_SECRET,
      "ImplicitlyDenied",
    ),
    row(
      "decrypts the secret's key through Secrets Manager",
      forwarder,
      "kms:Decrypt",
      WEBHOOK_KEY,
      "Allowed",
      {
        context: { "kms:ViaService": SECRETS_MANAGER },
      },
    ),
    row(
      "decrypts nothing with that key directly",
      forwarder,
      "kms:Decrypt",
      WEBHOOK_KEY,
      "ImplicitlyDenied",
      {
        context: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
      },
    ),
    row("publishes nothing", forwarder, "sns:Publish", webhookTopic, "ImplicitlyDenied"),
    row("changes no IAM user", forwarder, "iam:UpdateAccessKey", alice, "ImplicitlyDenied"),
    row("grants nothing", forwarder, "iam:AttachRolePolicy", appRole, "ImplicitlyDenied"),
    row(
      "the alert topic invokes the forwarder",
      "sns.amazonaws.com",
      "lambda:InvokeFunction",
      forwarderFunction,
      "Allowed",
      {
        context: { "aws:SourceArn": webhookTopic },
      },
    ),
    row(
      "another topic invokes it not",
      "sns.amazonaws.com",
      "lambda:InvokeFunction",
      forwarderFunction,
      "ImplicitlyDenied",
      { context: { "aws:SourceArn": `arn:aws:sns:us-east-1:${ACCOUNT}:not-the-responders` } },
    ),
  ],
  weakenings: {
    "widen-allow-resources": ["reads no other secret"],
    "drop-allow-conditions": ["decrypts nothing with that key directly", "another topic invokes it not"],
  },
};

const TABLES = [
  respondOnIam,
  revokerRole,
  respondHonouringTag,
  respondOnOwnResources,
  investigateRole,
  scheduleRoleTable,
  auditRole,
  responderBusPolicy,
  servicesOnResources,
  honeyUserCanDoNothing,
  honeyCheckRole,
  auditEnforcement,
  webhookForwarderRole,
];

const proofOf = (t: ProofTable): PolicyProof =>
  t.template === undefined
    ? proof
    : t.template === enforcingTemplate
      ? enforcing
      : t.template === webhookTemplate
        ? webhookProof
        : honouring;

async function decideAll(p: PolicyProof, rows: readonly Row[]): Promise<Decision[]> {
  return Promise.all(rows.map((r) => p.decide(r.request)));
}

describe("IAM policy proofs over the synthesized stack", () => {
  for (const t of TABLES) {
    describe(t.name, () => {
      it(`decides each of its ${t.rows.length} rows as expected (${t.rows.filter((r) => r.knownGap).length} known gaps)`, async () => {
        const decided = await decideAll(proofOf(t), t.rows);
        expect(t.rows.map((r, i) => ({ row: r.says, decision: decided[i] }))).toEqual(
          t.rows.map((r) => ({ row: r.says, decision: r.expected })),
        );
      });

      for (const [weakening, mustFlip] of Object.entries(t.weakenings)) {
        it(`can fail: with ${weakening}, rows of the ${t.rows.length} change their decision`, async () => {
          const weakened = loadPolicyProof(weakenTemplate(t.template ?? template, weakening as Weakening));
          const [before, after] = await Promise.all([
            decideAll(proofOf(t), t.rows),
            decideAll(weakened, t.rows),
          ]);
          const flipped = t.rows.filter((_, i) => before[i] !== after[i]).map((r) => r.says);
          expect(flipped.length).toBeGreaterThan(0);
          expect(flipped).toEqual(expect.arrayContaining([...(mustFlip ?? [])]));
        });
      }
    });
  }

  it("proves the hop of the earliest signal (AWS's quarantine call) and of GuardDuty's attack sequences: each rule invokes the respond function and dead-letters", () => {
    const says = servicesOnResources.rows.map((r) => r.says);
    for (const rule of ["AwsQuarantineRule", "GuardDutyAttackSequenceRule"]) {
      expect(says).toEqual(expect.arrayContaining([`${rule} invokes its target`, `${rule} dead-letters`]));
    }
    const target = servicesOnResources.rows.find((r) => r.says === "AwsQuarantineRule invokes its target");
    expect(target?.request.resource).toBe(respondFunction);
  });

  it("every row names a distinct request, and allowed and denied rows both occur in every table", () => {
    for (const t of TABLES) {
      expect(new Set(t.rows.map((r) => r.says)).size).toBe(t.rows.length);
      expect(t.rows.some((r) => r.expected === "Allowed")).toBe(true);
      expect(t.rows.some((r) => r.expected !== "Allowed")).toBe(true);
    }
  });

  it("resolves a role's identity policies and boundary from the template", () => {
    const r = proof.role(respond);
    expect(r.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/LeakedKeyResponder-${respond}`);
    expect(r.identityPolicies.length).toBeGreaterThan(0);
    expect(r.permissionsBoundary?.name).toMatch(/^arn:aws:iam::123456789012:policy\//);
    expect(r.tags).toEqual({ [EXEMPT_TAG]: "true" });
    expect(JSON.stringify(r.identityPolicies)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
    expect(proof.resourcePolicy(topic)?.Statement).toHaveLength(2);
    expect(proof.resourcePolicy(respondFunction)?.Statement.length).toBeGreaterThan(1);
  });
});

describe("the proof harness on a hand-written template", () => {
  // What a later change may add: a custom bus with its policy, a member role with inline,
  // attached and managed policies, written with Fn::Sub, Fn::If and Fn::Select.
  const handWritten = {
    Conditions: { IsUsEast1: { "Fn::Equals": [{ Ref: "AWS::Region" }, "us-east-1"] } },
    Resources: {
      Bus: { Type: "AWS::Events::EventBus", Properties: { Name: "responder" } },
      BusPolicy: {
        Type: "AWS::Events::EventBusPolicy",
        Properties: {
          EventBusName: { Ref: "Bus" },
          StatementId: "FromMembers",
          Statement: {
            Effect: "Allow",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
            Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::210987654321:root" } },
            Action: "events:PutEvents",
            Resource: { "Fn::GetAtt": ["Bus", "Arn"] },
          },
        },
      },
      Boundary: {
        Type: "AWS::IAM::ManagedPolicy",
        Properties: {
          ManagedPolicyName: "member-boundary",
          PolicyDocument: {
            Statement: [{ Effect: "Allow", Action: ["events:PutEvents", "sqs:*"], Resource: "*" }],
          },
        },
      },
      Member: {
        Type: "AWS::IAM::Role",
        Properties: {
          RoleName: "member",
          Path: "/lkr/",
          AssumeRolePolicyDocument: { Statement: [] },
          PermissionsBoundary: { Ref: "Boundary" },
          ManagedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyQueues"],
          Policies: [
            {
              PolicyName: "put",
              PolicyDocument: {
                Statement: [
                  {
                    Effect: "Allow",
                    Action: "events:PutEvents",
                    Resource: {
                      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
                      "Fn::If": ["IsUsEast1", { "Fn::Sub": "${Bus.Arn}" }, { Ref: "AWS::NoValue" }],
                    },
                  },
                ],
              },
            },
          ],
        },
      },
      Queue: { Type: "AWS::SQS::Queue", Properties: { QueueName: "q" } },
      Attached: {
        Type: "AWS::IAM::Policy",
        Properties: {
          PolicyName: "attached",
          Roles: [{ Ref: "Member" }],
          PolicyDocument: {
            Statement: [
              {
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: {
                  "Fn::Select": [
                    0,
                    { "Fn::Split": [",", { "Fn::Join": [",", [{ "Fn::GetAtt": ["Queue", "Arn"] }, "x"]] }] },
                  ],
                },
              },
              { Effect: "Allow", Action: "iam:ListUsers", Resource: "*" },
            ],
          },
        },
      },
    },
  };
  const awsManagedPolicies = {
    "arn:aws:iam::aws:policy/ReadOnlyQueues": {
      Statement: [{ Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: "*" }],
    },
  };
  const p = loadPolicyProof(handWritten, { awsManagedPolicies });
  const bus = "arn:aws:events:us-east-1:123456789012:event-bus/responder";
  const queue = "arn:aws:sqs:us-east-1:123456789012:q";

  const putAnyEvents = [
    {
      name: "caller",
      policy: { Statement: [{ Effect: "Allow", Action: "events:PutEvents", Resource: "*" }] },
    },
  ];
  const member = `arn:aws:iam::${OTHER_ACCOUNT}:role/x`;
  const stranger = "arn:aws:iam::999999999999:role/x";
  const rows: { says: string; request: ProofRequest; expected: Decision }[] = [
    {
      says: "the member role puts events on the bus (inline policy within its boundary)",
      request: { principal: "Member", action: "events:PutEvents", resource: bus },
      expected: "Allowed",
    },
    {
      says: "the member role sends to the queue (attached policy)",
      request: { principal: "Member", action: "sqs:SendMessage", resource: queue },
      expected: "Allowed",
    },
    {
      says: "the member role receives from the queue (AWS managed policy)",
      request: { principal: "Member", action: "sqs:ReceiveMessage", resource: queue },
      expected: "Allowed",
    },
    {
      says: "the boundary caps the attached policy",
      request: { principal: "Member", action: "iam:ListUsers", resource: "*" },
      expected: "ImplicitlyDenied",
    },
    {
      says: "a member account's role puts events (bus policy and its own identity policy)",
      request: {
        principal: member,
        action: "events:PutEvents",
        resource: bus,
        identityPolicies: putAnyEvents,
      },
      expected: "Allowed",
    },
    {
      says: "a member account's role without an identity policy puts none",
      request: { principal: member, action: "events:PutEvents", resource: bus },
      expected: "ImplicitlyDenied",
    },
    {
      says: "another account puts no events",
      request: {
        principal: stranger,
        action: "events:PutEvents",
        resource: bus,
        identityPolicies: putAnyEvents,
      },
      expected: "ImplicitlyDenied",
    },
  ];

  it(`decides each of its ${rows.length} rows as expected`, async () => {
    const decided = await Promise.all(rows.map((r) => p.decide(r.request)));
    expect(rows.map((r, i) => ({ row: r.says, decision: decided[i] }))).toEqual(
      rows.map((r) => ({ row: r.says, decision: r.expected })),
    );
  });

  it(`can fail: with drop-permissions-boundaries, rows of the ${rows.length} change their decision`, async () => {
    const weakened = loadPolicyProof(weakenTemplate(handWritten, "drop-permissions-boundaries"), {
      awsManagedPolicies,
    });
    const after = await Promise.all(rows.map((r) => weakened.decide(r.request)));
    expect(rows.filter((r, i) => after[i] !== r.expected).map((r) => r.says)).toEqual([
      "the boundary caps the attached policy",
    ]);
  });

  it("names the role by its path and name, and refuses what it cannot resolve", async () => {
    expect(p.role("Member").arn).toBe("arn:aws:iam::123456789012:role/lkr/member");
    expect(() => loadPolicyProof(handWritten)).toThrow(
      /Member uses managed policy arn:aws:iam::aws:policy\/ReadOnlyQueues; pass its document/,
    );
    await expect(
      p.decide({
        principal: "Member",
        action: "sqs:SendMessage",
        resource: queue,
        context: { "iam:PolicyARN": "x" },
      }),
    ).rejects.toThrow(/context keys iam:PolicyARN do not apply to sqs:SendMessage/);
  });
});
