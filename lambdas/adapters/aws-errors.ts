import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../core/errors.js";

interface SdkError {
  name?: string;
  Code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING = /throttl|rate ?exceeded|toomanyrequests|requestlimitexceeded|slowdown/i;

/** Maps an AWS SDK error to the core's typed errors; the original is kept as `cause`. */
export function toTypedError(operation: string, error: unknown): Error {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const code = e.name ?? e.Code ?? "Unknown";
  const status = e.$metadata?.httpStatusCode;
  if (code === "NoSuchEntityException" || code === "NoSuchEntity")
    return new NoSuchEntityError(operation, { cause: error });
  if (THROTTLING.test(code) || e.$retryable !== undefined || (status !== undefined && status >= 500)) {
    return new TransientAwsError(operation, { cause: error });
  }
  if (status === undefined && !(error instanceof Error && "$metadata" in error)) {
    // No HTTP answer at all: connection refused, DNS, timeouts.
    return new TransientAwsError(operation, { cause: error });
  }
  return new AwsCallError(operation, code, { cause: error });
}

/** Runs one AWS call and rethrows its failure as a typed error. */
export async function call<T>(operation: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toTypedError(operation, error);
  }
}

/** Runs a call whose `NoSuchEntityError` is an answer, not a failure: then returns `ifGone`. */
export async function unlessGone<T, G>(body: () => Promise<T>, ifGone: G): Promise<T | G> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof NoSuchEntityError) return ifGone;
    throw error;
  }
}
