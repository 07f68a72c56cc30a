import { invokeAsync } from "../../lambdas/adapters/lambda-async-invoke.js";
import { type DeadLetter, SqsDeadLetters } from "../../lambdas/adapters/sqs-dead-letters.js";
import { describeError } from "../../lambdas/core/errors.js";
import { DEAD_LETTER_QUEUES, type DeadLetterQueueSpec, summarizeDeadLetter } from "../dead-letters.js";
import { ConfigurationError, EXIT, UsageError } from "../errors.js";
import { paint, renderTable, shortTime } from "../format.js";
import { println } from "../io.js";
import { type CommandContext, output } from "./common.js";

/** A listing shows at most this many messages of a queue (the depth says how many there are). */
export const LIST_LIMIT = 100;
/** How long a listed message stays hidden before lkr makes it visible again (SQS has no peek). */
const LIST_HIDE_SECONDS = 30;
/** How long a message being redriven stays hidden; one whose redrive failed reappears after it. */
const REDRIVE_HIDE_SECONDS = 120;

interface QueueFound {
  readonly spec: DeadLetterQueueSpec;
  readonly url: string;
}

function selectedQueues(ctx: CommandContext): readonly DeadLetterQueueSpec[] {
  const wanted = ctx.args.queue;
  if (wanted === undefined) return DEAD_LETTER_QUEUES;
  const spec = DEAD_LETTER_QUEUES.find((q) => q.name === wanted);
  if (spec === undefined) {
    throw new UsageError(
      `--queue "${wanted}": expected one of ${DEAD_LETTER_QUEUES.map((q) => q.name).join(", ")}`,
    );
  }
  return [spec];
}

/**
 * The queues the stack names; one it does not name (a stack deployed before it had that output) is
 * reported, not fatal. An optional queue the stack does not have (no webhook) is not mentioned,
 * unless `--queue` asked for it.
 */
async function findQueues(ctx: CommandContext): Promise<{ found: QueueFound[]; missing: string[] }> {
  const found: QueueFound[] = [];
  const missing: string[] = [];
  for (const spec of selectedQueues(ctx)) {
    try {
      found.push({ spec, url: await ctx.aws.output(spec.output) });
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      if (spec.optional && ctx.args.queue === undefined) continue;
      missing.push(`${spec.name}: ${error.message}`);
    }
  }
  if (found.length === 0) throw new ConfigurationError(missing.join("\n"));
  return { found, missing };
}

/** Receives up to `limit` messages, then makes them all visible again: what the queue holds, left in place. */
async function peek(sqs: SqsDeadLetters, url: string, limit: number): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  while (seen.size < limit) {
    const batch = (await sqs.receive(url, LIST_HIDE_SECONDS)).filter((m) => !seen.has(m.messageId));
    if (batch.length === 0) break;
    for (const m of batch) seen.set(m.messageId, m);
  }
  for (const m of seen.values()) await sqs.release(url, m);
  return [...seen.values()].slice(0, limit);
}

function letterView(letter: DeadLetter) {
  return {
    messageId: letter.messageId,
    sentAt: letter.sentAt ?? null,
    receiveCount: letter.receiveCount ?? null,
    ...summarizeDeadLetter(letter.body, letter.attributes),
    attributes: letter.attributes,
    body: letter.body,
  };
}

async function listCommand(ctx: CommandContext): Promise<number> {
  const sqs = new SqsDeadLetters(ctx.aws.sqs());
  const { found, missing } = await findQueues(ctx);
  const queues: {
    name: string;
    url: string;
    depth: { visible: number; inFlight: number };
    messages: ReturnType<typeof letterView>[];
  }[] = [];
  for (const { spec, url } of found) {
    const depth = await sqs.depth(url);
    const messages = depth.visible === 0 ? [] : await peek(sqs, url, LIST_LIMIT);
    queues.push({ name: spec.name, url, depth, messages: messages.map(letterView) });
  }
  output(ctx, { queues, missing }, () => {
    const lines: string[] = [];
    for (const q of queues) {
      const count = `${q.depth.visible} message${q.depth.visible === 1 ? "" : "s"}${q.depth.inFlight > 0 ? ` (+${q.depth.inFlight} being read)` : ""}`;
      lines.push(`${paint(q.name, "bold", ctx.io.color)}: ${count}  ${q.url}`);
      if (q.messages.length > 0) {
        lines.push(
          renderTable(
            ["  SENT", "SOURCE", "DETAIL TYPE", "EVENT ID", "WHY IT FAILED"],
            q.messages.map((m) => [
              `  ${m.sentAt ? shortTime(m.sentAt) : "?"}`,
              m.source ?? "?",
              m.detailType ?? "?",
              m.eventId ?? "?",
              m.error ?? "(not said)",
            ]),
            { width: ctx.io.columns },
          ),
        );
        if (q.messages.length < q.depth.visible)
          lines.push(`  … and more (the first ${q.messages.length} shown)`);
      }
      lines.push("");
    }
    for (const m of missing) lines.push(`not listed: ${m}`);
    const total = queues.reduce((n, q) => n + q.depth.visible, 0);
    lines.push(
      total === 0 ? "The dead-letter queues are empty." : "Send them back to be processed: lkr dlq redrive",
    );
    return lines.join("\n");
  });
  return EXIT.ok;
}

