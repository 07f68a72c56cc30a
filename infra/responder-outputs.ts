import { CfnOutput } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as events from "aws-cdk-lib/aws-events";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { STACK_OUTPUTS } from "../lambdas/core/contract.js";

/** What the responder publishes for lkr. */
export interface ResponderOutputsProps {
  readonly incidentTable: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  readonly chatTopic: sns.ITopic;
  readonly respondFunction: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
  /** The honey users' IAM path (`lkr honeykey create`). */
  readonly honeyKeys: { readonly path: string };
  /** `lkr dlq`: the other dead-letter queues, and where their messages go back to. */
  readonly informationalQueue: sqs.IQueue;
  readonly investigation: {
    readonly deadLetterQueue: sqs.IQueue;
    readonly investigateFunction: lambda.IFunction;
  };
  readonly audit: { readonly deadLetterQueue: sqs.IQueue; readonly auditFunction: lambda.IFunction };
  /** The Slack / Teams forwarder, when there is one: its outputs are published only then. */
  readonly webhookForwarder?: { readonly deadLetterQueue: sqs.IQueue; readonly fn: lambda.IFunction };
}

/**
 * The stack outputs `lkr --stack <stack>` reads, named exactly as in STACK_OUTPUTS whatever stack
 * the construct is placed in (the logical id is fixed, not derived from the construct path), so a
 * responder inside someone else's stack is operable. One responder per stack: a second one fails
 * synth on the duplicate output name.
 */
export function publishResponderOutputs(scope: Construct, props: ResponderOutputsProps): void {
  type Output = [keyof typeof STACK_OUTPUTS, string, string];
  const webhook: Output[] = props.webhookForwarder
    ? [
        [
          "webhookDeadLetterQueueUrl",
          props.webhookForwarder.deadLetterQueue.queueUrl,
          "Alerts the Slack/Teams webhook did not take",
        ],
        ["webhookFunctionName", props.webhookForwarder.fn.functionName, "Webhook forwarder function"],
      ]
    : [];
  const outputs: readonly Output[] = [
    ["incidentTableName", props.incidentTable.tableName, "Incident table"],
    ["alertTopicArn", props.alertTopic.topicArn, "Alert topic"],
    [
      "chatTopicArn",
      props.chatTopic.topicArn,
      "Chat topic: AWS Chatbot's notifications only (subscribe Chatbot here, nothing else)",
    ],
    ["respondFunctionName", props.respondFunction.functionName, "Respond function"],
    ["deadLetterQueueUrl", props.deadLetterQueue.queueUrl, "Signals that failed"],
    ["eventBusName", props.eventBus.eventBusName, "The responder's own event bus (drills)"],
    ["honeyKeyPath", props.honeyKeys.path, "IAM path of honey users (lkr honeykey create)"],
    ["informationalQueueUrl", props.informationalQueue.queueUrl, "Queue the respond function drains"],
    [
      "investigateDeadLetterQueueUrl",
      props.investigation.deadLetterQueue.queueUrl,
      "Investigations that failed",
    ],
    ["investigateFunctionName", props.investigation.investigateFunction.functionName, "Investigate function"],
    ["auditDeadLetterQueueUrl", props.audit.deadLetterQueue.queueUrl, "Audits that failed"],
    ["auditFunctionName", props.audit.auditFunction.functionName, "Audit function"],
    ...webhook,
  ];
  for (const [key, value, description] of outputs) {
    const name = STACK_OUTPUTS[key];
    new CfnOutput(scope, `${name}Output`, { value, description }).overrideLogicalId(name);
  }
}
