import { CreateEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { SIGNAL_RULES, toWirePattern } from "../../infra/signal-rules.js";
import { readFixture } from "../../local/events.js";
import { useMoto } from "../../local/world.js";
import { deliveredQueues, putOnBus, ruleToQueue } from "../support/rule-deliveries.js";

/**
 * The deployed rule patterns, loaded as they are into moto's EventBridge (its matcher handles
 * prefix, wildcard, exists, anything-but), each rule delivering to its own queue. moto's
 * TestEventPattern is a stub, so patterns are tested by delivery.
 */
let events: EventBridgeClient;
let sqs: SQSClient;
const bus = `signals-${Date.now()}`;
const queues = new Map<string, string>();

/** The rules a fixture (changed by `change`) reaches, waiting until `expected` of them have it. */
async function deliveredRules(
  fixture: string,
  expected: number,
  change: (detail: Record<string, unknown>) => void = () => undefined,
): Promise<string[]> {
  const event = structuredClone(readFixture(fixture)) as {
    source: string;
    "detail-type": string;
    detail: Record<string, unknown>;
    resources?: string[];
  };
  change(event.detail);
  await putOnBus(events, bus, event);
  return deliveredQueues(sqs, queues, expected);
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint"));
  events = new EventBridgeClient({});
  sqs = new SQSClient({});
  await events.send(new CreateEventBusCommand({ Name: bus }));
  for (const [rule, { pattern }] of Object.entries(SIGNAL_RULES)) {
    const queueName = `${rule}-${Date.now()}`;
    queues.set(
      rule,
      await ruleToQueue(events, sqs, { bus, name: rule, pattern: toWirePattern(pattern), queueName }),
    );
  }
});

describe("signal rule patterns against real published events (moto EventBridge)", () => {
  it.each([
    ["aws.health/risk-credentials-exposed.json", ["HealthRiskRule"]],
    ["aws.health/risk-credentials-exposed-backup.json", ["HealthRiskRule"]],
    ["aws.health/risk-credentials-exposed-legacy-minimal.json", ["HealthRiskRule"]],
    ["aws.trustedadvisor/exposed-access-keys-error.json", ["TrustedAdvisorExposedKeysRule"]],
    ["aws.guardduty/iamuser-maliciousipcaller-custom.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/iamuser-toripcaller.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/iamuser-anomalous-behavior.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/instance-credential-exfiltration-outside-aws.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/root-credential-usage.json", ["GuardDutyAccessKeyRule"]],
    ["aws.guardduty/sample-finding.json", ["GuardDutyAccessKeyRule"]],
    ["aws.iam/create-access-key.json", ["CreateAccessKeyRule"]],
    ["aws.iam/create-access-key-root.json", ["CreateAccessKeyRule"]],
    ["aws.iam/update-access-key-active.json", ["ReactivateAccessKeyRule"]],
    ["aws.iam/detach-user-policy-quarantine.json", ["FencePolicyDetachedRule"]],
    ["aws.iam/detach-role-policy-quarantine.json", ["FencePolicyDetachedRule"]],
    ["aws.iam/delete-user-policy-revoke.json", ["RevokePolicyDeletedRule"]],
    ["aws.iam/delete-role-policy-revoke.json", ["RevokePolicyDeletedRule"]],
    ["aws.iam/untag-user-quarantine.json", ["PrincipalTagChangeRule"]],
    ["aws.iam/untag-role-quarantine.json", ["PrincipalTagChangeRule"]],
    ["aws.iam/tag-user-exempt.json", ["PrincipalTagChangeRule"]],
    ["aws.iam/put-user-policy-aws-exposed-credential.json", ["AwsQuarantineRule"]],
    ["aws.iam/attach-user-policy-aws-quarantine-by-user.json", ["AwsQuarantineRule"]],
    ["aws.iam/attach-user-policy-aws-quarantine-v2.json", ["AwsQuarantineRule"]],
    ["aws.guardduty/attack-sequence-iam-compromised-credentials.json", ["GuardDutyAttackSequenceRule"]],
  ])("%s reaches exactly %j", async (fixture, rules) => {
    expect(await deliveredRules(fixture, rules.length)).toEqual(rules);
  });

  it("the responder's own AttachUserPolicy of a quarantine policy (its SDK's user agent) reaches no rule", async () => {
    const delivered = await deliveredRules(
      "aws.iam/attach-user-policy-aws-quarantine-by-user.json",
      0,
      (d) => {
        d.userAgent = "aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#24 api/iam#3.700.0";
      },
    );
    expect(delivered).toEqual([]);
  });

  it.each([
    "aws.health/ec2-scheduled-change.json",
    "aws.trustedadvisor/exposed-access-keys-ok.json",
    "aws.guardduty/ec2-finding.json",
    "aws.guardduty/s3-finding-with-accesskeydetails.json",
    "aws.guardduty/s3-policy-finding-resourcetype-accesskey.json",
    "aws.iam/delete-access-key.json",
  ])("%s reaches no rule", async (fixture) => {
    expect(await deliveredRules(fixture, 0)).toEqual([]);
  });
});
