import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Logger } from "@aws-lambda-powertools/logger";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cachedSecretString } from "../../lambdas/adapters/secrets-manager.js";
import { ConfigError } from "../../lambdas/core/errors.js";
import { WebhookDeliveryError, webhookPayloadOf } from "../../lambdas/core/webhook.js";
import {
  createWebhookForwarderHandler,
  parseWebhookForwarderConfig,
  type SnsEvent,
} from "../../lambdas/handlers/webhook-forwarder-handler.js";
import { containedTopicMessage } from "../support/contained-alert.js";

/** A local incoming webhook: records each request, answers with `status`. */
let server: Server;
let base: string;
let status = 200;
let delayMs = 0;
const received: { method: string | undefined; type: string | undefined; body: unknown }[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    received.push({ method: req.method, type: req.headers["content-type"], body: JSON.parse(body) });
    setTimeout(() => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "invalid_payload");
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  status = 200;
  delayMs = 0;
});

const logger = new Logger({ serviceName: "test", logLevel: "SILENT" });
const alert = containedTopicMessage();
const event: SnsEvent = {
  Records: [{ Sns: { MessageId: "m1", Subject: alert.subject, Message: alert.message } }],
};

function forwarder(format: "slack" | "teams", timeoutMs = 2000) {
  return createWebhookForwarderHandler(
    { secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook", format, timeoutMs },
    {
      webhookUrl: async () => `${base}/hook`,
      logger,
    },
  );
}

describe("the webhook forwarder", () => {
  it("posts the alert as JSON in the app's format; a 2xx answer is done", async () => {
    for (const format of ["slack", "teams"] as const) {
      received.length = 0;
      await expect(forwarder(format)(event)).resolves.toEqual({ delivered: 1 });
      expect(received).toEqual([
        { method: "POST", type: "application/json", body: webhookPayloadOf(format, alert) },
      ]);
    }
  });

  it("throws on a 500 (Lambda retries, then the DLQ), naming the status", async () => {
    status = 500;
    const error = await forwarder("slack")(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookDeliveryError);
    expect(error).toMatchObject({ status: 500, message: "the slack webhook answered 500: invalid_payload" });
    expect(received).toHaveLength(1);
  });

  it("throws when the webhook does not answer within the timeout", async () => {
    delayMs = 500;
    const error = await forwarder("teams", 100)(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookDeliveryError);
    expect(error).toMatchObject({ status: undefined, message: "the teams webhook could not be reached" });
  });
});

describe("parseWebhookForwarderConfig", () => {
  it("reads the secret ARN, the format and the timeout", () => {
    expect(
      parseWebhookForwarderConfig({
        WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook",
        WEBHOOK_FORMAT: "teams",
        WEBHOOK_TIMEOUT_MS: "3000",
      }),
    ).toEqual({
      secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook",
      format: "teams",
      timeoutMs: 3000,
    });
  });

  it("fails the cold start on a missing secret or an unknown format, naming the variable", () => {
    expect(() => parseWebhookForwarderConfig({ WEBHOOK_FORMAT: "slack" })).toThrow(ConfigError);
    expect(() => parseWebhookForwarderConfig({ WEBHOOK_FORMAT: "slack" })).toThrow(
      "WEBHOOK_SECRET_ARN must be set",
    );
    expect(() =>
      parseWebhookForwarderConfig({ WEBHOOK_SECRET_ARN: "arn:x", WEBHOOK_FORMAT: "discord" }),
    ).toThrow('WEBHOOK_FORMAT is "discord"; allowed: slack, teams');
  });
});

describe("cachedSecretString", () => {
  it("reads the secret once per container, and again after a failed read", async () => {
    const calls: unknown[] = [];
    let fail = true;
    const client = {
      send: async (command: { input: unknown }) => {
        calls.push(command.input);
        if (fail) throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
        return { SecretString: "https://hooks.slack.com/services/T0/B0/x" };
      },
    } as unknown as SecretsManagerClient;
    const read = cachedSecretString(client, "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook");
    await expect(read()).rejects.toThrow();
    fail = false;
    await expect(read()).resolves.toBe("https://hooks.slack.com/services/T0/B0/x");
    await expect(read()).resolves.toBe("https://hooks.slack.com/services/T0/B0/x");
    expect(calls).toEqual([
      { SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook" },
      { SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook" },
    ]);
  });
});
