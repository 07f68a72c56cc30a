import { Logger } from "@aws-lambda-powertools/logger";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { cachedSecretString } from "../adapters/secrets-manager.js";
import { WEBHOOK_ENV } from "../core/contract.js";
import { type Env, number, oneOf, required } from "../core/env.js";
import { describeError } from "../core/errors.js";
import {
  WEBHOOK_FORMATS,
  WebhookDeliveryError,
  type WebhookFormat,
  webhookPayloadOf,
  webhookUrlOf,
} from "../core/webhook.js";
import { type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

export interface WebhookForwarderConfig {
  readonly secretArn: string;
  readonly format: WebhookFormat;
  /** WEBHOOK_TIMEOUT_MS: how long one POST may take; default 5000. */
  readonly timeoutMs: number;
}

/** Read once at cold start: a bad value fails it, naming the variable. */
export function parseWebhookForwarderConfig(env: Env): WebhookForwarderConfig {
  return {
    secretArn: required(env, WEBHOOK_ENV.secretArn),
    format: oneOf(env, WEBHOOK_ENV.format, WEBHOOK_FORMATS, "slack"),
    timeoutMs: number(env, WEBHOOK_ENV.timeoutMs, 5000, { min: 100, max: 60_000, integer: true }),
  };
}

export interface WebhookForwarderDeps {
  /** The incoming-webhook URL (production: the secret's string, read once per container). */
  readonly webhookUrl: () => Promise<string>;
  readonly logger: Logger;
}

export function webhookForwarderDeps(
  config: WebhookForwarderConfig,
  sdk: SdkClientConfig = {},
): WebhookForwarderDeps {
  const secret = cachedSecretString(new SecretsManagerClient({ ...sdk }), config.secretArn);
  return {
    webhookUrl: async () => webhookUrlOf(await secret()),
    logger: new Logger({ serviceName: SERVICE_NAME, persistentKeys: { function: "webhook-forwarder" } }),
  };
}

/** The part of an SNS event the forwarder reads. */
export interface SnsEvent {
  readonly Records: readonly {
    readonly Sns: { readonly MessageId?: string; readonly Subject?: string | null; readonly Message: string };
  }[];
}

export type WebhookForwarderHandler = (event: SnsEvent) => Promise<{ delivered: number }>;

/**
 * Posts each alert-topic message to the webhook in its app's format. A status other than 2xx, a
 * timeout or a network error throws: SNS invoked the function asynchronously, so Lambda retries
 * twice and then keeps the event in the forwarder's DLQ (and its alarms fire).
 */
export function createWebhookForwarderHandler(
  config: WebhookForwarderConfig,
  deps: WebhookForwarderDeps,
): WebhookForwarderHandler {
  const { logger } = deps;
  return async (event) => {
    let delivered = 0;
    for (const record of event.Records) {
      const messageId = record.Sns.MessageId;
      try {
        const url = await deps.webhookUrl();
        const body = webhookPayloadOf(config.format, {
          subject: record.Sns.Subject ?? undefined,
          message: record.Sns.Message,
        });
        let response: Response;
        try {
          response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(config.timeoutMs),
          });
        } catch (error) {
          throw new WebhookDeliveryError(`the ${config.format} webhook could not be reached`, undefined, {
            cause: error,
          });
        }
        const answer = await response.text().catch(() => "");
        if (!response.ok) {
          throw new WebhookDeliveryError(
            `the ${config.format} webhook answered ${response.status}: ${answer.slice(0, 200)}`,
            response.status,
          );
        }
        delivered += 1;
        logger.info("alert forwarded", { messageId, format: config.format, status: response.status });
      } catch (error) {
        logger.error("alert not forwarded", {
          messageId,
          format: config.format,
          error: describeError(error),
        });
        throw error;
      }
    }
    return { delivered };
  };
}
