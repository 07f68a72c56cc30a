import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDbHoneyKeys } from "../../lambdas/adapters/dynamodb-honey.js";
import { IamHoneyKeys, type NewHoneyKey } from "../../lambdas/adapters/iam-honey.js";
import { callerIdentityOf } from "../../lambdas/adapters/sts-identity.js";
import { isAccessKeyId, maskAccessKeyId } from "../../lambdas/core/access-key.js";
import { describeError } from "../../lambdas/core/errors.js";
import {
  DEFAULT_HONEY_PATH,
  DEFAULT_NAME_PATTERN,
  DENY_ALL_POLICY_ARN,
  HONEY_TAG,
  type HoneyKeyRecord,
  honeyPathProblem,
  honeyUserNameOf,
  renderCredentials,
} from "../../lambdas/core/honeykey/model.js";
import { TEST_AGENT_PREFIX } from "../../lambdas/core/honeykey/use.js";
import { ConfigurationError, EXIT, UsageError } from "../errors.js";
import { renderTable, shortTime } from "../format.js";
import { type HoneyAccount, honeyAccountFor, honeyAccountOption } from "../honey-account.js";
import { eprintln, println } from "../io.js";
import { type CommandContext, output } from "./common.js";

export const DEFAULT_HONEYKEY_TEST_TIMEOUT_SECONDS = 300;
export const HONEYKEY_TEST_POLL_MS = 250;

/** The honey key test did not see its alert in time. */
export class HoneyKeyTestTimeoutError extends Error {
  override readonly name = "HoneyKeyTestTimeoutError";
}

async function store(ctx: CommandContext): Promise<DynamoDbHoneyKeys> {
  return new DynamoDbHoneyKeys(ctx.aws.dynamo(), await ctx.aws.tableName());
}

function keyArgument(ctx: CommandContext): string {
  const key = ctx.args.target ?? "";
  if (!isAccessKeyId(key) || !key.startsWith("AKIA")) {
    throw new UsageError(`"${key}" is not an access key id (AKIA followed by 16 letters or digits)`);
  }
  return key;
}

/** The record of the key argument; with --account, it must be a honey key of that account. */
async function recordOrThrow(
  ctx: CommandContext,
  honey: DynamoDbHoneyKeys,
  accessKeyId: string,
): Promise<HoneyKeyRecord> {
  const record = await honey.get(accessKeyId);
  if (record === undefined) {
    throw new UsageError(`${accessKeyId} is no honey key of this table (lkr honeykey list shows them)`);
  }
  const account = honeyAccountOption(ctx);
  if (account !== undefined && account !== record.accountId) {
    throw new UsageError(
      `${accessKeyId} is a honey key of account ${record.accountId}, not of --account ${account}`,
    );
  }
  return record;
}

/** --path, LKR_HONEY_PATH, the stack's output, the default: the path the honey rule watches. */
async function honeyPath(ctx: CommandContext): Promise<string> {
  const path = ctx.args.path ?? (await ctx.aws.honeyKeyPath()) ?? DEFAULT_HONEY_PATH;
  const problem = honeyPathProblem(path);
  if (problem !== undefined) throw new UsageError(problem);
  return path;
}

/**
 * A honey user under the path (deny-all attached before its key exists) in `account`, its key, and
 * its record (in the central table, with the central credentials). When the record cannot be written
 * the key is set Inactive (never deleted) and the error thrown.
 */
