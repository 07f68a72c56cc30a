import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  type RuleState,
} from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  type ForwardedPattern,
  MEMBER_FORWARDED_PATTERNS,
  regionalForwardedPatterns,
} from "../../infra/forwarding.js";
import { memberRegionalTemplate } from "../../infra/member-regions.js";
import { memberTemplate } from "../../infra/member-template.js";
import { toWirePattern } from "../../infra/signal-rules.js";
import { cloudTrailApiCallEvent, readCloudTrailRecord, readFixture } from "../../local/events.js";
import { useMoto } from "../../local/world.js";
import { deliveredQueues, putOnBus, ruleToQueue } from "../support/rule-deliveries.js";

/**
 * The forwarding patterns as deployed, in moto's EventBridge, two hops as on AWS: a forwarder's bus
 * in eu-west-1 (a regional forwarder) or a member's bus, each rule targeting the central bus in
 * us-east-1 (moto delivers cross-region bus targets), where the central rules deliver each to its
 * own queue. moto's TestEventPattern is a stub, so patterns are tested by delivery.
 */
const ACCOUNT = "123456789012";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const MEMBER = "210987654321";
const stamp = Date.now();
const centralBus = `central-${stamp}`;
const centralBusArn = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${centralBus}`;
const forwarders = {
  regional: `regional-${stamp}`,
  member: `member-${stamp}`,
  memberRegional: `member-regional-${stamp}`,
} as const;
let central: EventBridgeClient;
let remote: EventBridgeClient;
let sqs: SQSClient;
const queues = new Map<string, string>();

/** A forwarder's bus with a rule per pattern, each targeting the central bus. */
async function forwardRules(bus: string, patterns: readonly ForwardedPattern[]): Promise<void> {
  await putForwardingRules(
    bus,
    patterns.map((p) => ({
      id: p.id,
      pattern: toWirePattern(p.pattern),
      state: p.state as RuleState | undefined,
    })),
  );
}

/** The forwarding rules of a template (a StackSet's body) as deployed: their logical ids, wire patterns and states. */
function templateRules(template: Record<string, unknown>) {
  const resources = (
    template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
  ).Resources;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === "AWS::Events::Rule")
    .map(([id, r]) => ({
      id,
      pattern: r.Properties.EventPattern,
      state: r.Properties.State as RuleState | undefined,
    }));
}

/** A forwarder's bus with the rules of a template, each targeting the central bus. */
async function forwardTemplateRules(bus: string, template: Record<string, unknown>): Promise<void> {
  await putForwardingRules(bus, templateRules(template));
}

/** Creates `bus` with one rule per entry (its wire pattern and state), each targeting the central bus. */
async function putForwardingRules(
  bus: string,
  rules: readonly { id: string; pattern: unknown; state: RuleState | undefined }[],
): Promise<void> {
  await remote.send(new CreateEventBusCommand({ Name: bus }));
  for (const r of rules) {
    await remote.send(
      new PutRuleCommand({
        Name: r.id,
        EventBusName: bus,
        EventPattern: JSON.stringify(r.pattern),
        ...(r.state === undefined ? {} : { State: r.state }),
      }),
    );
    await remote.send(
      new PutTargetsCommand({
        Rule: r.id,
        EventBusName: bus,
        Targets: [{ Id: "central", Arn: centralBusArn }],
      }),
    );
  }
}

/**
 * The central rules (one per forwarded pattern, as OrganizationIntake builds them) that a fixture
 * (or an event) put on `bus` reaches, waiting until `expected` of them have it.
 */
async function deliveredCentralRules(
  bus: string,
  fixture: string | object,
  expected: number,
): Promise<string[]> {
  const event = (typeof fixture === "string" ? readFixture(fixture) : fixture) as {
    source: string;
    "detail-type": string;
    detail: unknown;
  };
  await putOnBus(remote, bus, event);
  return deliveredQueues(sqs, queues, expected);
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint"));
  central = new EventBridgeClient({ region: "us-east-1" });
  remote = new EventBridgeClient({ region: "eu-west-1" });
  sqs = new SQSClient({ region: "us-east-1" });
  await central.send(new CreateEventBusCommand({ Name: centralBus }));
  for (const p of [...regionalForwardedPatterns(), ...MEMBER_FORWARDED_PATTERNS]) {
    const url = await ruleToQueue(central, sqs, {
      bus: centralBus,
      name: `Org${p.ruleId}`,
      pattern: toWirePattern(p.pattern),
      state: p.state,
      queueName: `Org${p.ruleId}-${stamp}`,
    });
    queues.set(p.ruleId, url);
  }
  await forwardRules(forwarders.regional, regionalForwardedPatterns());
  // The member stack (us-east-1) and a member regional forwarder, from the StackSets' template bodies.
  const member = {
    organizationId: "o-a1b2c3d4e5",
    memberRoleName: "LkrMember",
    quarantinePolicyArn: QUARANTINE,
  };
  await forwardTemplateRules(forwarders.member, memberTemplate(member));
  await forwardTemplateRules(forwarders.memberRegional, memberRegionalTemplate());
});

describe("a regional forwarder (eu-west-1) → the central bus (us-east-1), real published events", () => {
  it.each([
    ["aws.guardduty/iamuser-maliciousipcaller-custom.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/iamuser-toripcaller.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/sample-finding.json", ["GuardDutyAccessKeyRule"]],
  ])("%s arrives at exactly %j", async (fixture, rules) => {
    expect(await deliveredCentralRules(forwarders.regional, fixture, rules.length)).toEqual(rules);
  });

  it.each([
    "aws.guardduty/ec2-finding.json",
    "aws.guardduty/s3-finding-with-accesskeydetails.json",
    // IAM events exist only in us-east-1: a regional forwarder never sends them (members do).
    "aws.iam/create-access-key.json",
    "aws.health/risk-credentials-exposed.json",
  ])("%s is not forwarded", async (fixture) => {
    expect(await deliveredCentralRules(forwarders.regional, fixture, 0)).toEqual([]);
  });
});

/** A published GetCallerIdentity record (read-only), signed by a user at `arn`. */
const callerIdentityBy = (arn: string) =>
  cloudTrailApiCallEvent(readCloudTrailRecord("stratus-get-caller-identity-iam-user.json"), {
    arn,
    userName: arn.split("/").pop() ?? "",
    key: "AKIAIOSFODNN7EXAMPLE",
    sourceIp: "203.0.113.7",
  });

describe("honey key use in a regional forwarder (eu-west-1) → the central bus → the honey rule", () => {
  it("a read-only call by a user under the honey path arrives at exactly the honey rule", async () => {
    const use = callerIdentityBy(`arn:aws:iam::${ACCOUNT}:user/service/build-uploader`);
    expect(await deliveredCentralRules(forwarders.regional, use, 1)).toEqual(["HoneyKeyUseRule"]);
  });

  it("the same call by a user outside the honey path is not forwarded", async () => {
    const ordinary = callerIdentityBy(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(await deliveredCentralRules(forwarders.regional, ordinary, 0)).toEqual([]);
  });
});

describe("honey key use in a member account → the central bus → the honey rule", () => {
  const use = callerIdentityBy(`arn:aws:iam::${MEMBER}:user/service/build-uploader`);
  const ordinary = callerIdentityBy(`arn:aws:iam::${MEMBER}:user/alice`);

  it("in us-east-1, the member stack forwards a read-only call by a honey user to exactly the honey rule", async () => {
    expect(await deliveredCentralRules(forwarders.member, use, 1)).toEqual(["HoneyKeyUseRule"]);
  });

  it("in another region, the member regional forwarder forwards it to exactly the honey rule", async () => {
    expect(await deliveredCentralRules(forwarders.memberRegional, use, 1)).toEqual(["HoneyKeyUseRule"]);
  });

  it("the member regional forwarder forwards no call by a user outside the honey path", async () => {
    expect(await deliveredCentralRules(forwarders.memberRegional, ordinary, 0)).toEqual([]);
    expect(await deliveredCentralRules(forwarders.member, ordinary, 0)).toEqual([]);
  });

  it.each([
    // The delegated administrator's regional forwarders send GuardDuty; IAM, Health and Trusted Advisor exist in us-east-1 only.
    "aws.guardduty/iamuser-maliciousipcaller-custom.json",
    "aws.iam/create-access-key.json",
    "aws.health/risk-credentials-exposed.json",
    "aws.trustedadvisor/exposed-access-keys-error.json",
  ])("the member regional forwarder does not forward %s", async (fixture) => {
    expect(await deliveredCentralRules(forwarders.memberRegional, fixture, 0)).toEqual([]);
  });
});

describe("a member account's default bus → the central bus, real published events", () => {
  it.each([
    ["aws.health/risk-credentials-exposed.json", ["HealthRiskRule"]],
    ["aws.trustedadvisor/exposed-access-keys-error.json", ["TrustedAdvisorExposedKeysRule"]],
    ["aws.iam/create-access-key.json", ["CreateAccessKeyRule"]],
    ["aws.iam/update-access-key-active.json", ["ReactivateAccessKeyRule"]],
    ["aws.iam/detach-user-policy-quarantine.json", ["FencePolicyDetachedRule"]],
    ["aws.iam/delete-user-policy-revoke.json", ["RevokePolicyDeletedRule"]],
    ["aws.iam/untag-user-quarantine.json", ["PrincipalTagChangeRule"]],
  ])("%s arrives at exactly %j", async (fixture, rules) => {
    expect(await deliveredCentralRules(forwarders.member, fixture, rules.length)).toEqual(rules);
  });

  it.each([
    // The delegated administrator forwards GuardDuty; members never do (no double delivery).
    "aws.guardduty/iamuser-maliciousipcaller-custom.json",
    "aws.health/ec2-scheduled-change.json",
    "aws.trustedadvisor/exposed-access-keys-ok.json",
    "aws.iam/delete-access-key.json",
  ])("%s is not forwarded", async (fixture) => {
    expect(await deliveredCentralRules(forwarders.member, fixture, 0)).toEqual([]);
  });
});
