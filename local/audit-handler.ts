import { Logger } from "@aws-lambda-powertools/logger";
import { parseAuditConfig } from "../lambdas/core/audit/config.js";
import { type AuditHandler, auditClients, createAuditHandler } from "../lambdas/handlers/audit-handler.js";
import { SERVICE_NAME } from "../lambdas/handlers/wiring.js";
import { motoClientConfig, type World } from "./world.js";

export interface LocalAuditOptions {
  /** More of the function's environment (AUDIT_ALERT_MODE, thresholds, ...) over the world's table and topic. */
  readonly env?: Record<string, string>;
  /** The audit's clock (default the real one): moto's keys are all new, so tests look from the future. */
  readonly now?: () => Date;
}

/**
 * The real audit handler, built by its factory as the deployed module builds it, with the world's
 * table and topic and its clients pointed at moto; the credential report polled every 10 ms.
 */
export function localAuditHandler(world: World, options: LocalAuditOptions = {}): AuditHandler {
  const config = parseAuditConfig({
    INCIDENT_TABLE_NAME: world.tableName,
    ALERT_TOPIC_ARN: world.topicArn,
    ...options.env,
  });
  return createAuditHandler(config, {
    ...auditClients(motoClientConfig(world.endpoint)),
    ...(options.now ? { now: options.now } : {}),
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: "ERROR" }),
    polling: { firstDelayMs: 10 },
  });
}
