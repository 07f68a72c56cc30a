import { toSnsSubject } from "../alert-text.js";
import type { RenderedAlert } from "../ports.js";
import { renderPrincipalNotice } from "../principal-notice.js";
import type { PolicyDetached } from "../sources/iam-watch.js";

/**
 * The alert for a fence policy detached in an account the responder cannot act in (outside the
 * Organization, no member stack there, or no member role configured): its principal's tags cannot
 * be read, so no key is named and nothing is changed; people must look.
 */
export function renderUnreachableDetach(detached: PolicyDetached, why: string): RenderedAlert {
  const who = `${detached.target.type} ${detached.target.name}`;
  return renderPrincipalNotice(detached, {
    watch: "tamper-watch",
    subject: toSnsSubject(
      `[HIGH] Fence policy detached from ${who}, not re-contained - account ${detached.accountId}`,
    ),
    steps: [
      `Find out who detached ${detached.policyArn} from ${who} in account ${detached.accountId} and why: only a release should.`,
      `The responder cannot act in that account (${why}): attach the policy again by hand if the principal is still compromised.`,
      "Nothing was changed by the responder.",
    ],
    facts: [`Policy:    ${detached.policyArn}`],
    evidenceShown: "policyArn",
    headline: `*${detached.signal}* of \`${detached.policyArn}\` from ${who}`,
    why,
    eventType: "LeakedKeyResponderFenceDetached",
    machineType: "leaked-key-responder.fence-detached",
    machineFields: { policyArn: detached.policyArn },
    machineTrailer: { reason: why },
  });
}
