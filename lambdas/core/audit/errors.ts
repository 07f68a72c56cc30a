/** Typed errors of the key-hygiene audit. */

/** The credential report is not the CSV IAM writes: a missing column, a row that fails its schema. */
export class CredentialReportError extends Error {
  override readonly name = "CredentialReportError";
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(issues.length > 0 ? `${message}: ${issues.join("; ")}` : message, options);
  }
}

/** IAM did not finish the credential report within the polls allowed. */
export class CredentialReportTimeoutError extends Error {
  override readonly name = "CredentialReportTimeoutError";
  constructor(
    readonly polls: number,
    options?: { cause?: unknown },
  ) {
    super(`credential report not COMPLETE after ${polls} GenerateCredentialReport calls`, options);
  }
}
