import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FinalizeRequestMiddleware, MiddlewareStack } from "@smithy/types";
import { describe, expect, it, vi } from "vitest";
import type { RespondConfig } from "../../lambdas/core/config.js";
import { parseRespondConfig } from "../../lambdas/core/config.js";
import { earlyDisableTargetOf } from "../../lambdas/core/respond/early-disable.js";
import { normalizeEvent } from "../../lambdas/core/sources/registry.js";
import {
  WARM_UP_ACCESS_KEY_ID,
  WARM_UP_EVENTS,
  WARM_UP_USER,
} from "../../lambdas/core/sources/warm-up-events.js";
import {
  normalizeOptionsOf,
  type RespondClients,
  respondClients,
} from "../../lambdas/handlers/respond-handler.js";
import {
  dryRunFirstRoundTrip,
  rehearseSignals,
  warmRespondPath,
} from "../../lambdas/handlers/respond-warm-up.js";

const config = parseRespondConfig({
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
});

const sdk = {
  region: "us-east-1",
  endpoint: "http://127.0.0.1:9",
  credentials: async () => ({ accessKeyId: "testing", secretAccessKey: "testing" }),
};

/** Every request the clients would put on the wire, and every command that reached the last step before it. */
function watch(clients: RespondClients) {
  const sent: string[] = [];
  const signed: string[] = [];
  const instrument = <I extends object, O extends object>(client: {
    readonly config: unknown;
    readonly middlewareStack: MiddlewareStack<I, O>;
  }) => {
    (client.config as { requestHandler: unknown }).requestHandler = {
      handle: async (request: { hostname: string }) => {
        sent.push(request.hostname);
        throw new Error("must not be sent");
      },
    };
    const record: FinalizeRequestMiddleware<I, O> = (next, context) => async (args) => {
      signed.push(String(context.commandName));
      return next(args);
    };
    client.middlewareStack.add(record, { step: "finalizeRequest", priority: "low", name: "recordSigned" });
  };
  instrument(clients.iam);
  instrument(clients.dynamodb);
  instrument(clients.sns);
  instrument(clients.eventBridge);
  return { sent, signed };
}

describe("the warm-up events", () => {
  it("are each a signal respond contains at once: one exposure, disabled beside the reads", () => {
    const read = WARM_UP_EVENTS.map((event) => normalizeEvent(event, normalizeOptionsOf(config)));
    const exposures = read.flatMap((n) => (n.kind === "exposures" ? n.exposures : []));
    expect(exposures.map((e) => e.source)).toEqual(["guardduty", "trusted-advisor", "health"]);
    expect(exposures.map((e) => earlyDisableTargetOf(e, config))).toEqual(
      Array(3).fill({ userName: WARM_UP_USER, accessKeyId: WARM_UP_ACCESS_KEY_ID }),
    );
  });
});

describe("rehearseSignals", () => {
  it("reads every warm-up event through the path a real signal takes before its first request", () => {
    expect(rehearseSignals(config)).toBe(3);
  });

  it("never throws: a settings value that breaks the reading makes it read nothing", () => {
    const broken = { ...config, guardDutyPolicy: undefined } as unknown as RespondConfig;
    expect(rehearseSignals(broken)).toBe(0);
  });
});

describe("dryRunFirstRoundTrip", () => {
  it("builds and signs each command of the first round trip, and sends none", async () => {
    const clients = respondClients(sdk);
    const { sent, signed } = watch(clients);
    await dryRunFirstRoundTrip(config, clients);
    expect(signed.sort()).toEqual([
      "GetAccessKeyLastUsedCommand",
      "GetItemCommand",
      "ListAccessKeysCommand",
      "ListUserTagsCommand",
      "UpdateAccessKeyCommand",
    ]);
    expect(sent).toEqual([]);
  });
});

describe("warmRespondPath", () => {
  it("opens a connection for each request of the first round trip (IAM 3, DynamoDB 2) and sends no request", async () => {
    let connections = 0;
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.end();
    }).on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients = respondClients({ ...sdk, endpoint });
    await warmRespondPath(config, clients);
    await vi.waitFor(() => expect(connections).toBe(5));
    expect(requests).toEqual([]);
    expect([clients.sockets?.iam.waiting, clients.sockets?.dynamodb.waiting]).toEqual([3, 2]);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("leaves a failure to the first request: without credentials it still resolves, having sent nothing", async () => {
    const clients = respondClients({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: async () => {
        throw new Error("no credentials");
      },
    });
    const { sent } = watch(clients);
    await expect(warmRespondPath(config, clients)).resolves.toBeUndefined();
    expect(sent).toEqual([]);
  });
});
