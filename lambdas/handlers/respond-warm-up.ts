import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { HttpRequest } from "@smithy/types";
import type { RespondConfig } from "../core/config.js";
import { DEFAULT_HONEY_PATH } from "../core/honeykey/model.js";
import { honeyUseCandidateOf } from "../core/honeykey/use.js";
import { earlyDisableTargetOf } from "../core/respond/early-disable.js";
import { queueBatchOf } from "../core/sources/queue-batch.js";
import { normalizeEvent } from "../core/sources/registry.js";
import { WARM_UP_ACCESS_KEY_ID, WARM_UP_EVENTS, WARM_UP_USER } from "../core/sources/warm-up-events.js";
import { normalizeOptionsOf, type RespondClients } from "./respond-handler.js";
import { dryRunCommand } from "./warm-sdk.js";
import type { WarmSockets } from "./warm-sockets.js";

/**
 * Reads each warm-up event as a signal would be read before the first request: the queue batch
 * check (an EventBridge event is not one), the honey check, the envelope and the source's schema, its exposures, the early disable's decision. Pure; returns
 * how many exposures the events named (each event names one), or 0 when a step threw.
 */
export function rehearseSignals(config: RespondConfig): number {
  try {
    let exposures = 0;
    for (const event of WARM_UP_EVENTS) {
      queueBatchOf(event);
      honeyUseCandidateOf(event, config.honeyKeyPath ?? DEFAULT_HONEY_PATH);
      const normalized = normalizeEvent(event, normalizeOptionsOf(config));
      if (normalized.kind !== "exposures") continue;
      for (const exposure of normalized.exposures) {
        earlyDisableTargetOf(exposure, config);
        exposures++;
      }
    }
    return exposures;
  } catch {
    return 0;
  }
}

/** The requests the dry runs built: where IAM and DynamoDB send theirs. */
export interface FirstRoundTrip {
  readonly iam: HttpRequest | undefined;
  readonly dynamodb: HttpRequest | undefined;
}

/**
 * The rest of the first round trip, dry-run (built, serialized, signed, not sent: dryRunCommand)
 * with the inputs respond sends them with: the user's tags and keys, the disable, the key's owner
 * (Health events that do not name the user), the incident's and the signal's items.
 */
export async function dryRunFirstRoundTrip(
  config: RespondConfig,
  clients: RespondClients,
): Promise<FirstRoundTrip> {
  const user = { UserName: WARM_UP_USER };
  const key = { Key: marshall({ incidentId: "warm-up" }), ConsistentRead: true };
  const [iam, , , , dynamodb] = await Promise.all([
    dryRunCommand(clients.iam, new ListUserTagsCommand(user)),
    dryRunCommand(clients.iam, new ListAccessKeysCommand(user)),
    dryRunCommand(
      clients.iam,
      new UpdateAccessKeyCommand({ ...user, AccessKeyId: WARM_UP_ACCESS_KEY_ID, Status: "Inactive" }),
    ),
    dryRunCommand(clients.iam, new GetAccessKeyLastUsedCommand({ AccessKeyId: WARM_UP_ACCESS_KEY_ID })),
    dryRunCommand(clients.dynamodb, new GetItemCommand({ TableName: config.incidentTableName, ...key })),
  ]);
  return { iam, dynamodb };
}

/** The client's HTTP handler sends `request` into a sink (WarmSockets.rehearse): nothing reaches the network. */
async function rehearseRequest(
  client: { readonly config: { readonly requestHandler: unknown } },
  sockets: WarmSockets | undefined,
  request: HttpRequest | undefined,
): Promise<void> {
  const handler = client.config.requestHandler as { handle?: (r: HttpRequest) => Promise<unknown> };
  if (sockets === undefined || request === undefined || typeof handler.handle !== "function") return;
  await sockets.rehearse(() => handler.handle?.(request) ?? Promise.resolve());
}

/**
 * What the first signal of a container would otherwise do after handler entry, done during init:
 * its reading (rehearseSignals), its first round trip's commands (dryRunFirstRoundTrip), the
 * process's first HTTP request (into a sink), and a connection for each request of that round
 * trip (IAM 3, DynamoDB 2: WarmSockets). Best effort: no request reaches the network, and init
 * never fails on it; a failure is left to the first request.
 */
export async function warmRespondPath(config: RespondConfig, clients: RespondClients): Promise<void> {
  rehearseSignals(config);
  try {
    const built = await dryRunFirstRoundTrip(config, clients);
    await Promise.all([
      rehearseRequest(clients.iam, clients.sockets?.iam, built.iam),
      rehearseRequest(clients.dynamodb, clients.sockets?.dynamodb, built.dynamodb),
    ]);
    await Promise.all([
      built.iam && clients.sockets?.iam.preconnect(built.iam, 3),
      built.dynamodb && clients.sockets?.dynamodb.preconnect(built.dynamodb, 2),
    ]);
  } catch {
    // Best effort: the first request meets the failure, as it would have without the warm-up.
  }
}
