import { containmentFailed } from "../containment.js";
import { describeError, NoSuchEntityError } from "../errors.js";
import {
  actionsWorthKeeping,
  basisOf,
  type KeySubject,
  SIGNALS_KEPT_ON_INCIDENT,
  signalRecordOf,
  subjectLabelOf,
} from "../incident.js";
import type { FenceTarget, Step, StepKind } from "../plan.js";
import { quarantineFallbackOf } from "../quarantine-fallback.js";
import { severityRank } from "../vocabulary.js";
import { sendAlertOnce } from "./alert-once.js";
import { isSameKey, previousStatusOf } from "./early-disable.js";
import type { Execution } from "./execution.js";

/**
 * One small executor per plan step, the way a release's undo steps are run: contain (IAM), record
 * (DynamoDB), fence (IAM), notify (SNS), emit (EventBridge). Each records what it did on the
 * execution; a failure a retry may fix is marked there, and the response fails at the end.
 */
type StepExecutor<K extends StepKind> = (step: Extract<Step, { kind: K }>, run: Execution) => Promise<void>;

const base = (run: Execution) => ({ at: run.now(), signalId: run.exposure.signalId });

const disableKey: StepExecutor<"disable-key"> = async (step, run) => {
  const subject: KeySubject = { type: "key", accessKeyId: step.accessKeyId, userName: step.userName };
  const head = { ...base(run), kind: step.kind, subject, target: subjectLabelOf(subject) };
  const early = run.lookup.early;
  if (early !== undefined && isSameKey(early, step)) {
    // Sent beside the reads: its answer is this step's, and the read beside it says what it was before.
    const sent = await run.attempt(step.kind, async () => {
      const answer = await early.result;
      if (!answer.ok) throw answer.error;
      const { previousStatus, outcome, detail } = previousStatusOf(run.lookup.facts, run.lookup.incident);
      return { outcome, ...(detail ? { detail } : {}), undo: { previousStatus } };
    });
    run.record({ ...head, ...sent });
    return;
  }
  const result = await run.attempt(step.kind, async () => {
    await run.iam(step.kind).disableKey(step.userName, step.accessKeyId);
    const undo = { previousStatus: step.previousStatus };
    return { outcome: step.previousStatus === "Inactive" ? "already" : "done", undo };
  });
  run.record({ ...head, ...result });
};

const attachQuarantinePolicy: StepExecutor<"attach-quarantine-policy"> = async (step, run) => {
  // The principal's fence is shared by its contained keys: say this incident holds it before
  // attaching, so a release of another key of the principal keeps it attached.
  await run.deps.incidents
    .holdFence(run.exposure.accountId, step.target, run.plan.incidentId)
    .catch((error: unknown) => run.storeFailed(error, "fence hold not recorded"));
  const head = { ...base(run), kind: step.kind, subject: step.target, target: subjectLabelOf(step.target) };
  const result = await run.attempt(step.kind, async () => {
    const { attached, policyArn, note } = await attachQuarantine(run, step.target, step.policyArn);
    return attached === "attached"
      ? { outcome: "done" as const, undo: { policyArn }, ...(note ? { detail: note } : {}) }
      : {
          outcome: "already" as const,
          detail: `${note ? `${note}; ` : ""}already attached (by an earlier quarantine of another key, or by someone else): this incident's release leaves it`,
        };
  });
  run.record({ ...head, ...result });
};

/**
 * Attaches the quarantine policy; when it does not exist in this partition (NoSuchEntity for V4),
 * its fallback (V3) instead: which one was attached is what the action records, and what a release
 * detaches. A user or role that is gone answers NoSuchEntity to the fallback too.
 */
async function attachQuarantine(
  run: Execution,
  target: FenceTarget,
  policyArn: string,
): Promise<{ attached: "attached" | "already"; policyArn: string; note?: string }> {
  const iam = run.iam("attach-quarantine-policy");
  try {
    return { attached: await iam.attachPolicy(target, policyArn), policyArn };
  } catch (error) {
    const fallback = quarantineFallbackOf(policyArn);
    if (!(error instanceof NoSuchEntityError) || fallback === undefined) throw error;
    const attached = await iam.attachPolicy(target, fallback);
    run.log.warn("quarantine policy does not exist here: fallback attached", { policyArn, fallback });
    return {
      attached,
      policyArn: fallback,
      note: `${policyArn} does not exist here (NoSuchEntity): ${fallback} attached`,
    };
  }
}

