import type { Logger } from "@aws-lambda-powertools/logger";
import type { IAMClientConfig } from "@aws-sdk/client-iam";
import type { Log } from "../core/log.js";

/**
 * What every SDK client of a handler is built with. `{}` in Lambda: default configuration, so
 * AWS_REGION, AWS_ENDPOINT_URL and the execution role's credentials are honoured. The local drill,
 * the benchmarks and the tests pass moto's endpoint, region and dummy credentials instead.
 */
export type SdkClientConfig = Pick<IAMClientConfig, "endpoint" | "region" | "credentials">;

/** Service name of every log line of the responder's functions (written once, in the contract). */
export { SERVICE_NAME } from "../core/contract.js";

/** The `Log` port of core, written to a Powertools logger: a short fixed message, details as fields. */
export function logTo(logger: Logger): Log {
  return {
    info: (message: string, fields: Record<string, unknown> = {}) => logger.info(message, fields),
    warn: (message: string, fields: Record<string, unknown> = {}) => logger.warn(message, fields),
    error: (message: string, fields: Record<string, unknown> = {}) => logger.error(message, fields),
  };
}
