import type { DynamoDbIncidentReview } from "../../lambdas/adapters/dynamodb-incident-review.js";
import { sendDrillEvent } from "../../lambdas/adapters/eventbridge-drill.js";
import { IamCanary } from "../../lambdas/adapters/iam-canary.js";
import { callerIdentityOf } from "../../lambdas/adapters/sts-identity.js";
import {
  CANARY_PATH,
  CANARY_TAGS,
  canaryUserNameOf,
  type DrillProgress,
  drillEventOf,
  drillIdOf,
  drillProgressOf,
  drillSignalIdOf,
  responderLatencyOf,
} from "../../lambdas/core/drill-canary.js";
import { describeError } from "../../lambdas/core/errors.js";
import { type Incident, incidentIdOf } from "../../lambdas/core/incident.js";
import { DRILL_TAG } from "../../lambdas/core/plan.js";
import { resolveIncident } from "../../lambdas/core/release/close.js";
import { IncidentChangedError } from "../../lambdas/core/release/errors.js";
import type { DrillDetail } from "../../lambdas/core/sources/drill.js";
import { DrillTimeoutError, EXIT, UsageError } from "../errors.js";
import { eprintln, type Io, println } from "../io.js";
import { type CommandContext, incidentReview } from "./common.js";

export const DEFAULT_DRILL_TIMEOUT_SECONDS = 120;
export const DRILL_POLL_MS = 250;

export function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DRILL_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 900) {
    throw new UsageError(`--timeout "${text}": expected whole seconds from 1 to 900`);
  }
  return seconds;
}

function mark(ok: boolean): string {
  return ok ? "yes" : "…";
}

function progressLine(p: DrillProgress): string {
  return `key ${p.keyStatus} · incident ${mark(p.incident)} · alert ${mark(p.alerted)} · actions recorded ${mark(p.recorded)}`;
}

function missingOf(p: DrillProgress): string[] {
  return [
    ...(p.keyStatus !== "Inactive" ? [`the key is still ${p.keyStatus}`] : []),
    ...(!p.incident ? ["no incident was recorded"] : []),
    ...(p.incident && !p.alerted ? ["no alert was recorded"] : []),
    ...(p.incident && !p.recorded ? ["not every containment action was recorded"] : []),
  ];
}

/** Redraws one line on a terminal; prints a line per change otherwise. */
class ProgressDisplay {
  private last = "";
  constructor(private readonly io: Io) {}
  update(elapsedMs: number, p: DrillProgress): void {
    const state = progressLine(p);
    const seconds = `${(elapsedMs / 1000).toFixed(1).padStart(5)} s`;
    if (this.io.progressInPlace) this.io.stderr(`\r  ${seconds}  ${state}   `);
    else if (state !== this.last) eprintln(this.io, `  ${seconds}  ${state}`);
    this.last = state;
  }
  end(): void {
    if (this.io.progressInPlace) this.io.stderr("\n");
  }
}

/** Resolves the drill's incident; returns it as it was resolved. */
export async function resolveDrillIncident(
  review: DynamoDbIncidentReview,
  incidentId: string,
  by: string,
  reason: string,
  now: () => Date,
): Promise<Incident> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await resolveIncident(incidentId, { by, reason }, { incidents: review, now })).incident;
    } catch (error) {
      // The responder may still be appending its last actions: read again once.
      if (!(error instanceof IncidentChangedError) || attempt >= 3) throw error;
    }
  }
}

export interface DrillWatchOptions {
  /** When the drill event was sent (io.now() milliseconds). */
  readonly sentAt: number;
  readonly timeoutSeconds: number;
  readonly signalId: string;
  /** What to check when no incident appeared at all. */
  readonly hint: string;
  readonly keyStatus: () => Promise<DrillProgress["keyStatus"]>;
  readonly incident: () => Promise<Incident | undefined>;
}

/**
 * Polls the key and the incident until the drill is done (key Inactive, incident, alert, every
 * action recorded) or the time is up (DrillTimeoutError naming what is missing); prints the time
 * to containment and returns it.
 */
export async function watchDrill(
  io: Io,
  say: (text: string) => void,
  options: DrillWatchOptions,
): Promise<{ containedMs: number; responderMs: number | undefined; incident: Incident | undefined }> {
  const { sentAt, timeoutSeconds, signalId } = options;
  const display = new ProgressDisplay(io);
  let inactiveAt: number | undefined;
  let incident: Incident | undefined;
  for (;;) {
    const [keyStatus, current] = await Promise.all([options.keyStatus(), options.incident()]);
    incident = current;
    const now = io.now().getTime();
    if (keyStatus === "Inactive") inactiveAt ??= now;
    const progress = drillProgressOf(keyStatus, incident, signalId);
    display.update(now - sentAt, progress);
    if (progress.done) break;
    if (now - sentAt >= timeoutSeconds * 1000) {
      display.end();
      throw new DrillTimeoutError(timeoutSeconds, [
        ...missingOf(progress),
        ...(progress.incident ? [] : [options.hint]),
      ]);
    }
    await io.sleep(DRILL_POLL_MS);
  }
  display.end();
  const containedMs = (inactiveAt ?? sentAt) - sentAt;
  const responderMs = incident ? responderLatencyOf(incident, signalId) : undefined;
  say(
    `Contained in ${(containedMs / 1000).toFixed(2)} s (drill event sent → key seen Inactive; polled every ${DRILL_POLL_MS / 1000} s)`,
  );
  if (responderMs !== undefined) {
    say(`  inside the responder: handler start → disable-key ${responderMs} ms (from the incident record)`);
  }
  return { containedMs, responderMs, incident };
}

