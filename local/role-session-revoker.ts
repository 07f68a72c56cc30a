import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { fromLiftAnswer, fromRevokerAnswer } from "../lambdas/adapters/lambda-role-revoker.js";
import type {
  RoleSessionLift,
  RoleSessionLifter,
  RoleSessionRevocation,
  RoleSessionRevoker,
} from "../lambdas/core/ports.js";
import {
  createRoleSessionRevokerHandler,
  roleSessionRevokerClients,
} from "../lambdas/handlers/revoke-role-sessions-handler.js";
import { SERVICE_NAME } from "../lambdas/handlers/wiring.js";
import { motoClientConfig } from "./world.js";

export interface LocalRevokerOptions {
  /** The revoker's MEMBER_ROLE_NAME: it reaches member accounts through their revoker role. */
  readonly memberRoleName?: string | undefined;
  /** The member account the requests name (as the respond function names it); undefined: the home account. */
  readonly accountId?: string | undefined;
}

/**
 * The real role-session revoker handler, run in-process against moto (which cannot invoke a
 * Lambda function without Docker): the request and the answer still cross a JSON boundary, and
 * the answer is read by the same code as the Lambda adapter's.
 */
export function localRoleSessionRevoker(
  endpoint: string,
  logLevel: LogLevel = "ERROR",
  options: LocalRevokerOptions = {},
): RoleSessionRevoker & RoleSessionLifter {
  const handler = createRoleSessionRevokerHandler(
    {
      ...roleSessionRevokerClients(motoClientConfig(endpoint)),
      logger: new Logger({ serviceName: SERVICE_NAME, logLevel }),
    },
    { memberRoleName: options.memberRoleName },
  );
  const across = async (request: unknown) =>
    JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(request)))));
  const account = options.accountId === undefined ? {} : { accountId: options.accountId };
  return {
    async revoke(request: RoleSessionRevocation) {
      return fromRevokerAnswer(await across({ ...request, ...account }));
    },
    async lift(request: RoleSessionLift) {
      return fromLiftAnswer(await across({ lift: true, ...request }));
    },
  };
}
