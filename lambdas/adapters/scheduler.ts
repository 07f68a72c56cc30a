import {
  ActionAfterCompletion,
  CreateScheduleCommand,
  FlexibleTimeWindowMode,
  type SchedulerClient,
} from "@aws-sdk/client-scheduler";
import type { ConfirmationSchedule, ConfirmationScheduler } from "../core/investigation/confirmation.js";
import { call } from "./aws-errors.js";

export interface ScheduleTarget {
  /** The stack's schedule group: the investigate role may create schedules in it only. */
  readonly groupName: string;
  /** The stack's schedule role: the only role the investigate role may pass (to Scheduler only). */
  readonly roleArn: string;
  /** The function the schedule invokes (the investigate function itself). */
  readonly functionArn: string;
  /** Where Scheduler puts the event when the invocation keeps failing. */
  readonly deadLetterArn?: string | undefined;
}

/** `at()` takes local date-time without offset; the schedule says it is UTC. */
function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/**
 * EventBridge Scheduler one-time schedules: each fires once, invokes the target with the check's
 * request, and is deleted by Scheduler after it ran (ActionAfterCompletion DELETE). A schedule of
 * the same name (a retried investigation) is left as it is.
 */
export class EventBridgeConfirmationScheduler implements ConfirmationScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: () => ScheduleTarget,
  ) {}

  async schedule(schedule: ConfirmationSchedule): Promise<"scheduled" | "already"> {
    const target = this.target();
    try {
      await call("scheduler:CreateSchedule", () =>
        this.client.send(
          new CreateScheduleCommand({
            Name: schedule.name,
            GroupName: target.groupName,
            ScheduleExpression: atExpression(schedule.at),
            ScheduleExpressionTimezone: "UTC",
            FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
            ActionAfterCompletion: ActionAfterCompletion.DELETE,
            Description: `leaked-key-responder: did the containment of ${schedule.request.incidentId} hold?`,
            Target: {
              Arn: target.functionArn,
              RoleArn: target.roleArn,
              Input: JSON.stringify(schedule.request),
              RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
              ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
            },
          }),
        ),
      );
      return "scheduled";
    } catch (error) {
      if (isConflict(error)) return "already";
      throw error;
    }
  }
}

function isConflict(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { name?: string } | undefined) : undefined;
  return cause?.name === "ConflictException";
}
