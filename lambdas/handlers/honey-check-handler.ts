import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDbHoneyKeys } from "../adapters/dynamodb-honey.js";
import { IamHoneyKeys } from "../adapters/iam-honey.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { HONEY_CHECK_ENV } from "../core/contract.js";
import { type Env, number, optional, required, topicArn } from "../core/env.js";
import { ConfigError, describeError } from "../core/errors.js";
import { type HoneyCheckResult, runHoneyCheck } from "../core/honeykey/check.js";
import {
  DEFAULT_HONEY_PATH,
  DENY_ALL_POLICY_ARN,
  honeyPathProblem,
  LAST_USED_TOLERANCE_SECONDS,
} from "../core/honeykey/model.js";
import { logTo, type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

export interface HoneyCheckConfig {
  readonly incidentTableName: string;
  readonly alertTopicArn: string;
  readonly path: string;
  /** HONEY_LAST_USED_TOLERANCE_SECONDS: how far last-used may lie after a CloudTrail-seen use and be that use; default 300. */
  readonly toleranceSeconds: number;
}

/** Read once at cold start: a bad value fails it, naming the variable. */
export function parseHoneyCheckConfig(env: Env): HoneyCheckConfig {
  const path = optional(env, HONEY_CHECK_ENV.honeyKeyPath) ?? DEFAULT_HONEY_PATH;
  const problem = honeyPathProblem(path);
  if (problem)
    throw new ConfigError(`${HONEY_CHECK_ENV.honeyKeyPath}: ${problem}`, HONEY_CHECK_ENV.honeyKeyPath);
  return {
    incidentTableName: required(env, HONEY_CHECK_ENV.incidentTableName),
    alertTopicArn: topicArn(env, HONEY_CHECK_ENV.alertTopicArn),
    path,
    toleranceSeconds: number(env, HONEY_CHECK_ENV.lastUsedToleranceSeconds, LAST_USED_TOLERANCE_SECONDS, {
      min: 0,
      max: 86_400,
      integer: true,
    }),
  };
}

export interface HoneyCheckClients {
  readonly iam: IAMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly logger: Logger;
}

export function honeyCheckClients(sdk: SdkClientConfig = {}): HoneyCheckClients {
  return {
    iam: new IAMClient({ ...sdk }),
    dynamodb: new DynamoDBClient({ ...sdk }),
    sns: new SNSClient({ ...sdk }),
    logger: new Logger({ serviceName: SERVICE_NAME, persistentKeys: { function: "honey-check" } }),
  };
}

export type HoneyCheckHandler = (
  event: unknown,
  context?: { invokedFunctionArn?: string },
) => Promise<HoneyCheckResult>;

/**
 * The scheduled honey key safety net (the event's content is not used): GetAccessKeyLastUsed and
 * the deny-all policy of every honey key of the function's account. Failures are logged and thrown:
 * Lambda retries, the errors alarm fires.
 */
export function createHoneyCheckHandler(
  config: HoneyCheckConfig,
  clients: HoneyCheckClients,
): HoneyCheckHandler {
  const { logger } = clients;
  const deps = {
    store: new DynamoDbHoneyKeys(clients.dynamodb, config.incidentTableName),
    iam: new IamHoneyKeys(clients.iam),
    alerts: new SnsAlertPublisher(clients.sns, config.alertTopicArn),
    log: logTo(logger),
  };
  return async (_event, context) => {
    try {
      const result = await runHoneyCheck(context?.invokedFunctionArn?.split(":")[4], deps, {
        path: config.path,
        denyPolicyArns: [DENY_ALL_POLICY_ARN, DENY_ALL_POLICY_ARN.replace(":aws:", ":aws-us-gov:")],
        toleranceSeconds: config.toleranceSeconds,
      });
      logger.info("honey keys checked", { ...result });
      return result;
    } catch (error) {
      logger.error("honey check failed", { error: describeError(error) });
      throw error;
    }
  };
}