const attachSessionDenyPolicy: StepExecutor<"attach-session-deny-policy"> = async (step, run) => {
  const head = { ...base(run), kind: step.kind, subject: step.target, target: subjectLabelOf(step.target) };
  const result = await run.attempt(step.kind, async () =>
    (await run.iam(step.kind).attachPolicy(step.target, step.policyArn)) === "attached"
      ? {
          outcome: "done" as const,
          detail: "every request with temporary credentials denied, sessions started later included",
          undo: { policyArn: step.policyArn },
        }
      : {
          outcome: "already" as const,
          detail:
            "already attached (by an earlier quarantine of another key): this incident's release leaves it",
        },
  );
  run.record({ ...head, ...result });
};

const revokeSessions: StepExecutor<"revoke-sessions"> = async (step, run) => {
  const head = { ...base(run), kind: step.kind, subject: step.target, target: subjectLabelOf(step.target) };
  const result = await run.attempt(step.kind, async () => {
    // Sessions issued up to now — not when the signal arrived. Only the revoker function may write
    // the policy: it builds it from the role and the time alone.
    const issuedBefore = run.now();
    const { policyName } = await run.roleRevoker().revoke({
      roleName: step.target.name,
      accessKeyId: run.exposure.accessKeyId,
      issuedBefore,
    });
    return {
      outcome: "done" as const,
      detail: `sessions issued before ${issuedBefore}`,
      undo: { policyName },
    };
  });
  run.record({ ...head, ...result });
};

const tagPrincipal: StepExecutor<"tag-principal"> = async (step, run) => {
  const head = { ...base(run), kind: step.kind, subject: step.target, target: subjectLabelOf(step.target) };
  const result = await run.attempt(step.kind, async () => {
    await run.iam(step.kind).tagPrincipal(step.target, step.tags);
    return { outcome: "done" as const, undo: { tagKeys: Object.keys(step.tags) } };
  });
  run.record({ ...head, ...result });
};

/** How long a claim on a signal lasts: longer than the function may run, so a live attempt keeps it. */
export const SIGNAL_CLAIM_MS = 90_000;
/** How long a duplicate waits for the attempt that has its signal, and how often it looks. */
const DUPLICATE_WAIT_MS = 10_000;
const DUPLICATE_POLL_MS = 250;

/**
 * Claims the signal for this attempt, right after the key is disabled (the disable is idempotent,
 * so a concurrent duplicate repeats nothing else). A duplicate whose twin is still at work waits
 * for it a few seconds; if the twin never finishes, this attempt fails and is retried, and takes
 * the claim once the twin's has run out.
 */
async function claimSignal(
  run: Execution,
): Promise<{ kind: "claimed"; recorded: boolean } | { kind: "duplicate" }> {
  const { exposure, plan, deps } = run;
  const waitUntil = deps.now().getTime() + DUPLICATE_WAIT_MS;
  for (;;) {
    const now = deps.now();
    const claim = await deps.incidents.claimSignal(
      plan.incidentId,
      exposure.signalId,
      run.attemptId,
      now.toISOString(),
      new Date(now.getTime() + SIGNAL_CLAIM_MS).toISOString(),
    );
    if (claim.kind === "claimed") return claim;
    if (claim.kind === "completed") return { kind: "duplicate" };
    if (now.getTime() >= waitUntil) {
      run.needsRetry("signal-in-progress-elsewhere");
      return { kind: "duplicate" };
    }
    await deps.sleep(DUPLICATE_POLL_MS);
  }
}

