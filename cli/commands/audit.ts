import { DynamoDbExposureHistory } from "../../lambdas/adapters/dynamodb-audit.js";
import { DynamoDbHoneyKeys } from "../../lambdas/adapters/dynamodb-honey.js";
import { IamCredentialReportSource, IamKeyDirectory } from "../../lambdas/adapters/iam-audit.js";
import { maskAccessKeyId } from "../../lambdas/core/access-key.js";
import { auditFindings } from "../../lambdas/core/audit/audit.js";
import { DEFAULT_AUDIT_CONCURRENCY } from "../../lambdas/core/audit/config.js";
import type { Finding } from "../../lambdas/core/audit/findings.js";
import { DEFAULT_THRESHOLDS } from "../../lambdas/core/audit/rules.js";
import { ConfigurationError, EXIT } from "../errors.js";
import { paint, renderTable, type Screen } from "../format.js";
import { eprintln } from "../io.js";
import { type CommandContext, output } from "./common.js";

/** The incident table for exposure history (and the honey users), when one is configured; the audit runs without it otherwise. */
async function exposureHistory(
  ctx: CommandContext,
): Promise<{ exposure: DynamoDbExposureHistory; honeyUsers: DynamoDbHoneyKeys } | undefined> {
  try {
    const table = await ctx.aws.tableName();
    return {
      exposure: new DynamoDbExposureHistory(ctx.aws.dynamo(), table),
      honeyUsers: new DynamoDbHoneyKeys(ctx.aws.dynamo(), table),
    };
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    eprintln(ctx.io, `lkr: no incident table (${error.message}); auditing without exposure history`);
    return undefined;
  }
}

function keyCell(f: Finding): string {
  if (f.accessKeyId) return maskAccessKeyId(f.accessKeyId);
  return f.keySlot === undefined ? "-" : `root key ${f.keySlot}`;
}

export function renderAuditTable(findings: readonly Finding[], screen: Screen = {}): string {
  return renderTable(
    ["RISK", "KIND", "USER", "KEY", "DETAIL"],
    findings.map((f) => [String(f.risk), f.kind, f.userName, keyCell(f), f.detail]),
    { width: screen.columns, style: (text, _, row) => (row < 0 ? paint(text, "bold", screen.color) : text) },
  );
}

/**
 * lkr audit: the key-hygiene audit on demand, with the caller's credentials. Reads only: the
 * credential report, the users' keys and policies, and the incidents of their keys.
 */
export async function auditCommand(ctx: CommandContext): Promise<number> {
  const iam = ctx.aws.iam();
  const history = await exposureHistory(ctx);
  const { gathered, findings } = await auditFindings(
    {
      report: new IamCredentialReportSource(iam, { sleep: ctx.io.sleep }),
      directory: new IamKeyDirectory(iam),
      ...(history ?? {}),
    },
    { thresholds: DEFAULT_THRESHOLDS, concurrency: DEFAULT_AUDIT_CONCURRENCY, now: ctx.io.now() },
  );
  output(
    ctx,
    // The contract: `{ "findings": [...] }`, each with kind, userName, accessKeyId (or null) and risk.
    { findings: findings.map((f) => ({ ...f, accessKeyId: f.accessKeyId ?? null })) },
    () =>
      findings.length === 0
        ? `No findings in account ${gathered.accountId}.`
        : `${renderAuditTable(findings, ctx.io)}\n\n${findings.length} finding${findings.length === 1 ? "" : "s"} in account ${gathered.accountId}, highest risk first.`,
  );
  return EXIT.ok;
}
