import { AwsCallError, TransientAwsError } from "../errors.js";
import type { HoneyUserDirectory } from "../honeykey/ports.js";
import type { Log } from "../log.js";
import { MemberAccountUnreachableError, NoMemberRoleError } from "../organization.js";
import type { AlertPublisher } from "../ports.js";
import {
  type AlertMode,
  type AuditDigest,
  digestOf,
  recordOf,
  renderDigestAlert,
  shouldAlert,
  type UnreachableAccount,
} from "./digest.js";
import {
  type EnforcementPolicy,
  enforcementSignalsOf,
  planAnnouncements,
  withDisableDates,
} from "./enforcement.js";
import { type AuditFacts, evaluateAudit } from "./evaluate.js";
import { type Finding, sortByRisk } from "./findings.js";
import { type KeyFacts, type KeyLastUsed, keyFactsOf, keysNeedingLastUsed } from "./keys.js";
import type {
  AuditStore,
  CredentialReportSource,
  EnforcementSignals,
  ExposureHistory,
  KeyDirectory,
} from "./ports.js";
import { type CredentialUser, parseCredentialReport } from "./report.js";
import type { AdminScope, AuditThresholds } from "./rules.js";

/** The account of a report without users (moto's, in an empty account): nothing to look up. */
export const UNKNOWN_ACCOUNT = "unknown";

export interface AuditSources {
  readonly report: CredentialReportSource;
  readonly directory: KeyDirectory;
  /** Absent: no exposure history (lkr audit without a table). */
  readonly exposure?: ExposureHistory;
  /** Honey users (planted by lkr honeykey): never audited. Absent: no table, none known. */
  readonly honeyUsers?: HoneyUserDirectory;
}

