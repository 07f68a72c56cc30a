import { keyKindOf } from "./access-key.js";
import { containmentFailed } from "./containment.js";
import {
  AwsCallError,
  describeError,
  IncompleteResponseError,
  NoSuchEntityError,
  TransientAwsError,
} from "./errors.js";
import { type Exposure, isSeverity, maxSeverity } from "./exposure.js";
import {
  type ActionOutcome,
  type ActionRecord,
  type Incident,
  principalRecordOf,
  signalRecordOf,
} from "./incident.js";
import { renderAlert } from "./notification.js";
import {
  alertReceiptOf,
  DRILL_TAG,
  EXEMPT_TAG,
  type PrincipalFacts,
  planResponse,
  quarantineTagKey,
  type ResponseMode,
  type ResponsePlan,
  type Step,
} from "./plan.js";
import type { AlertPublisher, EventPublisher, IamPort, IamPortFor, IncidentStore } from "./ports.js";

/** The few logger methods the core uses (Powertools' Logger has them). */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface RespondSettings {
  readonly mode: ResponseMode;
  readonly quarantinePolicyArn: string;
  readonly exemptPrincipals: readonly string[];
  readonly stackName: string;
}

export interface RespondDeps {
  readonly iamFor: IamPortFor;
  readonly incidents: IncidentStore;
  readonly alerts: AlertPublisher;
  readonly events: EventPublisher;
  readonly now: () => Date;
  readonly settings: RespondSettings;
  readonly log: Log;
  /** Alerts this container sent while the incident table was unreachable (see sendAlertOnce). */
  readonly unrecordedAlerts: Pick<Set<string>, "has" | "add" | "delete">;
}

export interface ExposureOutcome {
  readonly incidentId: string;
  readonly decision: ResponsePlan["decision"];
  readonly actions: readonly ActionRecord[];
  readonly alerted: boolean;
}

function needsPrincipalLookup(exposure: Exposure): boolean {
  if (exposure.sample || exposure.intent === "notify") return false;
  return exposure.principal.type === "user" || exposure.principal.type === "role";
}

/** IAM keeps one tag per key whatever its case (`Leaked-Key-Responder:Exempt` is the same tag). */
function hasTag(tags: Readonly<Record<string, string>>, key: string): boolean {
  return Object.entries(tags).some(([k, v]) => k.toLowerCase() === key && v === "true");
}

function userFacts(
  name: string,
  tags: Readonly<Record<string, string>>,
  keyStatus: "Active" | "Inactive" | "absent" | "session",
  accessKeyId: string,
): PrincipalFacts {
  return {
    kind: "user",
    name,
    exempt: hasTag(tags, EXEMPT_TAG),
    drillCanary: hasTag(tags, DRILL_TAG),
    keyStatus,
    quarantineMark: tags[quarantineTagKey(accessKeyId)],
  };
}

/** Who owns the key and may it be touched: at most two IAM reads, none for signals that only notify. */
async function lookUpPrincipal(exposure: Exposure, iam: IamPort): Promise<PrincipalFacts> {
  const p = exposure.principal;
  try {
    if (p.type === "role") {
      const { tags } = await iam.describeRole(p.name);
      return {
        kind: "role",
        name: p.name,
        exempt: hasTag(tags, EXEMPT_TAG),
        quarantineMark: tags[quarantineTagKey(exposure.accessKeyId)],
      };
    }
    if (p.type !== "user") return { kind: "not-looked-up" };
    if (keyKindOf(exposure.accessKeyId) === "session") {
      // IAM neither lists session keys nor knows their owner: the signal must name the user.
      if (p.name === undefined)
        return { kind: "not-found", what: `owner of session key ${exposure.accessKeyId}` };
      const { tags } = await iam.describeUser(p.name, exposure.accessKeyId);
      return userFacts(p.name, tags, "session", exposure.accessKeyId);
    }
    let name = p.name ?? (await iam.findKeyOwner(exposure.accessKeyId));
    if (name === undefined) return { kind: "not-found", what: `access key ${exposure.accessKeyId}` };
    let { tags, keyStatus } = await iam.describeUser(name, exposure.accessKeyId).catch((error: unknown) => {
      if (p.name !== undefined && error instanceof NoSuchEntityError) {
        return { tags: {} as Record<string, string>, keyStatus: "absent" as const };
      }
      throw error;
    });
    if (keyStatus === "absent" && p.name !== undefined) {
      // The signal named a user who does not hold the key: act on the key's real owner, if any.
      const owner = await iam.findKeyOwner(exposure.accessKeyId);
      if (owner === undefined) return { kind: "not-found", what: `access key ${exposure.accessKeyId}` };
      if (owner !== name) {
        name = owner;
        ({ tags, keyStatus } = await iam.describeUser(owner, exposure.accessKeyId));
      }
    }
    return userFacts(name, tags, keyStatus, exposure.accessKeyId);
  } catch (error) {
    if (error instanceof NoSuchEntityError)
      return { kind: "not-found", what: `${p.type} ${"name" in p ? p.name : ""}`.trim() };
    if (error instanceof TransientAwsError) throw error; // nothing done yet: let EventBridge retry the whole event
    return { kind: "lookup-failed", error: describeError(error) };
  }
}

