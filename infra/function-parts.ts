import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { SERVICE_NAME } from "../lambdas/core/contract.js";

const HANDLERS = fileURLToPath(new URL("../lambdas/handlers/", import.meta.url));
/**
 * Where the package build (scripts/build.ts) puts each handler's prebuilt bundle:
 * dist/lambda/<handler>/index.mjs beside the compiled dist/infra. From the repo's TypeScript
 * sources this directory does not exist, so the repo always bundles its current sources.
 */
export const PREBUILT_BUNDLES = fileURLToPath(new URL("../lambda/", import.meta.url));
/** The package build's output: compiled infra/, cli/, lambdas/ and the bundles in {@link PREBUILT_BUNDLES}. */
export const PACKAGE_OUT_DIR = "dist";

/** The Lambda handlers of lambdas/handlers that the construct deploys (and the package build bundles). */
export const LAMBDA_HANDLERS = [
  "respond",
  "investigate",
  "audit",
  "revoke-role-sessions",
  "honey-check",
  "webhook-forwarder",
] as const;
export type LambdaHandler = (typeof LAMBDA_HANDLERS)[number];

/** The file name NodejsFunction gives an ESM bundle (and the prebuilt bundles use): handler `index.handler`. */
export const BUNDLE_FILE = "index.mjs";

/**
 * How a handler is bundled, both by NodejsFunction (repo) and by the package build: minified ESM
 * for node24 with source maps, every dependency inside (the AWS SDK pinned, not the runtime's copy).
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: "node24",
  minify: true,
  sourceMap: true,
  mainFields: ["module", "main"],
  externalModules: [],
  banner: "import{createRequire}from'module';const require=createRequire(import.meta.url);",
} as const satisfies BundlingOptions;

/** What a function may do in its own log group. */
export const LOG_WRITE_ACTIONS: readonly string[] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/** What both functions do on the incident table: read and conditionally update an incident item. */
export const INCIDENT_RECORD_ACTIONS: readonly string[] = ["dynamodb:GetItem", "dynamodb:UpdateItem"];

/** What a function may do on a queue it drains through an event source mapping (Queue.grantConsumeMessages). */
export const CONSUME_QUEUE_ACTIONS: readonly string[] = [
  "sqs:ReceiveMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueUrl",
  "sqs:DeleteMessage",
  "sqs:GetQueueAttributes",
];

/** A rule target that puts the event on a queue, retrying delivery for 24 h, then keeping it in the DLQ. */
export function queueTarget(queue: sqs.IQueue, dlq: sqs.IQueue): events.IRuleTarget {
  return new targets.SqsQueue(queue, {
    deadLetterQueue: dlq,
    retryAttempts: 185,
    maxEventAge: Duration.hours(24),
  });
}

/** An encrypted, SSL-only dead-letter queue keeping failed events for 14 days. */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
}

export interface HandlerFunctionOptions {
  /** Construct id prefix: `<name>Role`, `<name>LogGroup`, `<name>Function`. */
  readonly name: string;
  /** Handler file in lambdas/handlers, without `.ts`. */
  readonly handler: LambdaHandler;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** Asynchronous failures land here after two retries; none for a function only invoked synchronously (no retries then). */
  readonly deadLetterQueue: sqs.IQueue | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly reservedConcurrency?: number | undefined;
}

/**
 * A handler of lambdas/handlers on the newest Node.js runtime, arm64, as minified ESM with source
 * maps and the AWS SDK inside (pinned, tree-shaken, not the runtime's copy); an explicit role that
 * may write only to its own log group (no AWSLambdaBasicExecutionRole); asynchronous failures
 * retried twice, then the DLQ. The code is the package's prebuilt bundle when there is one (an
 * installed package: no esbuild, lock file or Docker needed), else the repo's sources bundled by
 * the local esbuild through NodejsFunction; both bundle with {@link BUNDLING}.
 */
export function handlerFunction(
  scope: Construct,
  options: HandlerFunctionOptions,
): { fn: lambda.Function; role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, `${options.name}LogGroup`, {
    retention: options.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, `${options.name}Role`, {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: `leaked-key-responder ${options.handler} function`,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: "WriteOwnLogs",
      actions: [...LOG_WRITE_ACTIONS],
      resources: [logGroup.logGroupArn],
    }),
  );
  const props: lambda.FunctionOptions = {
    role,
    description: options.description,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 1024,
    timeout: options.timeout,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    reservedConcurrentExecutions: options.reservedConcurrency,
    // EventBridge invokes asynchronously: function errors are retried by Lambda, then land here.
    ...(options.deadLetterQueue ? { deadLetterQueue: options.deadLetterQueue } : {}),
    retryAttempts: options.deadLetterQueue ? 2 : 0,
    maxEventAge: Duration.hours(6),
    environment: {
      ...options.environment,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_LOG_LEVEL: "INFO",
    },
  };
  const fn = functionOf(scope, `${options.name}Function`, options.handler, props);
  return { fn, role, logGroup };
}

/**
 * The handler's function on the newest Node.js runtime: the package's prebuilt bundle when there
 * is one, else NodejsFunction over the repo's source with {@link BUNDLING}.
 */
function functionOf(
  scope: Construct,
  id: string,
  handler: LambdaHandler,
  props: lambda.FunctionOptions,
): lambda.Function {
  const runtime = lambda.Runtime.NODEJS_24_X;
  const prebuilt = `${PREBUILT_BUNDLES}${handler}`;
  if (existsSync(`${prebuilt}/${BUNDLE_FILE}`)) {
    return new lambda.Function(scope, id, {
      ...props,
      runtime,
      code: lambda.Code.fromAsset(prebuilt),
      handler: "index.handler",
    });
  }
  const source = `${HANDLERS}${handler}.ts`;
  if (existsSync(source)) {
    return new NodejsFunction(scope, id, {
      ...props,
      runtime,
      entry: source,
      handler: "handler",
      bundling: BUNDLING,
    });
  }
  throw new Error(
    `no code for the ${handler} function: neither a prebuilt bundle at ${prebuilt}/${BUNDLE_FILE} ` +
      `nor its source at ${source} (a package built without "npm run build"?)`,
  );
}

/** A rule target that retries delivery for 24 h, then keeps the event in the DLQ. */
export function lambdaTarget(fn: lambda.IFunction, dlq: sqs.IQueue): events.IRuleTarget {
  return new targets.LambdaFunction(fn, {
    deadLetterQueue: dlq,
    retryAttempts: 185,
    maxEventAge: Duration.hours(24),
  });
}

/**
 * Alarms to the alert topic: any function error in a minute, any message in the DLQ. The topic's
 * policy must let these alarms publish (the construct allows exactly the alarms returned).
 */
export function failureAlarms(
  scope: Construct,
  name: string,
  fn: lambda.Function,
  dlq: sqs.Queue,
  topic: sns.ITopic,
  what: { errors: string; deadLetters: string },
): cloudwatch.Alarm[] {
  const rules = [
    new cloudwatch.Alarm(scope, `${name}ErrorsAlarm`, {
      alarmDescription: what.errors,
      metric: fn.metricErrors({ period: Duration.minutes(1), statistic: "Sum" }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(scope, `${name}DeadLetterQueueAlarm`, {
      alarmDescription: what.deadLetters,
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: "Maximum",
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  ];
  for (const alarm of rules) alarm.addAlarmAction(new cwActions.SnsAction(topic));
  return rules;
}
