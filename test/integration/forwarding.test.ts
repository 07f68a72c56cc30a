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
const stamp = Date.now();
const centralBus = `central-${stamp}`;
const centralBusArn = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${centralBus}`;
const forwarders = { regional: `regional-${stamp}`, member: `member-${stamp}` } as const;
let central: EventBridgeClient;
let remote: EventBridgeClient;
let sqs: SQSClient;
const queues = new Map<string, string>();

async function forwardRules(bus: string, patterns: readonly ForwardedPattern[]): Promise<void> {
  await remote.send(new CreateEventBusCommand({ Name: bus }));
  for (const p of patterns) {
    await remote.send(
      new PutRuleCommand({
        Name: p.id,
        EventBusName: bus,
        EventPattern: JSON.stringify(toWirePattern(p.pattern)),
        ...(p.state === undefined ? {} : { State: p.state as RuleState }),
      }),
    );
    await remote.send(
      new PutTargetsCommand({
        Rule: p.id,
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
  await forwardRules(forwarders.member, MEMBER_FORWARDED_PATTERNS);
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

  it("members do not forward honey key use (the regional forwarders of the central account do)", async () => {
    const use = callerIdentityBy(`arn:aws:iam::${ACCOUNT}:user/service/build-uploader`);
    expect(await deliveredCentralRules(forwarders.member, use, 0)).toEqual([]);
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
