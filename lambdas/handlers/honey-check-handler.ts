import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { DynamoDbHoneyKeys } from "../adapters/dynamodb-honey.js";
import { IamHoneyKeys } from "../adapters/iam-honey.js";
import { SnsAlertPublisher } from "../adapters/sns-alerts.js";
import { MemberAccounts } from "../adapters/sts-member-accounts.js";
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
import type { HoneyIamReader } from "../core/honeykey/ports.js";
import { logTo, type SdkClientConfig, SERVICE_NAME } from "./wiring.js";

export interface HoneyCheckConfig {
  readonly incidentTableName: string;
  readonly alertTopicArn: string;
  readonly path: string;
  /** HONEY_LAST_USED_TOLERANCE_SECONDS: how far last-used may lie after a CloudTrail-seen use and be that use; default 300. */
  readonly toleranceSeconds: number;
  /** MEMBER_ROLE_NAME: honey keys of member accounts are read through it; unset: this account's only. */
  readonly memberRoleName?: string | undefined;
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
    memberRoleName: optional(env, HONEY_CHECK_ENV.memberRoleName),
  };
}

export interface HoneyCheckClients {
  readonly iam: IAMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly logger: Logger;
  /** Organization deployments: STS of the home account (the member roles are assumed with it). */
  readonly sts?: () => STSClient;
  /** IAM of a member account, as its member role. */
  readonly memberIam?: (credentials: AwsCredentialIdentityProvider) => IAMClient;
}

export function honeyCheckClients(sdk: SdkClientConfig = {}): HoneyCheckClients {
  return {
    iam: new IAMClient({ ...sdk }),
    dynamodb: new DynamoDBClient({ ...sdk }),
    sns: new SNSClient({ ...sdk }),
    sts: () => new STSClient({ ...sdk }),
    memberIam: (credentials) => new IAMClient({ ...sdk, credentials }),
    logger: new Logger({ serviceName: SERVICE_NAME, persistentKeys: { function: "honey-check" } }),
  };
}

/**
 * Honey key readers of member accounts, through the member role (reads only: GetAccessKeyLastUsed,
 * ListAccessKeys, ListAttachedUserPolicies; the role's credentials cached per account).
 */
export function memberHoneyReaders(
  memberRoleName: string,
  homeAccount: () => string,
  clients: Pick<HoneyCheckClients, "sts" | "memberIam">,
): (accountId: string) => Promise<HoneyIamReader> {
  const members = new MemberAccounts({
    roleName: memberRoleName,
    sts: clients.sts ?? (() => new STSClient({})),
    sessionName: `${SERVICE_NAME}-honey-check`,
  });
  const memberIam = clients.memberIam ?? ((credentials) => new IAMClient({ credentials }));
  const readers = new Map<string, IamHoneyKeys>();
  return async (accountId) => {
    const credentials = await members.credentialsFor(accountId, homeAccount());
    let reader = readers.get(accountId);
    if (reader === undefined) {
      reader = new IamHoneyKeys(memberIam(credentials));
      readers.set(accountId, reader);
    }
    return reader;
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
  let home: string | undefined;
  const deps = {
    store: new DynamoDbHoneyKeys(clients.dynamodb, config.incidentTableName),
    iam: new IamHoneyKeys(clients.iam),
    alerts: new SnsAlertPublisher(clients.sns, config.alertTopicArn),
    log: logTo(logger),
    ...(config.memberRoleName === undefined
      ? {}
      : { memberIam: memberHoneyReaders(config.memberRoleName, () => home ?? "unknown", clients) }),
  };
  return async (_event, context) => {
    home = context?.invokedFunctionArn?.split(":")[4];
    try {
      const result = await runHoneyCheck(home, deps, {
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
