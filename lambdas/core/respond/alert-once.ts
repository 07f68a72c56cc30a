import { alertFormOf, renderSignalUpdate } from "../alert-update.js";
import { describeError } from "../errors.js";
import { renderAlert } from "../notification.js";
import { alertReceiptOf, quarantineTagKey } from "../plan.js";
import type { Execution } from "./execution.js";

/** An alert receipt that outlives the container: kept in the fenced principal's quarantine tag. */
interface DurableReceipt {
  readonly alreadySent: boolean;
  keep(): Promise<void>;
}

/**
 * For a containment, the principal's quarantine tag (written by the tag step, removed by a release)
 * can carry the receipt of an alert sent while the incident table was down, so a retry in another
 * container does not alert again. Notifications change nothing in IAM, so they have none.
 */
function durableReceipt(run: Execution): DurableReceipt | undefined {
  const { exposure, plan, lookup } = run;
  const { facts, iam } = lookup;
  if (plan.decision !== "contain" || iam === undefined || (facts.kind !== "user" && facts.kind !== "role")) {
    return undefined;
  }
  const mark = alertReceiptOf(exposure.signalId);
  const target = { type: facts.kind, name: facts.name } as const;
  return {
    alreadySent: facts.quarantineMark?.split(" ").includes(mark) ?? false,
    keep: () =>
      iam.tagPrincipal(target, {
        [quarantineTagKey(exposure.accessKeyId)]: `${plan.incidentId} ${run.now()} ${mark}`,
      }),
  };
}

/** Claims the alert on the incident: false when another attempt has it; undefined when the table is out of reach. */
async function claim(run: Execution): Promise<boolean | undefined> {
  if (run.storeFailure !== undefined || run.recordedCount === undefined) return undefined;
  try {
    return await run.deps.incidents.claimAlert(run.plan.incidentId, run.exposure.signalId);
  } catch (error) {
    run.log.error("alert claim failed, alerting anyway", { error: describeError(error) });
    return undefined;
  }
}

/**
 * One alert per signal: claim it on the incident, publish, give the claim back if publishing fails.
 * When the table cannot be reached the alert goes out anyway (a duplicate beats silence) and is
 * remembered in this container, so a retry landing here records it without alerting again.
 */
export async function sendAlertOnce(run: Execution): Promise<boolean> {
  const { exposure, plan, deps } = run;
  const receipt = `${plan.incidentId} ${exposure.signalId}`;
  const claimed = await claim(run);
  if (claimed === false) {
    deps.log.info("alert already sent for this signal", { signalId: exposure.signalId });
    return false;
  }
  const recorded = claimed === true;
  const durable = durableReceipt(run);
  if (deps.unrecordedAlerts.has(receipt) || durable?.alreadySent) {
    // Sent by an earlier attempt while the table was down; the claim above has now recorded it.
    if (recorded) deps.unrecordedAlerts.delete(receipt);
    else await durable?.keep().catch(() => undefined);
    deps.log.info("alert sent by an earlier attempt", { signalId: exposure.signalId });
    return false;
  }
  const principalName =
    run.principal.type === "user" || run.principal.type === "role" ? run.principal.name : undefined;
  const input = {
    exposure,
    plan,
    principalName,
    actions: run.actions,
    mode: deps.settings.mode,
    stackName: deps.settings.stackName,
  };
  // A later signal about a contained key is an update of its incident's thread, never lower in severity.
  const form = alertFormOf(input, run.lookup.incident);
  const alert =
    form.form === "update"
      ? renderSignalUpdate(input, form.severity)
      : renderAlert({ ...input, plan: { ...plan, severity: form.severity } });
  try {
    await deps.alerts.publish(alert);
  } catch (error) {
    if (recorded)
      await deps.incidents.releaseAlertClaim(plan.incidentId, exposure.signalId).catch(() => undefined);
    throw error;
  }
  if (!recorded) {
    deps.unrecordedAlerts.add(receipt);
    await durable?.keep().catch((error: unknown) => {
      deps.log.error("alert receipt not kept", { error: describeError(error) });
    });
  }
  deps.log.info("alert sent", { subject: alert.subject });
  return true;
}