/** What both drills (home and member) start from: how to print, how long to wait, which bus, the incidents. */
export interface DrillSession {
  readonly io: Io;
  readonly json: boolean;
  /** Progress: to stdout, or to stderr when stdout carries the --json result. */
  readonly say: (text: string) => void;
  readonly timeoutSeconds: number;
  readonly eventBus: string;
  readonly review: DynamoDbIncidentReview;
}

export async function drillSession(ctx: CommandContext): Promise<DrillSession> {
  const { io } = ctx;
  const json = ctx.args.globals.json;
  const say = (text: string) => (json ? eprintln(io, text) : println(io, text));
  const timeoutSeconds = parseTimeout(ctx.args.timeout);
  const eventBus = ctx.args.eventBus ?? (await ctx.aws.eventBusName());
  const review = await incidentReview(ctx);
  return { io, json, say, timeoutSeconds, eventBus, review };
}

/** Sends the drill event naming `detail`'s key on the session's bus, then watches the drill (watchDrill). */
export async function sendAndWatchDrill(
  ctx: CommandContext,
  session: DrillSession,
  detail: DrillDetail,
  options: Omit<DrillWatchOptions, "sentAt" | "timeoutSeconds">,
): Promise<{ eventId: string; containedMs: number; responderMs: number | undefined }> {
  const { io, say, eventBus, timeoutSeconds } = session;
  const sentAt = io.now().getTime();
  const eventId = await sendDrillEvent(ctx.aws.events(), drillEventOf(detail), eventBus);
  say(`  drill event ${eventId} sent; waiting up to ${timeoutSeconds} s for the responder`);
  const { containedMs, responderMs } = await watchDrill(io, say, { ...options, sentAt, timeoutSeconds });
  return { eventId, containedMs, responderMs };
}

/** Ends a drill: rethrows what failed (after the clean-up ran), or prints that it passed. */
export function finishDrill(
  session: DrillSession,
  failure: unknown,
  result: Record<string, unknown>,
): number {
  if (failure !== undefined) throw failure;
  if (session.json) println(session.io, JSON.stringify({ ...result, passed: true }, null, 2));
  else println(session.io, "Drill passed.");
  return EXIT.ok;
}

/**
 * lkr drill: a canary user (no permissions, one key, tagged as a drill canary) and a drill event
 * naming its key; waits until the key is Inactive and the incident and its alert exist; prints the
 * time from event to containment; always removes the canary. The drill's incident is resolved.
 */
export async function drillCommand(ctx: CommandContext): Promise<number> {
  const session = await drillSession(ctx);
  const { io, say, eventBus, review } = session;
  const caller = await callerIdentityOf(ctx.aws.sts());
  const region = await ctx.aws.region();
  const drillId = drillIdOf(io.now(), io.random());
  const userName = canaryUserNameOf(drillId);
  const canary = new IamCanary(ctx.aws.iam());
  say(`Drill ${drillId}: account ${caller.accountId}, region ${region}, bus ${eventBus}`);

  let failure: unknown;
  let result: Record<string, unknown> = { drillId, accountId: caller.accountId, region, userName };
  try {
    const accessKeyId = await canary.create(userName, CANARY_PATH, CANARY_TAGS);
    say(`  canary user ${userName}: no permissions, tagged ${DRILL_TAG}=true, access key ${accessKeyId}`);
    const detail = { accessKeyId, userName, drillId };
    const signalId = drillSignalIdOf(detail, caller.accountId, region);
    const incidentId = incidentIdOf(caller.accountId, accessKeyId);
    result = { ...result, accessKeyId, incidentId };

    const { eventId, containedMs, responderMs } = await sendAndWatchDrill(ctx, session, detail, {
      signalId,
      hint: `is the responder deployed in ${region}, with its drill rule on bus ${eventBus}?`,
      keyStatus: () => canary.keyStatus(userName, accessKeyId),
      incident: () => review.get(incidentId),
    });
    await resolveDrillIncident(
      review,
      incidentId,
      caller.arn,
      `drill ${drillId} passed; canary ${userName} removed`,
      io.now,
    );
    say(`  incident ${incidentId} resolved (drill)`);
    result = { ...result, eventId, containedMs, responderMs: responderMs ?? null, resolved: true };
  } catch (error) {
    failure = error;
  } finally {
    try {
      const removed = await canary.remove(userName);
      say(`  canary removed: ${removed.length > 0 ? removed.join(", ") : "nothing was left"}`);
      result = { ...result, removed };
    } catch (error) {
      eprintln(
        io,
        `Could not remove the canary (${describeError(error)}). Remove it by hand: delete its access keys, inline and attached policies, then: aws iam delete-user --user-name ${userName}`,
      );
      failure ??= error;
    }
  }
  return finishDrill(session, failure, result);
}
