import { describeError } from "../errors.js";
import type { Log } from "../log.js";
import type { PersistenceDetail } from "./persistence.js";

/** Puts `Persistence Found` on the responder's own bus (the respond function acts on it). */
export interface PersistencePublisher {
  publish(detail: PersistenceDetail): Promise<void>;
}

/** A role's trust policy now (iam:GetRole, read only); undefined when the role does not exist. */
export interface RoleTrustReader {
  trustPolicy(roleName: string): Promise<string | undefined>;
}

export interface PersistenceDeps {
  readonly publisher: PersistencePublisher;
  readonly roles: RoleTrustReader;
  readonly log: Log;
}

/** Persistence was found but not every finding reached the respond function: retried. */
export class PersistenceNotHandedOverError extends Error {
  override readonly name = "PersistenceNotHandedOverError";
  constructor(
    readonly incidentId: string,
    readonly eventIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`persistence of ${incidentId} not handed over: ${eventIds.join(", ")}`, options);
  }
}

/** A trust-policy finding gains the role's policy now, so the alert can show the diff. */
async function withCurrentPolicy(
  detail: PersistenceDetail,
  deps: PersistenceDeps,
): Promise<PersistenceDetail> {
  if (detail.finding.kind !== "trust-policy") return detail;
  try {
    const current = await deps.roles.trustPolicy(detail.finding.roleName);
    return current === undefined
      ? detail
      : { ...detail, finding: { ...detail.finding, currentPolicyDocument: current } };
  } catch (error) {
    // The alert goes out anyway, with what the call set; the diff says the role's policy is unknown.
    deps.log.warn("trust policy not read", {
      roleName: detail.finding.roleName,
      error: describeError(error),
    });
    return detail;
  }
}

/**
 * Hands every finding over to the respond function, one event each (the finding's CloudTrail event
 * id makes a repeat a duplicate there, so a retried investigation hands them over again safely).
 * Every finding is tried; any that failed make the invocation fail afterwards, so it is retried.
 */
export async function handOverPersistence(
  incidentId: string,
  findings: readonly PersistenceDetail[],
  deps: PersistenceDeps,
): Promise<{ readonly handedOver: number }> {
  const failed: string[] = [];
  let cause: unknown;
  for (const finding of findings) {
    try {
      await deps.publisher.publish(await withCurrentPolicy(finding, deps));
      deps.log.info("persistence handed over", {
        eventName: finding.eventName,
        kind: finding.finding.kind,
        cloudTrailEventId: finding.eventId,
      });
    } catch (error) {
      deps.log.error("persistence not handed over", {
        cloudTrailEventId: finding.eventId,
        error: describeError(error),
      });
      failed.push(finding.eventId);
      cause ??= error;
    }
  }
  if (failed.length > 0) throw new PersistenceNotHandedOverError(incidentId, failed, { cause });
  return { handedOver: findings.length };
}
