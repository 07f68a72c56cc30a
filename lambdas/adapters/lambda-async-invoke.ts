import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { AwsCallError } from "../core/errors.js";
import { call } from "./aws-errors.js";

const INVOKE = "lambda:InvokeFunction";

/**
 * Hands an event to a function as EventBridge does: an asynchronous invocation, retried by Lambda
 * and kept in the function's DLQ if it fails again. Lambda answers 202 once it has queued it.
 */
export async function invokeAsync(
  client: LambdaClient,
  functionName: string,
  payload: string,
): Promise<void> {
  const out = await call(INVOKE, () =>
    client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(payload),
      }),
    ),
  );
  if (out.StatusCode !== 202) {
    throw new AwsCallError(INVOKE, `StatusCode${out.StatusCode ?? "Missing"}`, {
      cause: new Error(`asynchronous invoke of ${functionName} answered ${out.StatusCode}`),
    });
  }
}