function outcomeOf(error: unknown): { outcome: ActionOutcome; detail: string; retry: boolean } {
  if (error instanceof NoSuchEntityError)
    return { outcome: "not-found", detail: error.message, retry: false };
  if (error instanceof AwsCallError) return { outcome: "failed", detail: error.message, retry: false };
  return { outcome: "failed", detail: describeError(error), retry: true };
}

function targetOf(step: Step): string {
  switch (step.kind) {
    case "disable-key":
      return `${step.accessKeyId} (user ${step.userName})`;
    case "attach-quarantine-policy":
    case "revoke-sessions":
    case "tag-principal":
      return `${step.target.type} ${step.target.name}`;
    case "record-incident":
    case "notify":
    case "emit-contained-event":
      return step.incidentId;
  }
}

/** Normalized exposure → plan → contain → record → fence → notify → emit. Only IAM, DynamoDB, SNS
 * and EventBridge calls happen here, each behind a port; failures are recorded, and the ones a
 * retry can fix make the invocation fail at the end (after the alert went out). */
export async function respondToExposure(exposure: Exposure, deps: RespondDeps): Promise<ExposureOutcome> {
  const { settings, log } = deps;
  const receivedAt = deps.now().toISOString();
  let iam: IamPort | undefined;
  let iamUnavailable: PrincipalFacts | undefined;
  if (needsPrincipalLookup(exposure)) {
    try {
      iam = await deps.iamFor(exposure.accountId);
    } catch (error) {
      // No way into the key's account (e.g. no member role): record and alert, change nothing.
      if (error instanceof TransientAwsError) throw error;
      iamUnavailable = { kind: "lookup-failed", error: describeError(error) };
    }
  }
  let storeFailure: unknown;
  const [incident, facts] = await Promise.all([
    deps.incidents
      .get(`${exposure.accountId}-${exposure.accessKeyId}`)
      .catch((error: unknown): Incident | undefined => {
        storeFailure = error; // contain anyway: a store outage must not keep a leaked key active
        log.error("incident lookup failed", { error: describeError(error) });
        return undefined;
      }),
    iam
      ? lookUpPrincipal(exposure, iam)
      : Promise.resolve<PrincipalFacts>(iamUnavailable ?? { kind: "not-looked-up" }),
  ]);

  const plan = planResponse(exposure, {
    mode: settings.mode,
    now: receivedAt,
    quarantinePolicyArn: settings.quarantinePolicyArn,
    exemptPrincipals: settings.exemptPrincipals,
    incident,
    facts,
  });
  log.info("plan", {
    incidentId: plan.incidentId,
    decision: plan.decision,
    steps: plan.steps.map((s) => s.kind),
    reasons: plan.reasons,
    withheld: plan.withheld.map((s) => s.kind),
  });
  if (plan.decision === "duplicate")
    return { incidentId: plan.incidentId, decision: plan.decision, actions: [], alerted: false };

  const principalName =
    facts.kind === "user" || facts.kind === "role"
      ? facts.name
      : exposure.principal.type === "user" || exposure.principal.type === "role"
        ? exposure.principal.name
        : undefined;
  const principal =
    principalName !== undefined && exposure.principal.type === "user"
      ? { type: "user", name: principalName }
      : principalRecordOf(exposure.principal);
  const actions: ActionRecord[] = [];
  const retryable: string[] = [];
  let recorded = false;
  let recordedCount = 0;
  let alerted = false;

  const run = async (
    step: Step,
    body: () => Promise<{ outcome: ActionOutcome; undo?: Record<string, string>; detail?: string }>,
  ) => {
    const at = deps.now().toISOString();
    let record: ActionRecord;
    try {
      const result = await body();
      record = { kind: step.kind, target: targetOf(step), at, signalId: exposure.signalId, ...result };
    } catch (error) {
      const { outcome, detail, retry } = outcomeOf(error);
      if (retry) retryable.push(step.kind);
      record = { kind: step.kind, target: targetOf(step), at, signalId: exposure.signalId, outcome, detail };
    }
    log.info("action", { ...record });
    return record;
  };

  for (const step of plan.steps) {
    switch (step.kind) {
      case "disable-key":
        actions.push(
          await run(step, async () => {
            await (iam as IamPort).disableKey(step.userName, step.accessKeyId);
            return step.previousStatus === "Inactive"
              ? { outcome: "already", undo: { previousStatus: "Inactive" } }
              : { outcome: "done", undo: { previousStatus: step.previousStatus } };
          }),
        );
        break;
      case "record-incident":
        try {
          await deps.incidents.recordSignal({
            incidentId: plan.incidentId,
            accountId: exposure.accountId,
            accessKeyId: exposure.accessKeyId,
            principal,
            // An incident keeps the worst severity any of its signals had.
            severity: maxSeverity(plan.severity, isSeverity(incident?.severity) ? incident.severity : "low"),
            // A failed containment is not an open (contained) incident; a notification never
            // overwrites a status an earlier containment or an operator set.
            status: containmentFailed(actions) ? (incident?.status ?? "notified") : plan.status,
            statusIfNew: plan.decision !== "contain" || containmentFailed(actions),
            mode: settings.mode,
            sample: exposure.sample,
            signal: signalRecordOf(exposure, receivedAt, plan.severity, plan.decision, plan.reasons),
            actions,
            now: deps.now().toISOString(),
          });
          recorded = true;
          recordedCount = actions.length;
        } catch (error) {
          storeFailure ??= error;
          log.error("incident record failed", { error: describeError(error) });
        }
        break;
      case "attach-quarantine-policy":
        actions.push(
          await run(step, async () => {
            const result = await (iam as IamPort).attachPolicy(step.target, step.policyArn);
            return result === "attached"
              ? { outcome: "done", undo: { policyArn: step.policyArn } }
              : {
                  outcome: "already",
                  detail:
                    "already attached (by an earlier quarantine of another key, or by someone else): this incident's release leaves it",
                };
          }),
        );
        break;
      case "revoke-sessions":
        actions.push(
          await run(step, async () => {
            // Sessions issued up to now — after the key was disabled, not when the signal arrived.
            const issuedBefore = deps.now().toISOString();
            await (iam as IamPort).putDenyOlderSessions(step.target, step.policyName, issuedBefore);
            return {
              outcome: "done",
              detail: `sessions issued before ${issuedBefore}`,
              undo: { policyName: step.policyName },
            };
          }),
        );
        break;
      case "tag-principal":
        actions.push(
          await run(step, async () => {
            await (iam as IamPort).tagPrincipal(step.target, step.tags);
            return { outcome: "done", undo: { tagKeys: Object.keys(step.tags).join(",") } };
          }),
        );
        break;
      case "notify":
        alerted = await sendAlertOnce(
          exposure,
          plan,
          principalName,
          actions,
          deps,
          storeFailure !== undefined || !recorded,
          durableReceipt(exposure, plan, facts, iam, deps),
        ).catch((error: unknown) => {
          retryable.push("notify");
          log.error("alert failed", { error: describeError(error) });
          return false;
        });
        break;
      case "emit-contained-event":
        try {
          await deps.events.emitContained({
            incidentId: plan.incidentId,
            accountId: exposure.accountId,
            region: exposure.region,
            accessKeyId: exposure.accessKeyId,
            principal,
            signal: exposure.signal,
            severity: plan.severity,
            containedAt: receivedAt,
            ...(Number.isNaN(Date.parse(exposure.observedAt)) ? {} : { observedAt: exposure.observedAt }),
          });
        } catch (error) {
          retryable.push("emit-contained-event");
          log.error("contained event not emitted", { error: describeError(error) });
        }
        break;
      default: {
        const unreachable: never = step;
        throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
      }
    }
  }

  if (recorded) {
    // The last write: what was done after the record, and — when nothing needs a retry — that
    // this signal is complete, so a re-delivery does nothing.
    const complete = retryable.length === 0 && storeFailure === undefined && !containmentFailed(actions);
    try {
      await deps.incidents.appendActions(
        plan.incidentId,
        actions.slice(recordedCount),
        deps.now().toISOString(),
        complete ? exposure.signalId : undefined,
      );
    } catch (error) {
      storeFailure ??= error;
      log.error("incident actions not recorded", { error: describeError(error) });
    }
  }
  if (storeFailure !== undefined) retryable.push("record-incident");
  // A key that could not be contained fails the invocation: Lambda retries it, the errors alarm
  // fires and, if it keeps failing, the DLQ keeps the event.
  if (containmentFailed(actions)) retryable.push("containment");
  if (retryable.length > 0) {
    throw new IncompleteResponseError(plan.incidentId, [...new Set(retryable)], { cause: storeFailure });
  }
  return { incidentId: plan.incidentId, decision: plan.decision, actions, alerted };
}

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
function durableReceipt(
  exposure: Exposure,
  plan: ResponsePlan,
  facts: PrincipalFacts,
  iam: IamPort | undefined,
  deps: RespondDeps,
): DurableReceipt | undefined {
  if (plan.decision !== "contain" || iam === undefined || (facts.kind !== "user" && facts.kind !== "role")) {
    return undefined;
  }
  const mark = alertReceiptOf(exposure.signalId);
  const target = { type: facts.kind, name: facts.name } as const;
  return {
    alreadySent: facts.quarantineMark?.split(" ").includes(mark) ?? false,
    keep: () =>
      iam.tagPrincipal(target, {
        [quarantineTagKey(exposure.accessKeyId)]: `${plan.incidentId} ${deps.now().toISOString()} ${mark}`,
      }),
  };
}

