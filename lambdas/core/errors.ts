/**
 * Typed errors. Handlers decide what each one means for EventBridge:
 * InvalidEventError → thrown (retried, then the DLQ keeps the event);
 * ConfigError → fails the cold start; TransientAwsError → thrown (retried);
 * NoSuchEntityError → recorded on the incident, never retried.
 */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
  constructor(
    message: string,
    readonly source: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An AWS call failed in a way that a retry may fix (throttling, 5xx, network). */
export class TransientAwsError extends Error {
  override readonly name = "TransientAwsError";
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`${operation} failed transiently`, options);
  }
}

/** The key, user or role named by the signal does not exist (any more). */
export class NoSuchEntityError extends Error {
  override readonly name = "NoSuchEntityError";
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`${operation}: entity does not exist`, options);
  }
}

/** An AWS call failed for a reason a retry will not fix (access denied, validation, limits). */
export class AwsCallError extends Error {
  override readonly name = "AwsCallError";
  constructor(
    readonly operation: string,
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(`${operation} failed: ${code}`, options);
  }
}

/** Several containment steps failed; the invocation must fail so EventBridge retries. */
export class IncompleteResponseError extends Error {
  override readonly name = "IncompleteResponseError";
  constructor(
    readonly incidentId: string,
    readonly failedSteps: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`response for ${incidentId} incomplete: ${failedSteps.join(", ")}`, options);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The incident's item reached DynamoDB's 400 KB limit: a fixed condition, never retried. The
 * signal and its actions are kept on the signal's own item instead.
 */
export class IncidentItemFullError extends Error {
  override readonly name = "IncidentItemFullError";
  constructor(
    readonly incidentId: string,
    options: { cause: unknown },
  ) {
    super(`incident ${incidentId} is at DynamoDB's item size limit`, options);
  }
}
