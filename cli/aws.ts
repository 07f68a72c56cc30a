import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { readStackOutputs } from "../lambdas/adapters/cloudformation-outputs.js";
import { STACK_OUTPUTS } from "../lambdas/core/contract.js";
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

  /** The region the clients use (after --region, environment and profile). */
  async region(): Promise<string> {
    return this.sts().config.region();
  }

  /** --table, else LKR_TABLE, else the stack's IncidentTableName output. */
  async tableName(): Promise<string> {
    return this.globals.table ?? nonEmpty(this.env.LKR_TABLE) ?? (await this.output(TABLE_OUTPUT));
  }

  /** --topic, else LKR_TOPIC, else the stack's AlertTopicArn output. */
  async topicArn(): Promise<string> {
    return this.globals.topic ?? nonEmpty(this.env.LKR_TOPIC) ?? (await this.output(TOPIC_OUTPUT));
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
    return nonEmpty(this.env.LKR_EVENT_BUS) ?? (await this.output(STACK_OUTPUTS.eventBusName));
  }

  get stackName(): string {
    return this.globals.stack;
  }

  private async output(name: string): Promise<string> {
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