/**
 * One alert per signal: claim it on the incident, publish, give the claim back if publishing fails.
 * When the table cannot be reached the alert goes out anyway (a duplicate beats silence) and is
 * remembered in this container, so a retry landing here records it without alerting again.
 */
async function sendAlertOnce(
  exposure: Exposure,
  plan: ResponsePlan,
  principalName: string | undefined,
  actions: readonly ActionRecord[],
  deps: RespondDeps,
  storeDown: boolean,
  durable: DurableReceipt | undefined,
): Promise<boolean> {
  const receipt = `${plan.incidentId} ${exposure.signalId}`;
  let recorded = !storeDown;
  if (recorded) {
    try {
      if (!(await deps.incidents.claimAlert(plan.incidentId, exposure.signalId))) {
        deps.log.info("alert already sent for this signal", { signalId: exposure.signalId });
        return false;
      }
    } catch (error) {
      deps.log.error("alert claim failed, alerting anyway", { error: describeError(error) });
      recorded = false;
    }
  }
  if (deps.unrecordedAlerts.has(receipt) || durable?.alreadySent) {
    // Sent by an earlier attempt while the table was down; the claim above has now recorded it.
    if (recorded) deps.unrecordedAlerts.delete(receipt);
    else await durable?.keep().catch(() => undefined);
    deps.log.info("alert sent by an earlier attempt", { signalId: exposure.signalId });
    return false;
  }
  const alert = renderAlert({
    exposure,
    plan,
    principalName,
    actions,
    mode: deps.settings.mode,
    stackName: deps.settings.stackName,
  });
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