async function plant(
  ctx: CommandContext,
  placement: string,
  account: HoneyAccount,
): Promise<{ record: HoneyKeyRecord; key: NewHoneyKey; region: string }> {
  const path = await honeyPath(ctx);
  const honey = await store(ctx);
  const region = await ctx.aws.region();
  let userName: string;
  try {
    userName = honeyUserNameOf(
      ctx.args.namePattern ?? DEFAULT_NAME_PATTERN,
      `${ctx.io.random()}${ctx.io.random()}`,
    );
  } catch (error) {
    throw new UsageError(describeError(error), { cause: error });
  }
  const iam = new IamHoneyKeys(account.iam);
  const key = await iam.create(userName, path, { [HONEY_TAG]: "true" }, DENY_ALL_POLICY_ARN);
  const record: HoneyKeyRecord = {
    accessKeyId: key.accessKeyId,
    accountId: account.accountId,
    userName,
    path,
    placement,
    state: "active",
    createdAt: ctx.io.now().toISOString(),
    createdBy: account.arn,
    uses: 0,
  };
  try {
    await honey.create(record);
  } catch (error) {
    await iam.disable(userName, key.accessKeyId).catch(() => undefined);
    throw new ConfigurationError(
      `honey user ${userName} was created but its record could not be written (${describeError(error)}); its key ${key.accessKeyId} was set Inactive`,
      { cause: error },
    );
  }
  return { record, key, region };
}

function printNewKey(ctx: CommandContext, record: HoneyKeyRecord, key: NewHoneyKey, region: string): void {
  output(
    ctx,
    {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      userName: record.userName,
      placement: record.placement,
      path: record.path,
      accountId: record.accountId,
      region,
    },
    () =>
      [
        `Honey key ${key.accessKeyId} for "${record.placement}": user ${record.path}${record.userName} (account ${record.accountId}), explicit deny-all, tagged.`,
        "The secret is shown ONCE and stored nowhere. Plant it in one of these forms:",
        "",
        renderCredentials(record.userName, key.accessKeyId, key.secretAccessKey, region),
        "",
        `Check it end to end: LKR_HONEYKEY_SECRET=<secret> lkr honeykey test ${key.accessKeyId}`,
      ].join("\n"),
  );
}

async function createCommand(ctx: CommandContext): Promise<number> {
  const placement = ctx.args.placement?.trim();
  if (!placement) {
    throw new UsageError(
      'honeykey create needs --placement "where it will be planted" (it names the leak in the alert)',
    );
  }
  const account = await honeyAccountFor(ctx, await callerIdentityOf(ctx.aws.sts()), "create");
  try {
    const { record, key, region } = await plant(ctx, placement, account);
    printNewKey(ctx, record, key, region);
  } finally {
    account.destroy();
  }
  return EXIT.ok;
}

function summaryOf(r: HoneyKeyRecord) {
  return {
    accessKeyId: r.accessKeyId,
    userName: r.userName,
    path: r.path,
    accountId: r.accountId,
    placement: r.placement,
    state: r.state,
    createdAt: r.createdAt,
    uses: r.uses ?? 0,
    lastUse: r.lastUse ?? null,
    ...(r.replacedBy ? { replacedBy: r.replacedBy } : {}),
    ...(r.retiredAt ? { retiredAt: r.retiredAt } : {}),
  };
}

async function listCommand(ctx: CommandContext): Promise<number> {
  const account = honeyAccountOption(ctx);
  const records = (await (await store(ctx)).list())
    .filter((r) => account === undefined || r.accountId === account)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  output(ctx, { honeyKeys: records.map(summaryOf) }, () =>
    records.length === 0
      ? `No honey keys${account ? ` in account ${account}` : ""}. Plant one: lkr honeykey create --placement "..."`
      : renderTable(
          ["KEY", "STATE", "ACCOUNT", "USER", "PLACEMENT", "USES", "LAST USE"],
          records.map((r) => [
            r.accessKeyId,
            r.state,
            r.accountId,
            `${r.path}${r.userName}`,
            r.placement,
            String(r.uses ?? 0),
            r.lastUse ? `${shortTime(r.lastUse.eventTime)} ${r.lastUse.sourceIp} ${r.lastUse.call}` : "-",
          ]),
        ),
  );
  return EXIT.ok;
}

