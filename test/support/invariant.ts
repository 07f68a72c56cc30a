import { type AttributeValue, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { DEFAULT_QUARANTINE_POLICY_ARN } from "../../lambdas/core/config.js";
import { ACCOUNT_ID, type World } from "../../local/world.js";

/**
 * "The record never lies", checked against IAM for every incident in a world's table:
 *
 * - an incident whose status is `contained` holds its key: the key is Inactive in IAM; and when its
 *   actions since the last release say the quarantine policy is on the principal (attached by the
 *   responder, found attached, or taken over from another key's release), it is still attached;
 * - a key that is Active has an incident that is not contained: `released` with who and why, or
 *   `notified` (the responder only told people; the signals say why);
 * - no incident is left half-way through a release (`releasing`) once nothing is running.
 *
 * Reads raw items (not through the incident schema, which the fix changes): an incident is an item
 * with a string `accessKeyId` and a string `status`; other items (claims, fences, per-signal items)
 * are skipped. Returns one sentence per violation; [] when the records tell the truth.
 */
export interface InvariantOptions {
  /** The quarantine policy the responder attaches (the handler's QUARANTINE_POLICY_ARN). */
  readonly quarantinePolicyArn?: string;
}

type Raw = Record<string, unknown>;

/** Every item of the world's table, raw (DynamoDB's own paging followed). */
export async function scanItems(world: World): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await world.dynamo.send(
      new ScanCommand({ TableName: world.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The size of an item as its DynamoDB JSON (attribute names and typed values), in UTF-8 bytes. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Buffer.byteLength(JSON.stringify(item), "utf8");
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function list(value: unknown): Raw[] {
  return Array.isArray(value) ? value.filter((v): v is Raw => typeof v === "object" && v !== null) : [];
}

/** Actions since the last release or resolve marker (a later containment starts afresh). */
function sinceLastClose(actions: readonly Raw[]): Raw[] {
  let start = 0;
  actions.forEach((a, i) => {
    if (a.kind === "release" || a.kind === "resolve") start = i + 1;
  });
  return actions.slice(start);
}

/** Whether the incident's actions say the quarantine policy is on `principal` now, and which policy. */
function quarantineClaimed(actions: readonly Raw[], fallbackArn: string): string | undefined {
  let claimed: string | undefined;
  for (const a of sinceLastClose(actions)) {
    const undo = (a.undo ?? {}) as Raw;
    const arn = text(undo.policyArn) ?? fallbackArn;
    if (a.kind === "attach-quarantine-policy" && (a.outcome === "done" || a.outcome === "already"))
      claimed = arn;
    if (a.kind === "take-over-quarantine-policy" && a.outcome === "done") claimed = arn;
    if (
      (a.kind === "hand-over-quarantine-policy" || a.kind === "detach-quarantine-policy") &&
      a.outcome === "done"
    )
      claimed = undefined;
  }
  return claimed;
}

async function keyStatus(world: World, userName: string, accessKeyId: string): Promise<string | undefined> {
  try {
    return (await world.keyStatuses(userName))[accessKeyId];
  } catch (error) {
    if (error instanceof Error && error.name === "NoSuchEntityException") return undefined;
    throw error;
  }
}

async function attachedPolicies(world: World, userName: string): Promise<string[] | undefined> {
  try {
    return (await world.userState(userName)).attached;
  } catch (error) {
    if (error instanceof Error && error.name === "NoSuchEntityException") return undefined;
    throw error;
  }
}

async function violationsOf(world: World, incident: Raw, quarantineArn: string): Promise<string[]> {
  const id = text(incident.incidentId) ?? "?";
  const status = text(incident.status);
  const accessKeyId = text(incident.accessKeyId) ?? "";
  const principal = (incident.principal ?? {}) as Raw;
  const userName = principal.type === "user" ? text(principal.name) : undefined;
  const violations: string[] = [];
  if (status === "releasing") violations.push(`${id}: left releasing`);
  // Only a user's long-term key has a status in IAM.
  if (userName === undefined || !accessKeyId.startsWith("AKIA")) return violations;
  const key = await keyStatus(world, userName, accessKeyId);
  if (status === "contained" && key === "Active") {
    violations.push(`${id}: status contained, but key ${accessKeyId} is Active`);
  }
  if (key === "Active" && status !== "contained" && status !== "notified") {
    const releases = list(incident.releases);
    const last = releases[releases.length - 1];
    if (status !== "released" || last?.kind !== "release" || !text(last.reason)?.trim()) {
      violations.push(
        `${id}: key ${accessKeyId} is Active, but the record (status ${status}) does not say it was released and why`,
      );
    }
  }
  if (status === "contained") {
    const claimed = quarantineClaimed(list(incident.actions), quarantineArn);
    const attached = claimed === undefined ? undefined : await attachedPolicies(world, userName);
    if (claimed !== undefined && attached !== undefined && !attached.includes(claimed)) {
      violations.push(
        `${id}: status contained and its actions say ${claimed} is on user ${userName}, but it is not attached`,
      );
    }
  }
  return violations;
}

/** Every violation of the incident invariant in the world's table, one sentence each; [] when none. */
export async function checkIncidentInvariant(
  world: World,
  options: InvariantOptions = {},
): Promise<string[]> {
  const quarantineArn = options.quarantinePolicyArn ?? DEFAULT_QUARANTINE_POLICY_ARN;
  const incidents = (await scanItems(world))
    .map((item) => unmarshall(item) as Raw)
    .filter((item) => typeof item.accessKeyId === "string" && typeof item.status === "string")
    // Only the world's own account can be checked: its IAM is the one moto holds.
    .filter((item) => item.accountId === undefined || item.accountId === ACCOUNT_ID);
  const found = await Promise.all(incidents.map((incident) => violationsOf(world, incident, quarantineArn)));
  return found.flat().sort();
}
