import { toSnsSubject } from "./alert-text.js";
import { EXEMPT_TAG } from "./plan.js";
import type { RenderedAlert } from "./ports.js";
import { renderPrincipalNotice } from "./principal-notice.js";
import type { TagNotice } from "./sources/iam-watch.js";

/**
 * The alert for a responder tag (`leaked-key-responder:*`) set or removed by anyone but the
 * responder: nothing is changed, but the exempt tag, a drill or quarantine mark set by hand is how
 * a leaked key would try to shield itself or confuse a release.
 */
export function renderTagNotice(notice: TagNotice, honorExemptTag: boolean): RenderedAlert {
  const who = `${notice.target.type} ${notice.target.name}`;
  const verb = notice.signal.startsWith("Untag") ? "removed from" : "set on";
  const exempt = notice.tagKeys.some((k) => k.toLowerCase() === EXEMPT_TAG);
  return renderPrincipalNotice(notice, {
    watch: "tag-watch",
    subject: toSnsSubject(
      `[HIGH] Responder tag ${verb} ${who} by another caller - account ${notice.accountId}`,
    ),
    steps: [
      `Find out why ${notice.actor} changed ${notice.tagKeys.join(", ")} on ${who}: only the responder sets these tags. The caller may hold a leaked key.`,
      ...(exempt
        ? [
            honorExemptTag
              ? `The exempt tag is honoured here (HONOR_EXEMPT_TAG=true): ${who} is no longer contained by the responder while it carries it. Protect the tag with the SCP in the README.`
              : "The exempt tag is not honoured here (HONOR_EXEMPT_TAG=false): it changes nothing, but whoever set it expected it to.",
          ]
        : []),
      "Nothing was changed by the responder.",
    ],
    facts: [`Tag keys:  ${notice.tagKeys.join(", ")}`, `Caller:    ${notice.actor}`],
    evidenceShown: "actor",
    headline: `*${notice.signal}* of \`${notice.tagKeys.join("`, `")}\` on ${who} by \`${notice.actor}\``,
    eventType: "LeakedKeyResponderTagChange",
    machineType: "leaked-key-responder.tag-notice",
    machineFields: { tagKeys: notice.tagKeys, actor: notice.actor },
  });
}