export interface AuditOptions {
  readonly thresholds: AuditThresholds;
  /** IAM reads in flight at once. */
  readonly concurrency: number;
  readonly now: Date;
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A user the report shows with a key in a slot (active or not). */
function hasKeys(user: CredentialUser): boolean {
  return user.keySlots.some((s) => s.active || s.lastRotated !== undefined);
}

/** Whose admin scope matters: an active key, or console without MFA. */
function needsAdminScope(user: CredentialUser, keys: readonly KeyFacts[]): boolean {
  return keys.some((k) => k.active) || (user.consoleAccess && !user.mfaActive);
}

export interface GatheredAudit {
  readonly accountId: string;
  readonly reportGeneratedAt: string | undefined;
  readonly facts: AuditFacts;
}

/**
 * The report, then for each user it shows with keys: ListAccessKeys, GetAccessKeyLastUsed for the
 * keys no slot matches; the admin scope of every user in one paginated read (when any finding can
 * use it); then the incidents of every key.
 */
export async function gatherAudit(sources: AuditSources, options: AuditOptions): Promise<GatheredAudit> {
  const { csv, generatedAt } = await sources.report.fetch();
  const honey = sources.honeyUsers ? await sources.honeyUsers.honeyUsers() : new Set<string>();
  // Honey users are powerless tripwires: no hygiene finding is about them.
  const users = parseCredentialReport(csv).filter((u) => !honey.has(`${u.accountId}/${u.userName}`));
  // Every row's ARN names the account (AWS's report always has the root row; moto's has none).
  const accountId =
    users.find((u) => /^\d{12}$/.test(u.accountId))?.accountId ?? users[0]?.accountId ?? UNKNOWN_ACCOUNT;
  const iamUsers = users.filter((u) => !u.isRoot);

  const keysByUser = new Map<string, KeyFacts[]>();
  await mapLimit(iamUsers.filter(hasKeys), options.concurrency, async (user) => {
    const listed = await sources.directory.listKeys(user.userName);
    const lookups = keysNeedingLastUsed(user, listed);
    const used = new Map<string, KeyLastUsed>();
    for (const id of lookups) used.set(id, await sources.directory.lastUsed(id));
    keysByUser.set(user.userName, keyFactsOf(user, listed, used));
  });

  const adminByUser: ReadonlyMap<string, AdminScope> = iamUsers.some((u) =>
    needsAdminScope(u, keysByUser.get(u.userName) ?? []),
  )
    ? await sources.directory.adminScopes()
    : new Map();

  const keyIds = [...keysByUser.values()].flat().map((k) => k.accessKeyId);
  const incidentsByKey = sources.exposure ? await sources.exposure.incidentsOf(accountId, keyIds) : new Map();
  return {
    accountId,
    reportGeneratedAt: generatedAt,
    facts: { users, keysByUser, adminByUser, incidentsByKey },
  };
}

/** Gathers and evaluates: every finding, worst first. Changes nothing (lkr audit). */
export async function auditFindings(
  sources: AuditSources,
  options: AuditOptions,
): Promise<{
  gathered: GatheredAudit;
  findings: Finding[];
}> {
  const gathered = await gatherAudit(sources, options);
  const findings = evaluateAudit(gathered.facts, { now: options.now, thresholds: options.thresholds });
  return { gathered, findings };
}

/** The Organization's accounts, and each member account's IAM reads through its member role. */
export interface OrganizationAccounts {
  /** The ACTIVE accounts of the Organization (organizations:ListAccounts). */
  activeAccounts(): Promise<string[]>;
  /** The report and key reads of a member account, as its member role; throws when it cannot be assumed. */
  sourcesOf(accountId: string): Promise<Pick<AuditSources, "report" | "directory">>;
}

/** Why a member account could not be audited, or undefined when the error is not about reaching it (thrown on). */
function unreachableReason(error: unknown): string | undefined {
  if (error instanceof TransientAwsError) return undefined;
  if (error instanceof MemberAccountUnreachableError || error instanceof NoMemberRoleError)
    return error.message;
  // AccessDenied on a read: a member stack older than the audit's actions.
  if (error instanceof AwsCallError) return error.message;
  return undefined;
}

export interface OrganizationFindings {
  readonly gathered: GatheredAudit;
  /** Every account's findings, each carrying its accountId, worst first. */
  readonly findings: Finding[];
  readonly audited: string[];
  readonly unreachable: UnreachableAccount[];
}

/**
 * The home account with its own credentials, then every other active account of the Organization
 * through its member role, one at a time. An account whose role cannot be assumed (or refuses the
 * reads) is listed as unreachable, never skipped silently; a transient error is thrown (retried).
 */
export async function auditOrganization(
  home: AuditSources,
  organization: OrganizationAccounts,
  options: AuditOptions,
): Promise<OrganizationFindings> {
  const { gathered, findings: homeFindings } = await auditFindings(home, options);
  const accounts = (await organization.activeAccounts()).filter((a) => a !== gathered.accountId);
  const others = await auditAccounts(accounts, organization.sourcesOf, home, options);
  return {
    gathered,
    findings: sortByRisk([
      ...homeFindings.map((f) => ({ ...f, accountId: gathered.accountId })),
      ...others.findings,
    ]),
    audited: [gathered.accountId, ...others.audited],
    unreachable: others.unreachable,
  };
}

/**
 * The accounts named (sorted), one at a time, each with the sources `sourcesOf` gives (the member
 * role's, for another account) and the shared exposure history and honey users; findings carry
 * their accountId. An account that cannot be reached is listed as unreachable with why.
 */
export async function auditAccounts(
  accountIds: readonly string[],
  sourcesOf: OrganizationAccounts["sourcesOf"],
  shared: Pick<AuditSources, "exposure" | "honeyUsers">,
  options: AuditOptions,
): Promise<Omit<OrganizationFindings, "gathered">> {
  const findings: Finding[] = [];
  const audited: string[] = [];
  const unreachable: UnreachableAccount[] = [];
  for (const accountId of [...new Set(accountIds)].sort()) {
    try {
      const sources = await sourcesOf(accountId);
      const member = await auditFindings(
        {
          ...sources,
          ...(shared.exposure ? { exposure: shared.exposure } : {}),
          ...(shared.honeyUsers ? { honeyUsers: shared.honeyUsers } : {}),
        },
        options,
      );
      findings.push(...member.findings.map((f) => ({ ...f, accountId })));
      audited.push(accountId);
    } catch (error) {
      const reason = unreachableReason(error);
      if (reason === undefined) throw error;
      unreachable.push({ accountId, reason });
    }
  }
  return { findings: sortByRisk(findings), audited, unreachable };
}

export interface ScheduledAuditDeps extends AuditSources {
  /** Organization deployments: every active account is audited through its member role. @default - the home account only */
  readonly organization?: OrganizationAccounts | undefined;
  readonly store: AuditStore;
  readonly alerts: AlertPublisher;
  readonly log: Log;
  /** Where due keys are handed to the respond function; absent: nothing is enforced. */
  readonly enforcement?: EnforcementSignals | undefined;
}

/** Enforcement, notify first: days of notice per kind (none: off), and who is never announced. */
export interface EnforcementSettings {
  readonly policy: EnforcementPolicy;
  /** User names (the respond function's exempt list): never announced, never disabled. */
  readonly exemptPrincipals: readonly string[];
}

export interface ScheduledAuditSettings extends AuditOptions {
  readonly mode: AlertMode;
  readonly topN: number;
  /** @default - off: no announcements, nothing handed to the responder */
  readonly enforcement?: EnforcementSettings | undefined;
}

export interface ScheduledAuditOutcome {
  readonly digest: AuditDigest;
  readonly alerted: boolean;
  /** Enforcement signals put on the bus (one per key due). */
  readonly enforced: number;
}

/**
 * The daily audit: findings, compared with the last audit; the announcements of enforcement kept,
 * made or cleared; the digest alerted (every run with findings, or only new ones in change-only
 * mode), then stored; then the keys due handed to the respond function. Alert before record: a
 * failed record is retried and may alert twice, never not at all. Record before the signals: the
 * respond function acts only on a key the stored record announces.
 */
export async function runScheduledAudit(
  deps: ScheduledAuditDeps,
  settings: ScheduledAuditSettings,
): Promise<ScheduledAuditOutcome> {
  const org = deps.organization ? await auditOrganization(deps, deps.organization, settings) : undefined;
  const { gathered, findings: all } = org ?? (await auditFindings(deps, settings));
  // Enforcement stays in the home account: the member role holds no audit-driven disable path.
  const isHome = (f: Finding) => f.accountId === undefined || f.accountId === gathered.accountId;
  const found = all.filter(isHome).map(({ accountId: _, ...f }) => f);
  const elsewhere = all.filter((f) => !isHome(f));
  const previous = await deps.store.previous();
  // Without a bus to hand keys to, nothing is announced: an announcement is a promise to disable.
  const policy = deps.enforcement ? (settings.enforcement?.policy ?? {}) : {};
  const announced = previous?.announcements ?? [];
  const enforcement =
    Object.keys(policy).length === 0 && announced.length === 0
      ? undefined
      : planAnnouncements({
          findings: found,
          previous: announced,
          policy,
          exemptPrincipals: settings.enforcement?.exemptPrincipals ?? [],
          now: settings.now,
        });
  const homeFindings = enforcement ? withDisableDates(found, enforcement.announcements) : found;
  const findings = org
    ? sortByRisk([...homeFindings.map((f) => ({ ...f, accountId: gathered.accountId })), ...elsewhere])
    : homeFindings;
  const digest = digestOf({
    accountId: gathered.accountId,
    now: settings.now,
    reportGeneratedAt: gathered.reportGeneratedAt,
    findings,
    previous,
    enforcement,
    organization: org ? { audited: org.audited, unreachable: org.unreachable } : undefined,
  });
  deps.log.info("audit evaluated", {
    users: gathered.facts.users.length,
    findings: findings.length,
    newFindings: digest.newFindings.length,
    counts: digest.counts,
    ...(org ? { accounts: digest.accounts, unreachable: org.unreachable } : {}),
  });
  const alerted = shouldAlert(digest, settings.mode);
  if (alerted) {
    await deps.alerts.publish(renderDigestAlert(digest, { topN: settings.topN, mode: settings.mode }));
  }
  await deps.store.record(recordOf(digest));
  deps.log.info("audit recorded", { auditId: digest.auditId, alerted });
  const signals = enforcement && deps.enforcement ? enforcementSignalsOf(enforcement.due, digest) : [];
  for (const signal of signals) {
    await deps.enforcement?.emit(signal);
    deps.log.info("enforcement signalled", { accessKeyId: signal.accessKeyId, kinds: signal.kinds });
  }
  return { digest, alerted, enforced: signals.length };
}
