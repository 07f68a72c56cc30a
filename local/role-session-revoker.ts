import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { fromRevokerAnswer } from "../lambdas/adapters/lambda-role-revoker.js";
import type { RoleSessionRevocation, RoleSessionRevoker } from "../lambdas/core/ports.js";
import {
  createRoleSessionRevokerHandler,
  roleSessionRevokerClients,
} from "../lambdas/handlers/revoke-role-sessions-handler.js";
import { SERVICE_NAME } from "../lambdas/handlers/wiring.js";
import { motoClientConfig } from "./world.js";

/**
 * The real role-session revoker handler, run in-process against moto (which cannot invoke a
 * Lambda function without Docker): the request and the answer still cross a JSON boundary, and
 * the answer is read by the same code as the Lambda adapter's.
 */
export function localRoleSessionRevoker(endpoint: string, logLevel: LogLevel = "ERROR"): RoleSessionRevoker {
  const handler = createRoleSessionRevokerHandler({
    ...roleSessionRevokerClients(motoClientConfig(endpoint)),
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel }),
  });
  return {
    async revoke(request: RoleSessionRevocation) {
      const answer = await handler(JSON.parse(JSON.stringify(request)));
      return fromRevokerAnswer(JSON.parse(JSON.stringify(answer)));
    },
  };
}
