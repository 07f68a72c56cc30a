/** The `Incident Contained` event names an incident the table does not hold (yet): retried, then the DLQ. */
export class IncidentNotFoundError extends Error {
  override readonly name = "IncidentNotFoundError";
  constructor(
    readonly incidentId: string,
    options?: { cause?: unknown },
  ) {
    super(`incident ${incidentId} not found`, options);
  }
}

/**
 * Some searches failed in a way a retry may fix. Thrown after what was found has been recorded
 * and alerted, so the invocation is retried (and alarmed if it keeps failing).
 */
export class IncompleteInvestigationError extends Error {
  override readonly name = "IncompleteInvestigationError";
  constructor(
    readonly incidentId: string,
    readonly failedSearches: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`investigation of ${incidentId} incomplete: ${failedSearches.join(", ")}`, options);
  }
}
