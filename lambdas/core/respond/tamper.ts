import { describeError, NoSuchEntityError, TransientAwsError } from "../errors.js";
import type { Exposure } from "../exposure.js";
import type { Log } from "../log.js";
import { MemberAccountUnreachableError, NoMemberRoleError } from "../organization.js";
import type { AlertPublisher, IamPort, IamPortFor } from "../ports.js";
import { exposuresOfDetach, type PolicyDetached } from "../sources/iam-watch.js";
import { renderUnreachableDetach } from "./detach-notice.js";

/**
 * A fence policy detached from a principal names no key: the principal's quarantine tags say which
 * keys it held, one exposure each. A principal that is gone, or whose tags no longer mark any key
 * (an operator's release removes them), leaves nothing to contain; a passing fault is thrown, so
 * the event is retried. An account the responder cannot act in (outside the Organization, no member
 * role) is only alerted: nothing is changed there.
 */
export async function exposuresOfDetached(
  detached: PolicyDetached,
  iamFor: IamPortFor,
  log: Log,
  alerts: AlertPublisher,
): Promise<Exposure[]> {
  try {
    const iam = await iamFor(detached.accountId);
    const exposures = await Promise.all(
      exposuresOfDetach(detached, await iam.principalTags(detached.target)).map((e) => asFence(e, iam)),
    );
    if (exposures.length === 0) {
      log.info("fence policy detached from a principal with no quarantined key", {
        target: detached.target,
        policyArn: detached.policyArn,
      });
    }
    return exposures;
  } catch (error) {
    if (error instanceof TransientAwsError) throw error;
    if (error instanceof MemberAccountUnreachableError || error instanceof NoMemberRoleError) {
      log.warn("fence policy detached in an account the responder cannot act in", {
        accountId: detached.accountId,
        target: detached.target,
        policyArn: detached.policyArn,
        error: describeError(error),
      });
      await alerts.publish(renderUnreachableDetach(detached, error.message));
      return [];
    }
    const gone = error instanceof NoSuchEntityError;
    log[gone ? "info" : "error"](gone ? "detached from a principal that is gone" : "tamper lookup failed", {
      target: detached.target,
      error: describeError(error),
    });
    if (gone) return [];
    throw error;
  }
}

/**
 * A user fenced for another user's key (persistence: a user the leaked key made) holds no such key:
 * its fence is put back as a fence of that principal, never by looking the key's owner up.
 */
async function asFence(exposure: Exposure, iam: IamPort): Promise<Exposure> {
  if (exposure.principal.type !== "user" || exposure.principal.name === undefined) return exposure;
  const { keyStatus } = await iam.describeUser(exposure.principal.name, exposure.accessKeyId);
  return keyStatus === "absent" ? { ...exposure, intent: "fence-principal" } : exposure;
}
