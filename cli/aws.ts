import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { readStackOutputs } from "../lambdas/adapters/cloudformation-outputs.js";
import { LKR_CLI_ENV, STACK_OUTPUTS } from "../lambdas/core/contract.js";
import { AwsCallError } from "../lambdas/core/errors.js";
import type { GlobalOptions } from "./args.js";
import { ConfigurationError } from "./errors.js";

/** The stack outputs lkr reads (part of the deployed contract). */
const TABLE_OUTPUT = STACK_OUTPUTS.incidentTableName;
const TOPIC_OUTPUT = STACK_OUTPUTS.alertTopicArn;

/** Reads a deployed stack's outputs (CloudFormation DescribeStacks). */
export type StackOutputsReader = (
  stackName: string,
  client: ClientConfig,
) => Promise<Readonly<Record<string, string>>>;

/** The deployed stack's outputs from CloudFormation; a missing stack says what to pass instead. */
export const cloudFormationOutputs: StackOutputsReader = async (stackName, client) => {
  try {
    return await readStackOutputs(stackName, client);
  } catch (error) {
    if (error instanceof AwsCallError && error.code === "ValidationError") {
      throw new ConfigurationError(
        `Stack ${stackName} was not found${client.region ? ` in ${client.region}` : ""}: pass --stack and --region, ` +
          `or --table <${TABLE_OUTPUT}> (and --topic <${TOPIC_OUTPUT}> for release), or set LKR_TABLE / LKR_TOPIC.`,
        { cause: error },
      );
    }
    throw error;
  }
};

export interface ClientConfig {
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
}

/** AWS clients built the way AWS users expect: --region and --profile win, then the usual chain. */
export class AwsContext {
  readonly config: ClientConfig;
  private cached: {
    dynamo?: DynamoDBClient;
    iam?: IAMClient;
    sns?: SNSClient;
    sts?: STSClient;
    events?: EventBridgeClient;
    sqs?: SQSClient;
    lambda?: LambdaClient;
  } = {};
  private outputs: Promise<Readonly<Record<string, string>>> | undefined;

  constructor(
    private readonly globals: GlobalOptions,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly readOutputs: StackOutputsReader,
  ) {
    this.config = {
      ...(globals.region ? { region: globals.region } : {}),
      ...(globals.profile ? { profile: globals.profile } : {}),
      ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}),
    };
  }

  dynamo(): DynamoDBClient {
    this.cached.dynamo ??= new DynamoDBClient(this.config);
    return this.cached.dynamo;
  }
  iam(): IAMClient {
    this.cached.iam ??= new IAMClient(this.config);
    return this.cached.iam;
  }
  sns(): SNSClient {
    this.cached.sns ??= new SNSClient(this.config);
    return this.cached.sns;
  }
  sts(): STSClient {
    this.cached.sts ??= new STSClient(this.config);
    return this.cached.sts;
  }
  events(): EventBridgeClient {
    this.cached.events ??= new EventBridgeClient(this.config);
    return this.cached.events;
  }

  sqs(): SQSClient {
    this.cached.sqs ??= new SQSClient(this.config);
    return this.cached.sqs;
  }
  lambda(): LambdaClient {
    this.cached.lambda ??= new LambdaClient(this.config);
    return this.cached.lambda;
  }

  /** The region the clients use (after --region, environment and profile). */
  async region(): Promise<string> {
    return this.sts().config.region();
  }

  /** --table, else LKR_TABLE, else the stack's IncidentTableName output. */
  async tableName(): Promise<string> {
    return this.globals.table ?? nonEmpty(this.env[LKR_CLI_ENV.table]) ?? (await this.output(TABLE_OUTPUT));
  }

  /** --topic, else LKR_TOPIC, else the stack's AlertTopicArn output. */
  async topicArn(): Promise<string> {
    return this.globals.topic ?? nonEmpty(this.env[LKR_CLI_ENV.topic]) ?? (await this.output(TOPIC_OUTPUT));
  }

  /**
   * The chat topic (AWS Chatbot's JSON), where `lkr release` sends its alert too: LKR_CHAT_TOPIC,
   * else — when the topic itself came from the stack — its ChatTopicArn output; undefined when
   * neither names one (a stack deployed before the chat topic existed).
   */
  async chatTopicArn(): Promise<string | undefined> {
    const fromEnv = nonEmpty(this.env.LKR_CHAT_TOPIC);
    if (fromEnv !== undefined || this.globals.topic !== undefined || nonEmpty(this.env.LKR_TOPIC))
      return fromEnv;
    this.outputs ??= this.readOutputs(this.globals.stack, this.config);
    return nonEmpty((await this.outputs)[STACK_OUTPUTS.chatTopicArn]);
  }

  /**
   * --event-bus (the command's option, read by the caller), else LKR_EVENT_BUS, else the stack's
   * EventBusName output: the responder's own bus, the only one its drill rule listens on.
   */
  async eventBusName(): Promise<string> {
    return nonEmpty(this.env[LKR_CLI_ENV.eventBus]) ?? (await this.output(STACK_OUTPUTS.eventBusName));
  }

  /**
   * --path (read by the caller), else LKR_HONEY_PATH, else the stack's HoneyKeyPath output: the
   * path its honey rule watches. undefined when no stack can be read (the caller then uses the default).
   */
  async honeyKeyPath(): Promise<string | undefined> {
    const fromEnv = nonEmpty(this.env.LKR_HONEY_PATH);
    if (fromEnv) return fromEnv;
    try {
      return await this.output(STACK_OUTPUTS.honeyKeyPath);
    } catch (error) {
      if (error instanceof ConfigurationError) return undefined;
      throw error;
    }
  }

  /**
   * LKR_MEMBER_ROLE_NAME, else the stack's MemberRoleName output (an Organization deployment's);
   * undefined for a single-account deployment.
   */
  async memberRoleName(): Promise<string | undefined> {
    const fromEnv = nonEmpty(this.env.LKR_MEMBER_ROLE_NAME);
    if (fromEnv !== undefined || this.globals.table !== undefined) return fromEnv;
    this.outputs ??= this.readOutputs(this.globals.stack, this.config);
    return (await this.outputs)[STACK_OUTPUTS.memberRoleName] || undefined;
  }

  /**
   * LKR_ROLE_SESSION_REVOKER_FUNCTION, else the stack's RoleSessionRevokerFunctionName output (an
   * Organization deployment's): the function a release in a member account asks to lift a role's
   * revoke policy.
   */
  async roleSessionRevokerFunction(): Promise<string> {
    return (
      nonEmpty(this.env[LKR_CLI_ENV.roleSessionRevokerFunction]) ??
      (await this.output(STACK_OUTPUTS.roleSessionRevokerFunctionName))
    );
  }

  get stackName(): string {
    return this.globals.stack;
  }

  /** One output of the responder's stack; a ConfigurationError when the stack has none of that name. */
  async output(name: string): Promise<string> {
    this.outputs ??= this.readOutputs(this.globals.stack, this.config);
    const value = (await this.outputs)[name];
    if (!value) {
      throw new ConfigurationError(
        `Stack ${this.globals.stack} has no output ${name}: is it the responder's stack?`,
      );
    }
    return value;
  }

  destroy(): void {
    for (const client of Object.values(this.cached)) client?.destroy();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
