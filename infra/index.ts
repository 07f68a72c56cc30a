// The package root: `import { LeakedKeyResponder, LeakedKeyResponderStack } from "leaked-key-responder"`.
export type { AlertMode } from "../lambdas/core/audit/digest.js";
export type { ResponseMode } from "../lambdas/core/vocabulary.js";
export type { WebhookFormat } from "../lambdas/core/webhook.js";
export type { AuditProps } from "./audit.js";
export {
  LeakedKeyResponder,
  type LeakedKeyResponderProps,
  type SlackChannel,
  type TeamsChannel,
  UNRESERVED,
} from "./leaked-key-responder.js";
export { DEFAULT_HOME_REGION, LeakedKeyResponderStack, type LeakedKeyResponderStackProps } from "./stack.js";
export type { WebhookSetting, WebhookTarget } from "./webhook-forwarder.js";
