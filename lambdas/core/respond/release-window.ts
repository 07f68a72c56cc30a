import { containmentFailed } from "../containment.js";
import { type KeySubject, subjectLabelOf } from "../incident.js";
import type { Step } from "../plan.js";
import type { Execution } from "./execution.js";

/** Waited past the end of a release's reactivation window, for clocks that disagree a little. */
export const RELEASE_WINDOW_MARGIN_MS = 1_000;

/**
 * A containment recorded over a release in progress (the incident was read `releasing`): the
 * release may have sent, or may still send, its UpdateAccessKey Active — after this response's
 * disable, which went out beside the reads. A release that lives sees the incident changed and
 * disables the key again itself; one that died never will. So the response disables the key once
 * more, after the release's reactivation can no longer land: at once when the incident records no
 * window (the reactivation answered before the incident was read, or was never sent), else once
 * its `reactivatingUntil` has passed. The disable is recorded like the first, with the same undo.
 */
export async function disableAgainAfterRelease(run: Execution): Promise<void> {
  const { plan, lookup, deps } = run;
  if (run.halted !== undefined || run.recordedCount === undefined) return;
  if (plan.decision !== "contain" || lookup.incident?.status !== "releasing") return;
  if (containmentFailed(run.actions)) return; // failed already: the invocation is retried
  const step = plan.steps.find((s): s is Extract<Step, { kind: "disable-key" }> => s.kind === "disable-key");
  if (step === undefined) return;
  const until = Date.parse(lookup.incident.reactivatingUntil ?? "");
  const wait = Number.isNaN(until) ? 0 : until + RELEASE_WINDOW_MARGIN_MS - deps.now().getTime();
  if (wait > 0) {
    run.log.info("waiting out a release's reactivation window", { until: lookup.incident.reactivatingUntil });
    await deps.sleep(wait);
  }
  const subject: KeySubject = { type: "key", accessKeyId: step.accessKeyId, userName: step.userName };
  const first = run.actions.find(
    (a) => a.kind === "disable-key" && a.subject?.accessKeyId === step.accessKeyId,
  );
  const result = await run.attempt(step.kind, async () => {
    await run.iam(step.kind).disableKey(step.userName, step.accessKeyId);
    return {
      outcome: "done" as const,
      detail: "disabled again after a release in progress could no longer reactivate it",
      undo: first?.undo ?? { previousStatus: step.previousStatus },
    };
  });
  run.record({
    at: run.now(),
    signalId: run.exposure.signalId,
    kind: step.kind,
    subject,
    target: subjectLabelOf(subject),
    ...result,
  });
}
