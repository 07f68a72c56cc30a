import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
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
    // The construct publishes the outputs lkr reads (infra/responder-outputs.ts).
  }
}
