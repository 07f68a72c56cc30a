import * as z from "zod/mini";
import { AccessKeyIdSchema } from "../access-key.js";
import { IAM_PRINCIPAL_NAME_PATTERN } from "../contract.js";
import type { Exposure } from "../exposure.js";
import { accountOf, type Envelope, isoTimeOf, parseOrThrow } from "./envelope.js";

/** Drill events are custom events: anyone with events:PutEvents can send one, so the plan acts
 * on them only for users tagged `leaked-key-responder:drill` = `true`. */
export const DRILL_SOURCE = "leaked-key-responder.drill";
export const DRILL_DETAIL_TYPE = "Leaked Key Drill";

export const DrillDetailSchema = z.object({
  accessKeyId: AccessKeyIdSchema,
  userName: z.string().check(z.regex(IAM_PRINCIPAL_NAME_PATTERN)),
  drillId: z.string().check(z.minLength(1), z.maxLength(128)),
  /**
   * A member account's drill (`lkr drill --account`): the account of the drill user. PutEvents
   * cannot set an event's `account` (it is always the sender's, the central account), so the
   * drill names it here. The responder's bus admits only its own roles and operators, and the
   * drill is still acted on only for a user tagged as a drill canary in that account, read through
   * its member role (an account outside the Organization has none: nothing is changed there).
   */
  accountId: z.optional(z.string().check(z.regex(/^\d{12}$/))),
});
export type DrillDetail = z.infer<typeof DrillDetailSchema>;

export function drillToExposures(envelope: Envelope): Exposure[] {
  const detail = parseOrThrow(DrillDetailSchema, envelope.detail, DRILL_SOURCE);
  return [
    {
      source: "drill",
      signal: "DRILL_KEY_EXPOSED",
      signalId: `drill:${detail.drillId}:${detail.accessKeyId}`,
      sourceEventId: envelope.id,
      accountId: accountOf(envelope, detail.accountId, DRILL_SOURCE),
      region: envelope.region,
      accessKeyId: detail.accessKeyId,
      principal: { type: "user", name: detail.userName },
      intent: "contain",
      severity: "low",
      sample: false,
      observedAt: isoTimeOf(envelope.time, envelope.time),
      title: `Responder drill ${detail.drillId}`,
      evidence: { drillId: detail.drillId },
    },
  ];
}