async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  if (ctx.args.yes) return true;
  if (ctx.io.ask === undefined) {
    throw new UsageError(
      "redrive sends events to be processed again and asks first, but there is no terminal: pass --yes",
    );
  }
  const answer = (await ctx.io.ask(`${question} [y/N] `)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

interface RedriveResult {
  readonly name: string;
  readonly redriven: number;
  readonly failed: { messageId: string; error: string }[];
}

/** Sends each message back, then deletes it; a message that could not be sent stays (visible again after a while). */
async function redriveQueue(
  ctx: CommandContext,
  sqs: SqsDeadLetters,
  queue: QueueFound,
  depth: number,
): Promise<RedriveResult> {
  const target = await ctx.aws.output(queue.spec.redrive.output);
  const deliver =
    queue.spec.redrive.kind === "queue"
      ? (body: string) => sqs.send(target, body)
      : (body: string) => invokeAsync(ctx.aws.lambda(), target, body);
  const result: RedriveResult = { name: queue.spec.name, redriven: 0, failed: [] };
  let attempts = 0;
  // At most the messages there when it started: ones that fail again later are not chased in a loop.
  while (attempts < depth) {
    const batch = await sqs.receive(queue.url, REDRIVE_HIDE_SECONDS);
    if (batch.length === 0) break;
    for (const letter of batch) {
      attempts++;
      try {
        await deliver(letter.body);
      } catch (error) {
        result.failed.push({ messageId: letter.messageId, error: describeError(error) });
        continue;
      }
      await sqs.delete(queue.url, letter);
      (result as { redriven: number }).redriven++;
    }
  }
  return result;
}

async function redriveCommand(ctx: CommandContext): Promise<number> {
  const sqs = new SqsDeadLetters(ctx.aws.sqs());
  const { found } = await findQueues(ctx);
  const depths = await Promise.all(found.map(async (q) => (await sqs.depth(q.url)).visible));
  const total = depths.reduce((a, b) => a + b, 0);
  if (total === 0) {
    output(ctx, { queues: [] }, () => "The dead-letter queues are empty: nothing to redrive.");
    return EXIT.ok;
  }
  const plan = found
    .map(
      (q, i) =>
        `${q.spec.name}: ${depths[i]} → ${q.spec.redrive.kind === "queue" ? "the informational queue" : `the ${q.spec.name} function`}`,
    )
    .filter((_, i) => (depths[i] ?? 0) > 0);
  if (!ctx.args.globals.json)
    println(ctx.io, `Redrive ${total} message${total === 1 ? "" : "s"}:\n  ${plan.join("\n  ")}`);
  if (!(await confirm(ctx, "Send them back to be processed again?"))) {
    println(ctx.io, "Nothing was sent.");
    return EXIT.failure;
  }
  const results: RedriveResult[] = [];
  for (const [i, queue] of found.entries()) {
    if ((depths[i] ?? 0) > 0) results.push(await redriveQueue(ctx, sqs, queue, depths[i] ?? 0));
  }
  output(ctx, { queues: results }, () =>
    results
      .map((r) =>
        [
          `${r.name}: ${r.redriven} sent back${r.failed.length > 0 ? `, ${r.failed.length} FAILED (left in the queue):` : ""}`,
          ...r.failed.map((f) => `  ${f.messageId}: ${f.error}`),
        ].join("\n"),
      )
      .join("\n"),
  );
  return results.some((r) => r.failed.length > 0) ? EXIT.failure : EXIT.ok;
}

/** lkr dlq [list] | lkr dlq redrive [--queue NAME] [--yes] */
export async function dlqCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.args.target ?? "list";
  if (action === "list") return listCommand(ctx);
  if (action === "redrive") return redriveCommand(ctx);
  throw new UsageError(`dlq "${action}": expected list or redrive`);
}
