import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { parseRespondConfig } from "../lambdas/core/config.js";
import type { MetricsSink } from "../lambdas/core/response-metrics.js";
import {
  createRespondHandler,
  type RespondHandler,
  respondClients,
} from "../lambdas/handlers/respond-handler.js";
import { SERVICE_NAME } from "../lambdas/handlers/wiring.js";
import { localRoleSessionRevoker } from "./role-session-revoker.js";
import { motoClientConfig, type World } from "./world.js";

export interface LocalRespondOptions {
  /** More of the function's environment (EXEMPT_PRINCIPALS, RESPONSE_MODE, ...) over the world's. */
  readonly env?: Record<string, string>;
  /** Where the handler's clients send their calls; default the world's moto (a proxy in front of it in tests). */
  readonly endpoint?: string;
  /** Default `ERROR`. */
  readonly logLevel?: LogLevel;
  /** Where the handler's metrics go; default nowhere (Powertools would print them on stdout). */
  readonly metrics?: MetricsSink;
}

/**
 * The real respond handler, built by its factory as the deployed module builds it, with the
 * world's table and topic and its clients pointed at moto. Each call is a new Lambda container.
 */
export function localRespondHandler(world: World, options: LocalRespondOptions = {}): RespondHandler {
  const config = parseRespondConfig(world.env(options.env));
  const endpoint = options.endpoint ?? world.endpoint;
  return createRespondHandler(config, {
    ...respondClients(motoClientConfig(endpoint)),
    roleSessionRevoker: localRoleSessionRevoker(endpoint, options.logLevel ?? "ERROR"),
    memberRoleSessionRevoker: (accountId) =>
      localRoleSessionRevoker(endpoint, options.logLevel ?? "ERROR", {
        memberRoleName: config.memberRoleName,
        accountId,
      }),
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: options.logLevel ?? "ERROR" }),
    metrics: options.metrics ?? { record: () => {} },
  });
}
