import { Aws, Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { WEBHOOK_ENV } from "../lambdas/core/contract.js";
import type { WebhookFormat } from "../lambdas/core/webhook.js";
import { deadLetterQueue, failureAlarms, handlerFunction } from "./function-parts.js";

/** What the forwarder may do with the webhook's secret: read its value, nothing else. */
export const WEBHOOK_SECRET_ACTIONS: readonly string[] = ["secretsmanager:GetSecretValue"];

/** A Slack or Microsoft Teams incoming webhook, for teams without AWS Chatbot. */
export interface WebhookTarget {
  /**
   * The secret whose string is the incoming-webhook URL (https). Read once per container; when it
   * is encrypted with a customer managed key, the forwarder may decrypt with it only through
   * Secrets Manager.
   */
  readonly secret: secretsmanager.ISecret;
  /** The app the URL belongs to: Slack gets Block Kit, Teams an Adaptive Card. */
  readonly format: WebhookFormat;
}

/** The webhook of a stack built from settings: the secret by ARN. */
export interface WebhookSetting {
  /** The secret's ARN, complete (`…:secret:name-AbCdEf`) or partial (`…:secret:name`). */
  readonly secretArn: string;
  /** The app the URL belongs to. @default "slack" */
  readonly format: WebhookFormat;
}

/** A complete secret ARN ends with `-` and Secrets Manager's six random characters. */
const COMPLETE_SECRET_ARN = /:secret:.+-[A-Za-z0-9]{6}$/;

/** The webhook target of a setting: the secret imported by its complete or partial ARN. */
export function webhookTargetOf(scope: Construct, setting: WebhookSetting): WebhookTarget {
  const secret = COMPLETE_SECRET_ARN.test(setting.secretArn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, "WebhookSecret", setting.secretArn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, "WebhookSecret", setting.secretArn);
  return { secret, format: setting.format };
}

export interface WebhookForwarderProps extends WebhookTarget {
  /** The alert topic the forwarder subscribes to. */
  readonly alertTopic: sns.ITopic;
  /** Retention of the forwarder's logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * The alert topic to a Slack / Teams incoming webhook: a small function subscribed to the topic
 * (SNS invokes it asynchronously), posting each alert in its app's format. A failed post (not 2xx,
 * timeout) is retried twice by Lambda, then kept in the forwarder's own DLQ; its errors and DLQ
 * alarms go to the alert topic (email and the webhook, when it answers again).
 */
export class WebhookForwarder extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WebhookForwarderProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, "DeadLetterQueue");
    const { fn, role } = handlerFunction(this, {
      name: "Forwarder",
      handler: "webhook-forwarder",
      description: `Forwards leaked-key-responder alerts to a ${props.format === "slack" ? "Slack" : "Microsoft Teams"} incoming webhook`,
      timeout: Duration.seconds(15),
      deadLetterQueue: this.deadLetterQueue,
      logRetention: props.logRetention,
      environment: {
        [WEBHOOK_ENV.secretArn]: props.secret.secretArn,
        [WEBHOOK_ENV.format]: props.format,
        [WEBHOOK_ENV.timeoutMs]: "5000",
      },
    });
    this.fn = fn;
    this.role = role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadWebhookSecret",
        actions: [...WEBHOOK_SECRET_ACTIONS],
        // A secret imported by name has no full ARN: its random suffix is matched.
        resources: [props.secret.secretFullArn ?? `${props.secret.secretArn}-??????`],
      }),
    );
    if (props.secret.encryptionKey) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "DecryptWebhookSecret",
          actions: ["kms:Decrypt"],
          resources: [props.secret.encryptionKey.keyArn],
          conditions: { StringEquals: { "kms:ViaService": `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
    props.alertTopic.addSubscription(new subscriptions.LambdaSubscription(fn));
    this.alarms = failureAlarms(this, "Forwarder", fn, this.deadLetterQueue, props.alertTopic, {
      errors: "The webhook forwarder failed to post an alert (retried by Lambda, then kept in its DLQ)",
      deadLetters:
        "An alert did not reach the Slack/Teams webhook: it is in the forwarder's dead-letter queue",
    });
  }
}
