import { Aws, Names } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import type { Construct } from "constructs";

/** `events:PutEvents`: the one action the bus policy governs. */
const PUT_EVENTS = "events:PutEvents";

/**
 * The responder's own event bus: drill events and `Incident Contained` travel on it, never on the
 * default bus, where anyone allowed `events:PutEvents` (a leaked key, say) could forge them.
 * Its name is fixed at synth (from the construct path), so the policy can name the bus's ARN.
 */
export function responderBus(scope: Construct, id: string): events.EventBus {
  const name = Names.uniqueResourceName(scope, { maxLength: 200, separator: "-" });
  return new events.EventBus(scope, id, {
    eventBusName: `${name}-${id}`,
    description:
      "leaked-key-responder: drill and Incident Contained events, put only by the responder's roles",
  });
}

/**
 * The bus's ARN from its literal name, not `Fn::GetAtt`: the bus's policy names the roles, so a role
 * (or its boundary) naming the bus by reference, or the bus naming itself, would be a cycle.
 */
export function busArnOf(bus: events.IEventBus): string {
  const name = (bus.node.defaultChild as events.CfnEventBus | undefined)?.name ?? bus.eventBusName;
  return `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${name}`;
}

/**
 * `events:source` and `events:detail-type` are multivalued (a PutEvents request carries up to ten
 * entries): every entry of the request must be of the source and detail-type, and there must be some.
 */
export function onlyEntriesOf(entry: { readonly source: string; readonly detailType: string }) {
  return {
    "ForAllValues:StringEquals": {
      "events:source": [entry.source],
      "events:detail-type": [entry.detailType],
    },
    Null: { "events:source": "false", "events:detail-type": "false" },
  };
}

/** A detail-type only one role may put on the bus, and that role may put nothing else. */
export interface ReservedDetailType {
  readonly source: string;
  readonly detailType: string;
  readonly roleArn: string;
}

/**
 * The bus's resource policy: only these role ARNs may put events on it, and a reserved detail-type
 * only its one role (which may put nothing else). The Denies hold whatever identity policies say,
 * so an administrator's `events:*` or a leaked key's does not reach it (changing the policy itself,
 * `events:PutPermission`, is theirs to do: see the README).
 */
export function admitOnly(
  bus: events.EventBus,
  roleArns: readonly string[],
  reserved: readonly ReservedDetailType[] = [],
): void {
  const busArn = busArnOf(bus);
  const everyRole = [...roleArns, ...reserved.map((r) => r.roleArn)];
  (bus.node.defaultChild as events.CfnEventBus).policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ResponderRolesPut",
        Effect: "Allow",
        Principal: { AWS: [...roleArns] },
        Action: PUT_EVENTS,
        Resource: busArn,
      },
      ...reserved.map((r, i) => ({
        Sid: `Reserved${i}Put`,
        Effect: "Allow",
        Principal: { AWS: [r.roleArn] },
        Action: PUT_EVENTS,
        Resource: busArn,
        Condition: onlyEntriesOf(r),
      })),
      {
        Sid: "NoOneElsePuts",
        Effect: "Deny",
        Principal: "*",
        Action: PUT_EVENTS,
        Resource: busArn,
        Condition: { ArnNotEquals: { "aws:PrincipalArn": everyRole } },
      },
      ...reserved.flatMap((r, i) => [
        {
          Sid: `Reserved${i}OnlyItsRole`,
          Effect: "Deny",
          Principal: "*",
          Action: PUT_EVENTS,
          Resource: busArn,
          Condition: {
            "ForAnyValue:StringEquals": { "events:detail-type": [r.detailType] },
            ArnNotEquals: { "aws:PrincipalArn": [r.roleArn] },
          },
        },
        {
          Sid: `Reserved${i}RoleOnlyIt`,
          Effect: "Deny",
          Principal: { AWS: [r.roleArn] },
          Action: PUT_EVENTS,
          Resource: busArn,
          Condition: { "ForAnyValue:StringNotEquals": { "events:detail-type": [r.detailType] } },
        },
      ]),
    ],
  };
}
