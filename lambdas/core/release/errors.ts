/**
 * Typed errors of reviewing, releasing and resolving incidents, thrown by the release room. The
 * operator CLI maps each one to an exit code and a message that says what to do next.
 */

/** No incident with this id in the table. */
export class UnknownIncidentError extends Error {
  override readonly name = "UnknownIncidentError";
  constructor(
    readonly incidentId: string,
    options?: { cause?: unknown },
  ) {
    super(`no incident ${incidentId}`, options);
  }
}

/** The incident's status does not allow the requested release or resolve (it is closed already). */
export class IncidentStateConflictError extends Error {
  override readonly name = "IncidentStateConflictError";
  constructor(
    readonly incidentId: string,
    readonly status: string,
    readonly requested: "release" | "resolve",
    options?: { cause?: unknown },
  ) {
    super(`incident ${incidentId} is ${status}: cannot ${requested} it`, options);
  }
}

/** The incident changed between reading it and recording the release (a new signal, another operator). */
export class IncidentChangedError extends Error {
  override readonly name = "IncidentChangedError";
  constructor(
    readonly incidentId: string,
    options?: { cause?: unknown },
  ) {
    super(`incident ${incidentId} changed while it was being closed`, options);
  }
}

/** A recorded action says something was done but lacks what a release needs to undo it exactly. */
export class UndoFactsError extends Error {
  override readonly name = "UndoFactsError";
  constructor(
    readonly incidentId: string,
    readonly actionKind: string,
    readonly actionTarget: string,
    readonly missing: string,
    options?: { cause?: unknown },
  ) {
    super(
      `incident ${incidentId}: action ${actionKind} on ${actionTarget} cannot be undone exactly (${missing})`,
      options,
    );
  }
}

/**
 * The caller's credentials are for another account than the incident's: a release would change a
 * same-named user or role in the wrong account. Nothing was changed.
 */
export class WrongAccountError extends Error {
  override readonly name = "WrongAccountError";
  constructor(
    readonly incidentId: string,
    readonly incidentAccountId: string,
    readonly callerAccountId: string,
    options?: { cause?: unknown },
  ) {
    super(
      `incident ${incidentId} is in account ${incidentAccountId}, but the credentials are for account ${callerAccountId}`,
      options,
    );
  }
}

/**
 * A new signal contained the key again while the release was undoing its containment: the release
 * put back what it had undone (as `restored` says) and recorded it; the incident stays contained.
 */
export class ReleaseInterruptedError extends Error {
  override readonly name = "ReleaseInterruptedError";
  constructor(
    readonly incidentId: string,
    readonly restored: readonly string[],
    readonly failed: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `release of ${incidentId} interrupted by a new signal: restored ${restored.join("; ") || "nothing"}${failed.length > 0 ? `; could not restore ${failed.join("; ")}` : ""}`,
      options,
    );
  }
}