const recordIncident: StepExecutor<"record-incident"> = async (_step, run) => {
  const { exposure, plan, lookup, deps } = run;
  // Whether the signal is on the incident already: as the claim found it (the lookup may be older
  // than an earlier attempt's record, or this response's own record before it was planned again).
  let signalAlreadyRecorded = lookup.signalState?.signal !== undefined;
  try {
    const claim = await claimSignal(run);
    if (claim.kind === "duplicate") {
      run.log.info("signal handled by another attempt", { signalId: exposure.signalId });
      run.halted = "duplicate";
      return;
    }
    signalAlreadyRecorded ||= claim.recorded;
  } catch (error) {
    // The table is out of reach: contain anyway (the record below fails too, and asks for a retry).
    run.storeFailed(error, "signal claim failed");
  }
  const failed = containmentFailed(run.actions);
  const containing = plan.decision === "contain" && !failed;
  const incident = lookup.incident;
  const actions = actionsWorthKeeping(incident?.actions ?? [], run.actions);
  const opens = containing && incident?.status !== "contained";
  try {
    const result = await deps.incidents.recordSignal({
      incidentId: plan.incidentId,
      accountId: exposure.accountId,
      accessKeyId: exposure.accessKeyId,
      principal: run.principal,
      severity: plan.severity,
      // A failed containment is not an open (contained) incident; a notification never
      // overwrites a status an earlier containment or an operator set.
      status: failed ? (incident?.status ?? "notified") : plan.status,
      statusIfNew: !containing,
      // A containment holds only if the incident is still as it was read (no release got in).
      basis: containing ? basisOf(incident) : undefined,
      keepSignalOnIncident:
        !signalAlreadyRecorded &&
        (incident?.signalCount ?? incident?.signals.length ?? 0) < SIGNALS_KEPT_ON_INCIDENT,
      signalAlreadyRecorded,
      opens,
      mode: deps.settings.mode,
      sample: exposure.sample,
      signal: signalRecordOf(exposure, run.receivedAt, plan.severity, plan.decision, plan.reasons),
      actions,
      now: run.now(),
    });
    if (result === "conflict") {
      run.log.info("incident changed since it was read: planning again", { incidentId: plan.incidentId });
      run.halted = "conflict";
      return;
    }
    run.recordedCount = run.actions.length;
    // This record opened the containment, or an earlier attempt of this signal's did.
    run.opened = opens || (containing && lookup.signalState?.opened === true);
    // An incident keeps the worst severity any of its signals had: a conditional write on its rank.
    // Also when no incident was read: a concurrent first signal may have created it lower.
    if (severityRank(plan.severity) > severityRank(incident?.severity ?? "low")) {
      await deps.incidents.raiseSeverity(plan.incidentId, plan.severity, run.now());
    }
  } catch (error) {
    run.storeFailed(error, "incident record failed");
  }
};

const notify: StepExecutor<"notify"> = async (_step, run) => {
  run.alerted = await sendAlertOnce(run).catch((error: unknown) => {
    run.needsRetry("notify");
    run.log.error("alert failed", { error: describeError(error) });
    return false;
  });
};

const emitContainedEvent: StepExecutor<"emit-contained-event"> = async (_step, run) => {
  const { exposure, plan } = run;
  // One Incident Contained per containment: a later signal about a contained key adds to its thread.
  if (!run.opened && run.recordedCount !== undefined) return;
  if (containmentFailed(run.actions)) return; // nothing was contained
  const recorded = run.recordedCount !== undefined;
  // Claimed on the signal's item, so a retry of the signal never announces it twice.
  if (recorded && !(await run.deps.incidents.claimEmit(plan.incidentId, exposure.signalId, run.now())))
    return;
  try {
    await run.deps.events.emitContained({
      incidentId: plan.incidentId,
      accountId: exposure.accountId,
      region: exposure.region,
      accessKeyId: exposure.accessKeyId,
      principal: run.principal,
      signal: exposure.signal,
      severity: plan.severity,
      containedAt: run.receivedAt,
      ...(Number.isNaN(Date.parse(exposure.observedAt)) ? {} : { observedAt: exposure.observedAt }),
    });
  } catch (error) {
    if (recorded)
      await run.deps.incidents.releaseEmitClaim(plan.incidentId, exposure.signalId).catch(() => undefined);
    run.needsRetry("emit-contained-event");
    run.log.error("contained event not emitted", { error: describeError(error) });
  }
};

/** Runs one step with its executor; the switch is exhaustive over step kinds. */
export function executeStep(step: Step, run: Execution): Promise<void> {
  switch (step.kind) {
    case "disable-key":
      return disableKey(step, run);
    case "record-incident":
      return recordIncident(step, run);
    case "attach-quarantine-policy":
      return attachQuarantinePolicy(step, run);
    case "attach-session-deny-policy":
      return attachSessionDenyPolicy(step, run);
    case "revoke-sessions":
      return revokeSessions(step, run);
    case "tag-principal":
      return tagPrincipal(step, run);
    case "notify":
      return notify(step, run);
    case "emit-contained-event":
      return emitContainedEvent(step, run);
    default: {
      const unreachable: never = step;
      throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
    }
  }
}
