import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { DynamoDbExposureHistory } from "../../lambdas/adapters/dynamodb-audit.js";
import { DynamoDbHoneyKeys } from "../../lambdas/adapters/dynamodb-honey.js";
import { IamCredentialReportSource, IamKeyDirectory } from "../../lambdas/adapters/iam-audit.js";
import { activeAccountsOf } from "../../lambdas/adapters/organizations-accounts.js";
import { callerIdentityOf } from "../../lambdas/adapters/sts-identity.js";
import { MemberAccounts } from "../../lambdas/adapters/sts-member-accounts.js";
import { maskAccessKeyId } from "../../lambdas/core/access-key.js";
import { type AuditSources, auditAccounts, auditFindings } from "../../lambdas/core/audit/audit.js";
import { DEFAULT_AUDIT_CONCURRENCY } from "../../lambdas/core/audit/config.js";
import type { UnreachableAccount } from "../../lambdas/core/audit/digest.js";
import type { Finding } from "../../lambdas/core/audit/findings.js";
import { DEFAULT_THRESHOLDS } from "../../lambdas/core/audit/rules.js";
import { SERVICE_NAME } from "../../lambdas/core/contract.js";
import { ConfigurationError, EXIT, UsageError } from "../errors.js";
import { parseAccountFilter } from "../filters.js";
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
  const accounts = findings.some((f) => f.accountId !== undefined);
  return renderTable(
    [...(accounts ? ["ACCOUNT"] : []), "RISK", "KIND", "USER", "KEY", "DETAIL"],
    findings.map((f) => [
      ...(accounts ? [f.accountId ?? "-"] : []),
      String(f.risk),
      f.kind,
      f.userName,
      keyCell(f),
      f.detail,
    ]),
    { width: screen.columns, style: (text, _, row) => (row < 0 ? paint(text, "bold", screen.color) : text) },
  );
}

/**
 * lkr audit: the key-hygiene audit on demand, with the caller's credentials. Reads only: the
 * credential report, the users' keys and policies, and the incidents of their keys.
 */
export async function auditCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args.account !== undefined || ctx.args.organization) return auditAccountsCommand(ctx);
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

/**
 * lkr audit --account A,B | --organization: each account audited with the caller's credentials
 * (its own account) or through the member role (any other), findings carrying their accountId; an
 * account whose member role cannot be assumed is reported as unreachable and the exit code is 1.
 */
async function auditAccountsCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args.account !== undefined && ctx.args.organization) {
    throw new UsageError("audit takes --account or --organization, not both");
  }
  const caller = await callerIdentityOf(ctx.aws.sts());
  const accounts =
    ctx.args.account !== undefined
      ? parseAccountFilter(ctx.args.account)
      : await activeAccountsOf(new OrganizationsClient({ ...ctx.aws.config }));
  const roleName = await ctx.aws.memberRoleName();
  if (roleName === undefined && accounts.some((a) => a !== caller.accountId)) {
    throw new ConfigurationError(
      "Auditing another account needs the member role: set LKR_MEMBER_ROLE_NAME or deploy the Organization stack (its MemberRoleName output).",
    );
  }
  const members = new MemberAccounts({
    roleName,
    sts: () => ctx.aws.sts(),
    sessionName: `${SERVICE_NAME}-lkr`,
  });
  const sourcesOf = async (accountId: string): Promise<Pick<AuditSources, "report" | "directory">> => {
    const iam =
      accountId === caller.accountId
        ? ctx.aws.iam()
        : new IAMClient({
            ...ctx.aws.config,
            credentials: await members.credentialsFor(accountId, caller.accountId),
          });
    return {
      report: new IamCredentialReportSource(iam, { sleep: ctx.io.sleep }),
      directory: new IamKeyDirectory(iam),
    };
  };
  const history = await exposureHistory(ctx);
  const { findings, audited, unreachable } = await auditAccounts(accounts, sourcesOf, history ?? {}, {
    thresholds: DEFAULT_THRESHOLDS,
    concurrency: DEFAULT_AUDIT_CONCURRENCY,
    now: ctx.io.now(),
  });
  output(
    ctx,
    // The contract, with accountId on each finding and the accounts not reached.
    { findings: findings.map((f) => ({ ...f, accessKeyId: f.accessKeyId ?? null })), audited, unreachable },
    () =>
      [
        findings.length === 0
          ? `No findings in ${audited.length} account(s).`
          : renderAuditTable(findings, ctx.io),
        "",
        `${findings.length} finding${findings.length === 1 ? "" : "s"} in ${audited.length} account(s) audited: ${audited.join(", ") || "none"}.`,
        ...unreachableLines(unreachable),
      ].join("\n"),
  );
  return unreachable.length > 0 ? EXIT.failure : EXIT.ok;
}

function unreachableLines(unreachable: readonly UnreachableAccount[]): string[] {
  return unreachable.map((u) => `UNREACHABLE ${u.accountId}: ${u.reason} (not audited)`);
}
