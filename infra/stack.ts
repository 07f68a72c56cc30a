import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { STACK_OUTPUTS } from "../lambdas/core/contract.js";
import { LeakedKeyResponder, type LeakedKeyResponderProps } from "./leaked-key-responder.js";

/** IAM CloudTrail events and Health RISK events reach EventBridge only in us-east-1. */
export const DEFAULT_HOME_REGION = "us-east-1";

export interface LeakedKeyResponderStackProps extends StackProps {
  /** Settings of the responder. @default - all construct defaults */
  readonly responder?: LeakedKeyResponderProps;
  /** Allow a home region other than us-east-1 (IAM and Health signals then need forwarding). @default false */
  readonly allowNonDefaultHomeRegion?: boolean;
}

export class LeakedKeyResponderStack extends Stack {
  readonly responder: LeakedKeyResponder;

  constructor(scope: Construct, id: string, props: LeakedKeyResponderStackProps = {}) {
    super(scope, id, props);
    const region = props.env?.region;
    if (region !== undefined && region !== DEFAULT_HOME_REGION && !props.allowNonDefaultHomeRegion) {
      throw new Error(
        `home region is "${region}"; IAM CloudTrail events and Health RISK events only arrive in ${DEFAULT_HOME_REGION}. ` +
          "Deploy the home stack there, or set allowNonDefaultHomeRegion (context allowNonDefaultHomeRegion=true) if you forward them yourself.",
      );
    }
    this.responder = new LeakedKeyResponder(this, "Responder", props.responder);
    // Fixed output names: the lkr CLI finds the deployed responder through them.
    const r = this.responder;
    new CfnOutput(this, STACK_OUTPUTS.incidentTableName, {
      value: r.incidentTable.tableName,
      description: "Incident table",
    });
    new CfnOutput(this, STACK_OUTPUTS.alertTopicArn, {
      value: r.alertTopic.topicArn,
      description: "Alert topic",
    });
    new CfnOutput(this, STACK_OUTPUTS.respondFunctionName, {
      value: r.respondFunction.functionName,
      description: "Respond function",
    });
    new CfnOutput(this, STACK_OUTPUTS.deadLetterQueueUrl, {
      value: r.deadLetterQueue.queueUrl,
      description: "Signals that failed",
    });
    new CfnOutput(this, STACK_OUTPUTS.chatTopicArn, {
      value: r.chatTopic.topicArn,
      description: "Chat topic: AWS Chatbot's notifications only (subscribe Chatbot here, nothing else)",
    });
    new CfnOutput(this, STACK_OUTPUTS.eventBusName, {
      value: r.eventBus.eventBusName,
      description: "The responder's own event bus (drills)",
    });
  }
}
