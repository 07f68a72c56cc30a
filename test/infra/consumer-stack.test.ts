import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { LeakedKeyResponder } from "../../infra/leaked-key-responder.js";
import { RESPOND_ENV, STACK_OUTPUTS } from "../../lambdas/core/contract.js";

const ENV = { account: "123456789012", region: "us-east-1" };
/** Only the template's shape is tested here: skip esbuild. */
const NO_BUNDLING = { "aws:cdk:bundling-stacks": [] };

/** Someone else's stack holding the construct under an id of their choosing. */
function consumerStack(ids: readonly string[]) {
  const app = new App({ context: NO_BUNDLING });
  const stack = new Stack(app, "MySecurity", { env: ENV });
  const responders = ids.map((id) => new LeakedKeyResponder(stack, id));
  return { app, stack, responders };
}

describe("a responder inside someone else's stack", () => {
  it("publishes every output lkr reads, under the exact names lkr reads, pointing at its own resources", () => {
    const { stack, responders } = consumerStack(["LeakedKeys"]);
    const r = responders[0] as LeakedKeyResponder;
    const ref = (c: { node: { defaultChild?: unknown } }) => ({
      Ref: stack.getLogicalId(c.node.defaultChild as Parameters<Stack["getLogicalId"]>[0]),
    });
    const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.Value]))).toEqual({
      [STACK_OUTPUTS.incidentTableName]: ref(r.incidentTable),
      [STACK_OUTPUTS.alertTopicArn]: ref(r.alertTopic),
      [STACK_OUTPUTS.chatTopicArn]: ref(r.chatTopic),
      [STACK_OUTPUTS.respondFunctionName]: ref(r.respondFunction),
      [STACK_OUTPUTS.deadLetterQueueUrl]: ref(r.deadLetterQueue),
      [STACK_OUTPUTS.eventBusName]: ref(r.eventBus),
      [STACK_OUTPUTS.honeyKeyPath]: r.honeyKeys.path,
      [STACK_OUTPUTS.informationalQueueUrl]: ref(r.informationalQueue),
      [STACK_OUTPUTS.investigateDeadLetterQueueUrl]: ref(r.investigation.deadLetterQueue),
      [STACK_OUTPUTS.investigateFunctionName]: ref(r.investigation.investigateFunction),
      [STACK_OUTPUTS.auditDeadLetterQueueUrl]: ref(r.audit.deadLetterQueue),
      [STACK_OUTPUTS.auditFunctionName]: ref(r.audit.auditFunction),
    });
  });

  it("names that stack in its alerts' release command (lkr --stack MySecurity finds those outputs)", () => {
    const { stack } = consumerStack(["LeakedKeys"]);
    const functions = Template.fromStack(stack).findResources("AWS::Lambda::Function");
    const stackNames = Object.values(functions).flatMap((f) => {
      const value = (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } })
        .Properties.Environment?.Variables?.[RESPOND_ENV.stackName];
      return value === undefined ? [] : [value];
    });
    expect(stackNames).toEqual(["MySecurity"]);
  });

  it("refuses a second responder in the same stack: the output names would collide", () => {
    const { app } = consumerStack(["LeakedKeys", "MoreLeakedKeys"]);
    expect(() => app.synth()).toThrow(/section 'Outputs' already contains 'IncidentTableName'/);
  });
});
