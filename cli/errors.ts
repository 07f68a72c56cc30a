import { AwsCallError, describeError, NoSuchEntityError, TransientAwsError } from "../lambdas/core/errors.js";
import {
  IncidentChangedError,
  IncidentStateConflictError,
  ReleaseInterruptedError,
  UndoFactsError,
  UnknownIncidentError,
  WrongAccountError,
} from "../lambdas/core/release/errors.js";

/**
 * Thrown by `lkr release` only. The release was recorded, but part of what the responder did no longer exists (the key or the
 * principal was deleted meanwhile), so it could not be given back.
 */
export class ReleaseConflictError extends Error {
  override readonly name = "ReleaseConflictError";
  constructor(
    readonly incidentId: string,
    readonly conflicts: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`incident ${incidentId} released with conflicts: ${conflicts.join("; ")}`, options);
  }
}

/** Some undo steps failed; the incident keeps its status so the release can be run again. */
export class ReleaseIncompleteError extends Error {
  override readonly name = "ReleaseIncompleteError";
  constructor(
    readonly incidentId: string,
    readonly failures: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`release of ${incidentId} incomplete: ${failures.join("; ")}`, options);
  }
}

/** Exit codes of lkr: stable, scripts rely on them. */
export const EXIT = {
  ok: 0,
  /** An AWS call or a step failed; or the operator declined. */
  failure: 1,
  /** Wrong arguments: unknown command or option, missing --reason, no terminal to confirm in. */
  usage: 2,
  unknownIncident: 3,
  /** The incident's state conflicts with the request: closed already, changed meanwhile, key deleted, another account. */
  conflict: 4,
  /** No credentials, no region, no table or topic. */
  configuration: 5,
} as const;

/** The command line is wrong; nothing was done. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The CLI cannot find what it needs (table, topic, credentials, region); nothing was done. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

/** The drill did not see the containment in time. */
export class DrillTimeoutError extends Error {
  override readonly name = "DrillTimeoutError";
  constructor(
    readonly seconds: number,
    readonly missing: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`no containment within ${seconds} s: ${missing.join(", ")}`, options);
  }
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface Explained {
  readonly code: number;
  readonly message: string;
}

/** What went wrong, said so that the operator knows what to do, with the exit code for it. */
export function explainError(error: unknown, where: { table?: string; region?: string } = {}): Explained {
  const chain = causes(error);
  const any = (test: (e: unknown) => boolean) => chain.some(test);

  if (error instanceof UsageError)
    return { code: EXIT.usage, message: `${error.message}\n(lkr --help shows the commands)` };
  if (error instanceof ConfigurationError) return { code: EXIT.configuration, message: error.message };
  if (error instanceof UnknownIncidentError) {
    return {
      code: EXIT.unknownIncident,
      message: `No incident ${error.incidentId}${where.table ? ` in table ${where.table}` : ""}. List them with: lkr incidents`,
    };
  }
  if (error instanceof IncidentStateConflictError) {
    return {
      code: EXIT.conflict,
      message: `Incident ${error.incidentId} is ${error.status} already: it cannot be ${error.requested}d. Its history: lkr show ${error.incidentId}`,
    };
  }
  if (error instanceof IncidentChangedError) {
    return {
      code: EXIT.conflict,
      message: `Incident ${error.incidentId} changed since it was read (a new signal, or another operator). Nothing was changed; review it (lkr show ${error.incidentId}) and run the command again.`,
    };
  }
  if (error instanceof ReleaseInterruptedError) {
    return {
      code: EXIT.conflict,
      message: `A new signal contained the key of incident ${error.incidentId} again while it was being released. The release put back what it had undone${error.restored.length > 0 ? `:\n${error.restored.map((r) => `  - ${r}`).join("\n")}` : "."}${error.failed.length > 0 ? `\nCOULD NOT put back (do it by hand now):\n${error.failed.map((r) => `  - ${r}`).join("\n")}` : ""}\nThe incident stays contained; review the new signal (lkr show ${error.incidentId}) before releasing again.`,
    };
  }
  if (error instanceof WrongAccountError) {
    return {
      code: EXIT.conflict,
      message: `Incident ${error.incidentId} is in account ${error.incidentAccountId}, but your credentials are for account ${error.callerAccountId}. Nothing was changed or recorded. Run the release with credentials for account ${error.incidentAccountId} (e.g. --profile NAME).`,
    };
  }
  if (error instanceof ReleaseConflictError) {
    return {
      code: EXIT.conflict,
      message: `Incident ${error.incidentId} is released, but not everything could be given back:\n${error.conflicts.map((c) => `  - ${c}`).join("\n")}`,
    };
  }
  if (error instanceof ReleaseIncompleteError) {
    return {
      code: EXIT.failure,
      message: `Release of ${error.incidentId} is incomplete; the incident stays open. Failed:\n${error.failures.map((c) => `  - ${c}`).join("\n")}\nFix the cause and run the release again (every step is safe to repeat).`,
    };
  }
  if (error instanceof UndoFactsError) {
    return {
      code: EXIT.failure,
      message: `${error.message}. Nothing was changed; undo that action by hand (lkr show ${error.incidentId} lists what was done).`,
    };
  }
  if (error instanceof DrillTimeoutError)
    return { code: EXIT.failure, message: `Drill failed: ${error.message}` };

  if (
    any(
      (e) =>
        nameOf(e) === "CredentialsProviderError" ||
        /could not (load|resolve) credentials|unable to locate credentials/i.test(messageOf(e)),
    )
  ) {
    return {
      code: EXIT.configuration,
      message:
        "No AWS credentials found. Sign in (aws sso login / aws configure) or pass --profile NAME; " +
        `detail: ${messageOf(chain.at(-1))}`,
    };
  }
  if (any((e) => /^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(nameOf(e)))) {
    return {
      code: EXIT.configuration,
      message: "Your AWS credentials have expired: sign in again (aws sso login).",
    };
  }
  if (any((e) => /region is missing/i.test(messageOf(e)))) {
    return {
      code: EXIT.configuration,
      message:
        "No AWS region: pass --region (the responder's home region, us-east-1 by default) or set AWS_REGION.",
    };
  }
  if (any((e) => nameOf(e) === "ResourceNotFoundException")) {
    return {
      code: EXIT.configuration,
      message: `Incident table ${where.table ?? ""} not found${where.region ? ` in ${where.region}` : ""}: check --table/--stack and --region.`,
    };
  }
  if (error instanceof AwsCallError) {
    const denied = /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(error.code);
    return {
      code: EXIT.failure,
      message: denied
        ? `Access denied for ${error.operation}: your credentials lack this permission.`
        : `${error.operation} failed: ${error.code}: ${messageOf(error.cause)}`,
    };
  }
  if (error instanceof TransientAwsError || error instanceof NoSuchEntityError) {
    return { code: EXIT.failure, message: `${error.message}: ${messageOf(error.cause)}` };
  }
  return { code: EXIT.failure, message: describeError(error) };
}
