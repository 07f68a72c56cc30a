import { DynamoDbIncidentReview } from "../../lambdas/adapters/dynamodb-incident-review.js";
import { UnknownIncidentError } from "../../lambdas/core/release/errors.js";
import type { ParsedCommand } from "../args.js";
import type { AwsContext } from "../aws.js";
import { UsageError } from "../errors.js";
import { parseIncidentArgument } from "../filters.js";
import { type Io, println } from "../io.js";
import type { MemberRevokerFor } from "../member-release.js";

export interface CommandContext {
  readonly io: Io;
  readonly args: ParsedCommand;
  readonly aws: AwsContext;
  /** The role-session revoker a release in a member account uses. @default the deployed function */
  readonly memberRevokerFor?: MemberRevokerFor | undefined;
}

export async function incidentReview(ctx: CommandContext): Promise<DynamoDbIncidentReview> {
  return new DynamoDbIncidentReview(ctx.aws.dynamo(), await ctx.aws.tableName());
}

/** The incident id an argument names: itself, or the one incident about that access key. */
export async function resolveIncidentId(
  review: DynamoDbIncidentReview,
  argument: string | undefined,
): Promise<string> {
  if (argument === undefined) throw new UsageError("an incident id or access key id is required");
  const parsed = parseIncidentArgument(argument);
  if ("incidentId" in parsed) return parsed.incidentId;
  const found = await review.findByAccessKey(parsed.accessKeyId);
  const [only, ...others] = found;
  if (only === undefined) throw new UnknownIncidentError(parsed.accessKeyId);
  if (others.length > 0) {
    throw new UsageError(
      `access key ${parsed.accessKeyId} has incidents in several accounts; name one: ${found.map((i) => i.incidentId).join(", ")}`,
    );
  }
  return only.incidentId;
}

/** Prints JSON for scripts, text for people. */
export function output(ctx: CommandContext, json: unknown, text: () => string): void {
  println(ctx.io, ctx.args.globals.json ? JSON.stringify(json, null, 2) : text());
}

/** A non-empty --reason, or a usage error before anything is read or changed. */
export function requireReason(ctx: CommandContext): string {
  const reason = ctx.args.reason?.trim();
  if (!reason) {
    throw new UsageError(
      `${ctx.args.command} needs --reason "why" (it is recorded on the incident with your identity)`,
    );
  }
  return reason;
}
