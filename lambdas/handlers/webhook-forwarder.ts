import {
  createWebhookForwarderHandler,
  parseWebhookForwarderConfig,
  webhookForwarderDeps,
} from "./webhook-forwarder-handler.js";

/** The deployed webhook forwarder. Cold start: configuration parsed once, the client built once. */
const config = parseWebhookForwarderConfig(process.env);
export const handler = createWebhookForwarderHandler(config, webhookForwarderDeps(config));
