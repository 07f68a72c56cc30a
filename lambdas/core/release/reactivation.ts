import type { ActionOutcome } from "../incident.js";
import { IncidentChangedError } from "./errors.js";
import type { UndoStep } from "./plan.js";
import type { IncidentReviewStore } from "./ports.js";

/**
 * How long a release's reactivation of a key may take to land, from the moment it records that it
 * is about to send it. The release sends nothing once it has passed (its IAM call is cut off at the
 * end), and a signal that contains the key meanwhile disables it again only after it.
 */
export const REACTIVATION_WINDOW_MS = 10_000;

/** What one undo step reported, as runUndo returns it. */
export interface UndoResult {
  readonly outcome: ActionOutcome;
  readonly detail?: string;
}

/** The release's hold on its incident: the version its next conditional write expects. */
export interface ReleaseHold {
  readonly incidentId: string;
  version: number;
}

/**
 * Reactivates a key inside a recorded window: first the incident says (conditional on it still
 * being this release's `releasing`, version bumped) until when the reactivation may land; then
 * UpdateAccessKey Active, cut off at that instant; then the window is closed, again conditional on
 * the incident being unchanged. A signal that contained the key meanwhile makes either write fail:
 * `changed`, with no `result` when nothing was sent, or with the call's result when it was (the
 * caller then puts the containment back). A release that dies between the call and the last write
 * leaves the window on the record: the signal's response waits it out and disables the key again.
 */
export async function reactivateInWindow(
  step: Extract<UndoStep, { kind: "reactivate-key" }>,
  hold: ReleaseHold,
  deps: { readonly incidents: IncidentReviewStore; readonly now: () => Date },
  run: (step: UndoStep, deadline: Date) => Promise<UndoResult>,
): Promise<{ readonly result?: UndoResult; readonly changed?: IncidentChangedError }> {
  const start = deps.now();
  const until = new Date(start.getTime() + REACTIVATION_WINDOW_MS);
  try {
    hold.version = await deps.incidents.beginReactivation(
      hold.incidentId,
      hold.version,
      until.toISOString(),
      start.toISOString(),
    );
  } catch (error) {
    if (error instanceof IncidentChangedError) return { changed: error };
    throw error;
  }
  const result =
    deps.now().getTime() < until.getTime()
      ? await run(step, until)
      : {
          outcome: "failed" as const,
          detail: "not reactivated: its window passed before the call could be sent; run the release again",
        };
  try {
    await deps.incidents.endReactivation(hold.incidentId, hold.version, deps.now().toISOString());
  } catch (error) {
    if (error instanceof IncidentChangedError) return { result, changed: error };
    throw error;
  }
  return { result };
}
