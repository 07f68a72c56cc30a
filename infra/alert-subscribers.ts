import { Annotations, Stack, Token } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import * as sns from "aws-cdk-lib/aws-sns";
import type { IConstruct } from "constructs";

/** What to do about it, written once for the error and the warning. */
export const NO_SUBSCRIBER_PROBLEM =
  "nobody is subscribed to the alert topic: set notificationEmails, slackWorkspaceId + slackChannelId, " +
  "teamsTeamId + teamsTenantId + teamsChannelId, or webhookSecretArn (or subscribe the topic in your own code), " +
  "or set allowNoSubscribers=true to deploy without alerts";

/**
 * How many parts of the topic's stack deliver its alerts to someone: SNS subscriptions of the topic
 * (email, a webhook forwarder, ...) and AWS Chatbot channels that name it. Counted when the app
 * synthesizes, so subscriptions added after the responder was built count too.
 */
export function alertSubscriberCount(topic: sns.ITopic): number {
  const stack = Stack.of(topic);
  const wanted = JSON.stringify(stack.resolve(topic.topicArn));
  const names = (value: unknown): boolean => JSON.stringify(stack.resolve(value)) === wanted;
  return stack.node.findAll().filter((c: IConstruct) => {
    if (c instanceof sns.CfnSubscription) return names(c.topicArn);
    if (
      c instanceof chatbot.CfnSlackChannelConfiguration ||
      c instanceof chatbot.CfnMicrosoftTeamsChannelConfiguration
    ) {
      const arns = stack.resolve(c.snsTopicArns) as unknown;
      return Array.isArray(arns) && arns.some(names);
    }
    return false;
  }).length;
}

/**
 * Fails synth of the stack when nobody would hear an alert (on the alert topic or the topics that
 * carry every alert too, such as the chat topic) (a deploy is then silent however many
 * keys it contains). A template synthesized without an account (`npx cdk synth` offline, no
 * credentials: a template to review, not a deployment) gets a warning instead: `cdk deploy`
 * resolves the account and then fails.
 */
export function requireAlertSubscriber(topic: sns.ITopic, ...alsoCarryingAlerts: sns.ITopic[]): void {
  const stack = Stack.of(topic);
  stack.node.addValidation({
    validate: () => {
      // The chat topic carries every alert too (to AWS Chatbot): a channel there is a listener.
      if ([topic, ...alsoCarryingAlerts].some((t) => alertSubscriberCount(t) > 0)) return [];
      if (Token.isUnresolved(stack.account)) {
        Annotations.of(stack).addWarningV2(
          "leaked-key-responder:noAlertSubscriber",
          `${NO_SUBSCRIBER_PROBLEM} (a synth for a known account fails)`,
        );
        return [];
      }
      return [NO_SUBSCRIBER_PROBLEM];
    },
  });
}