async function showCommand(ctx: CommandContext): Promise<number> {
  const record = await recordOrThrow(ctx, await store(ctx), keyArgument(ctx));
  output(ctx, { ...summaryOf(record), alertedIps: record.alertedIps ?? {} }, () =>
    [
      `Honey key ${record.accessKeyId} (${record.state})`,
      `  placement:  ${record.placement}`,
      `  user:       ${record.path}${record.userName}, account ${record.accountId}`,
      `  created:    ${shortTime(record.createdAt)} by ${record.createdBy}`,
      ...(record.retiredAt ? [`  ${record.state}:    ${shortTime(record.retiredAt)}`] : []),
      ...(record.replacedBy ? [`  replaced by: ${record.replacedBy}`] : []),
      `  uses seen:  ${record.uses ?? 0}`,
      ...(record.lastUse
        ? [
            `  last use:   ${record.lastUse.eventTime} ${record.lastUse.call} from ${record.lastUse.sourceIp} (${record.lastUse.region})`,
            `              user agent ${record.lastUse.userAgent}${record.lastUse.alertedAt ? `; alerted ${record.lastUse.alertedAt}` : "; no alert (cooldown)"}`,
          ]
        : []),
      ...Object.entries(record.alertedIps ?? {}).map(([ip, a]) => `  alerted on ${ip} at ${a.at}`),
    ].join("\n"),
  );
  return EXIT.ok;
}

/** A new honey user and key for the same placement; the old key Inactive (never deleted), its record `rotated`. */
async function rotateCommand(ctx: CommandContext): Promise<number> {
  const honey = await store(ctx);
  const old = await recordOrThrow(ctx, honey, keyArgument(ctx));
  if (old.state !== "active") throw new UsageError(`${old.accessKeyId} is ${old.state} already`);
  const account = await honeyAccountFor(ctx, await callerIdentityOf(ctx.aws.sts()), "create", old.accountId);
  let planted: Awaited<ReturnType<typeof plant>>;
  try {
    planted = await plant(ctx, old.placement, account);
    await new IamHoneyKeys(account.iam).disable(old.userName, old.accessKeyId);
  } finally {
    account.destroy();
  }
  const { record, key, region } = planted;
  await honey.setState(old.accessKeyId, "rotated", ctx.io.now().toISOString(), key.accessKeyId);
  eprintln(
    ctx.io,
    `Old honey key ${old.accessKeyId} set Inactive (kept, not deleted); replace it where it was planted.`,
  );
  printNewKey(ctx, record, key, region);
  return EXIT.ok;
}

async function retireCommand(ctx: CommandContext): Promise<number> {
  const honey = await store(ctx);
  const record = await recordOrThrow(ctx, honey, keyArgument(ctx));
  const account = await honeyAccountFor(
    ctx,
    await callerIdentityOf(ctx.aws.sts()),
    "disable",
    record.accountId,
  );
  try {
    await new IamHoneyKeys(account.iam).disable(record.userName, record.accessKeyId);
  } finally {
    account.destroy();
  }
  const at = ctx.io.now().toISOString();
  if (record.state === "active") await honey.setState(record.accessKeyId, "retired", at);
  output(
    ctx,
    { accessKeyId: record.accessKeyId, state: record.state === "active" ? "retired" : record.state },
    () =>
      `Honey key ${record.accessKeyId} is Inactive and ${record.state === "active" ? "retired" : record.state} (user ${record.userName} and key kept: disable, never delete).`,
  );
  return EXIT.ok;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_HONEYKEY_TEST_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 1800) {
    throw new UsageError(`--timeout "${text}": expected whole seconds from 1 to 1800`);
  }
  return seconds;
}

async function secretOf(ctx: CommandContext, accessKeyId: string): Promise<string> {
  const fromEnv = ctx.io.env.LKR_HONEYKEY_SECRET?.trim();
  if (fromEnv) return fromEnv;
  const answer = ctx.io.ask ? (await ctx.io.ask(`Secret access key of ${accessKeyId}: `)).trim() : "";
  if (!answer) {
    throw new UsageError(
      "honeykey test needs the key's secret: set LKR_HONEYKEY_SECRET (it is stored nowhere)",
    );
  }
  return answer;
}

