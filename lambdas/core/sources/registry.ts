import type { Exposure } from "../exposure.js";
import { RESPONDER_EVENT_SOURCE } from "../investigation/contained-event.js";
import {
  AUDIT_ENFORCEMENT_DETAIL_TYPE,
  AUDIT_ENFORCEMENT_SOURCE,
  auditEnforcementToExposures,
} from "./audit-enforcement.js";
import { type AwsQuarantine, type AwsQuarantineRead, readAwsQuarantine } from "./aws-quarantine.js";
import { CLOUDTRAIL_DETAIL_TYPE, cloudTrailToExposures, IAM_SOURCE } from "./cloudtrail.js";
import { DRILL_DETAIL_TYPE, DRILL_SOURCE, drillToExposures } from "./drill.js";
import { type Envelope, EnvelopeSchema, parseOrThrow } from "./envelope.js";
import {
  GUARDDUTY_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  type GuardDutyPolicy,
  guardDutyToExposures,
} from "./guardduty.js";
import { HEALTH_DETAIL_TYPE, HEALTH_SOURCE, healthToExposures } from "./health.js";
import {
  NOTHING_WATCHED,
  type PolicyDetached,
  type TagNotice,
  type Watched,
  type WatchOptions,
  watchIamEvent,
} from "./iam-watch.js";
import { PERSISTENCE_DETAIL_TYPE, persistenceToExposures } from "./persistence.js";
import {
  TRUSTED_ADVISOR_DETAIL_TYPE,
  TRUSTED_ADVISOR_SOURCE,
  trustedAdvisorToExposures,
} from "./trusted-advisor.js";

export interface NormalizeOptions {
  readonly guardDutyPolicy: GuardDutyPolicy;
  /** The tamper watch's view of the deployment; without it, nothing is watched. */
  readonly watch?: WatchOptions | undefined;
}

interface SignalSource {
  readonly source: string;
  readonly detailType: string;
  readonly toExposures: (envelope: Envelope, options: NormalizeOptions) => Exposure[];
  /** Calls on what the responder put in place (CloudTrail IAM events only). */
  readonly watch?: (envelope: Envelope, options: WatchOptions) => Watched;
  /** AWS's own quarantine of a user, the earliest signal (CloudTrail IAM events only). */
  readonly awsQuarantine?: (envelope: Envelope, options: WatchOptions) => AwsQuarantineRead;
}

const NO_WATCH: WatchOptions = { fencePolicyArns: [], responderRoleArns: [] };

/** One row per signal source: EventBridge source + detail-type → the module that reads it. */
export const SIGNAL_SOURCES: readonly SignalSource[] = [
  { source: HEALTH_SOURCE, detailType: HEALTH_DETAIL_TYPE, toExposures: healthToExposures },
  {
    source: TRUSTED_ADVISOR_SOURCE,
    detailType: TRUSTED_ADVISOR_DETAIL_TYPE,
    toExposures: trustedAdvisorToExposures,
  },
  {
    source: GUARDDUTY_SOURCE,
    detailType: GUARDDUTY_DETAIL_TYPE,
    toExposures: (envelope, options) => guardDutyToExposures(envelope, options.guardDutyPolicy),
  },
  {
    source: IAM_SOURCE,
    detailType: CLOUDTRAIL_DETAIL_TYPE,
    toExposures: cloudTrailToExposures,
    watch: watchIamEvent,
    awsQuarantine: readAwsQuarantine,
  },
  { source: DRILL_SOURCE, detailType: DRILL_DETAIL_TYPE, toExposures: drillToExposures },
  {
    source: RESPONDER_EVENT_SOURCE,
    detailType: PERSISTENCE_DETAIL_TYPE,
    toExposures: persistenceToExposures,
  },
  {
    source: AUDIT_ENFORCEMENT_SOURCE,
    detailType: AUDIT_ENFORCEMENT_DETAIL_TYPE,
    toExposures: auditEnforcementToExposures,
  },
];

export type Normalized =
  | { readonly kind: "unsupported"; readonly source: string; readonly detailType: string }
  | {
      readonly kind: "exposures";
      readonly envelope: Envelope;
      readonly exposures: readonly Exposure[];
      /** Fence policies detached from a principal: their keys are read from its tags. */
      readonly detached: readonly PolicyDetached[];
      /** Responder tags changed by someone else: alert only. */
      readonly notices: readonly TagNotice[];
      /** AWS quarantined a user without naming the key: the user's keys are read later. */
      readonly quarantined: readonly AwsQuarantine[];
    };

/**
 * unknown → the exposures it reports. An event from a source/detail-type no row names is
 * "unsupported" (the handler warns and returns); a malformed event of a known source
 * throws InvalidEventError (it ends in the DLQ).
 */
export function normalizeEvent(event: unknown, options: NormalizeOptions): Normalized {
  const envelope = parseOrThrow(EnvelopeSchema, event, "eventbridge");
  const row = SIGNAL_SOURCES.find(
    (s) => s.source === envelope.source && s.detailType === envelope["detail-type"],
  );
  if (row === undefined) {
    return { kind: "unsupported", source: envelope.source, detailType: envelope["detail-type"] };
  }
  const watched = row.watch && options.watch ? row.watch(envelope, options.watch) : NOTHING_WATCHED;
  // Read also without a watch configured: only the responder's own roles are then unknown.
  const quarantine = row.awsQuarantine?.(envelope, options.watch ?? NO_WATCH);
  return {
    kind: "exposures",
    envelope,
    exposures: [
      ...row.toExposures(envelope, options),
      ...watched.exposures,
      ...(quarantine?.exposures ?? []),
    ],
    detached: watched.detached,
    notices: watched.notices,
    quarantined: quarantine?.quarantined ?? [],
  };
}