/**
 * lkr honeykey test: marks a test pending on the record (a random nonce), makes one real signed
 * call with the honey key (sts:GetCallerIdentity, the call no policy can deny) carrying the nonce in
 * its user agent, and waits until the record shows that use alerted. Prints the time to alert.
 */
async function testCommand(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const json = ctx.args.globals.json;
  const say = (text: string) => (json ? eprintln(io, text) : println(io, text));
  const timeoutSeconds = parseTimeout(ctx.args.timeout);
  const honey = await store(ctx);
  const record = await recordOrThrow(ctx, honey, keyArgument(ctx));
  const secret = await secretOf(ctx, record.accessKeyId);
  const nonce = `${io.random()}${io.random()}`
    .replace(/[^0-9a-f]/gi, "")
    .slice(0, 16)
    .padEnd(8, "0");
  await honey.startTest(
    record.accessKeyId,
    nonce,
    new Date(io.now().getTime() + timeoutSeconds * 1000).toISOString(),
  );
  // The honey key's own credentials; the region the other clients resolved (a profile's included).
  const { profile: _profile, ...config } = ctx.aws.config;
  const region = await ctx.aws.region();
  const sts = new STSClient({
    ...config,
    region,
    credentials: { accessKeyId: record.accessKeyId, secretAccessKey: secret },
    customUserAgent: `${TEST_AGENT_PREFIX}${nonce}`,
  });
  const calledAt = io.now().getTime();
  let arn: string | undefined;
  try {
    arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
  say(
    `Signed sts:GetCallerIdentity with honey key ${maskAccessKeyId(record.accessKeyId)} (${arn ?? "?"}); waiting up to ${timeoutSeconds} s for the alert`,
  );
  for (;;) {
    const current = await honey.get(record.accessKeyId);
    const alert = current?.lastAlert;
    const use = current?.lastUse;
    const now = io.now().getTime();
    if (alert?.userAgent.includes(`${TEST_AGENT_PREFIX}${nonce}`)) {
      const seenMs = now - calledAt;
      const alertedMs = Date.parse(alert.at) - calledAt;
      say(`Alerted: the test call from ${alert.sourceIp}, event ${alert.eventId}`);
      say(
        `Time to alert: ${(alertedMs / 1000).toFixed(2)} s (call → alert published, responder's clock); seen here after ${(seenMs / 1000).toFixed(2)} s`,
      );
      if (json) {
        println(
          io,
          JSON.stringify(
            {
              accessKeyId: record.accessKeyId,
              eventId: alert.eventId,
              timeToAlertMs: alertedMs,
              seenMs,
              passed: true,
            },
            null,
            2,
          ),
        );
      } else println(io, "Honey key test passed.");
      return EXIT.ok;
    }
    if (now - calledAt >= timeoutSeconds * 1000) {
      throw new HoneyKeyTestTimeoutError(
        `no alert for the test call within ${timeoutSeconds} s${use?.userAgent.includes(nonce) ? " (the use was recorded but not alerted)" : " (no use recorded: is the honey rule deployed in this region with a trail, and is the user under its path?)"}`,
      );
    }
    await io.sleep(HONEYKEY_TEST_POLL_MS);
  }
}

const SUBCOMMANDS = {
  create: createCommand,
  list: listCommand,
  show: showCommand,
  rotate: rotateCommand,
  retire: retireCommand,
  test: testCommand,
} as const;

/** lkr honeykey create | list | show | rotate | retire | test. */
export async function honeykeyCommand(ctx: CommandContext): Promise<number> {
  const sub = ctx.args.subcommand;
  if (sub === undefined) throw new UsageError("honeykey needs a subcommand");
  if ((sub === "list" || sub === "show" || sub === "test") && (ctx.args.accountProfile ?? ctx.args.roleArn)) {
    // They only read the central table (test signs with the honey key itself): no credentials of the account.
    throw new UsageError(
      `honeykey ${sub} takes --account alone (--account-profile and --role-arn are for create, rotate, retire)`,
    );
  }
  return SUBCOMMANDS[sub](ctx);
}
