import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { type AuthorizationDetails, adminScopesOf } from "../core/audit/admin.js";
import { CredentialReportTimeoutError } from "../core/audit/errors.js";
import type { KeyLastUsed, ListedKey } from "../core/audit/keys.js";
import type { CredentialReportSource, KeyDirectory } from "../core/audit/ports.js";
import type { AdminScope } from "../core/audit/rules.js";
import { AwsCallError } from "../core/errors.js";
import { call, unlessGone } from "./aws-errors.js";
import { listAccessKeys } from "./iam-access-keys.js";

export interface ReportPolling {
  /** GenerateCredentialReport calls before giving up. @default 10 */
  readonly maxPolls?: number;
  /** First wait between polls (ms), doubled each time up to 8 s. @default 500 */
  readonly firstDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * GenerateCredentialReport until IAM says COMPLETE (STARTED / INPROGRESS in between, with backoff),
 * then GetCredentialReport; its Content (base64 on the wire, bytes from the SDK) decoded as UTF-8.
 * A report GetCredentialReport does not have yet (ReportNotPresent / ReportInProgress) is polled again.
 */
export class IamCredentialReportSource implements CredentialReportSource {
  constructor(
    private readonly client: IAMClient,
    private readonly polling: ReportPolling = {},
  ) {}

  async fetch(): Promise<{ csv: string; generatedAt: string | undefined }> {
    const maxPolls = this.polling.maxPolls ?? 10;
    const sleep = this.polling.sleep ?? defaultSleep;
    let delay = this.polling.firstDelayMs ?? 500;
    for (let poll = 1; poll <= maxPolls; poll++) {
      const generated = await call("iam:GenerateCredentialReport", () =>
        this.client.send(new GenerateCredentialReportCommand({})),
      );
      if (generated.State === "COMPLETE") {
        const report = await this.get();
        if (report !== undefined) return report;
      }
      if (poll < maxPolls) await sleep(delay);
      delay = Math.min(delay * 2, 8000);
    }
    throw new CredentialReportTimeoutError(maxPolls);
  }

  private async get(): Promise<{ csv: string; generatedAt: string | undefined } | undefined> {
    try {
      const out = await call("iam:GetCredentialReport", () =>
        this.client.send(new GetCredentialReportCommand({})),
      );
      const content = out.Content;
      const csv =
        typeof content === "string" ? content : new TextDecoder().decode(content ?? new Uint8Array());
      return { csv, generatedAt: out.GeneratedTime?.toISOString() };
    } catch (error) {
      if (error instanceof AwsCallError && /^Report(NotPresent|InProgress|Expired)/.test(error.code))
        return undefined;
      throw error;
    }
  }
}

/** Pages of GetAccountAuthorizationDetails read at most (1,000 entities each): the read stays bounded. */
export const MAX_AUTHORIZATION_PAGES = 100;

/** ListAccessKeys and GetAccessKeyLastUsed per user; the account's admin scopes in one paginated read. */
export class IamKeyDirectory implements KeyDirectory {
  constructor(private readonly client: IAMClient) {}

  async listKeys(userName: string): Promise<ListedKey[]> {
    const keys = await unlessGone(() => listAccessKeys(this.client, userName), []);
    return keys.flatMap((k) =>
      k.AccessKeyId && k.CreateDate
        ? [
            {
              accessKeyId: k.AccessKeyId,
              status: k.Status === "Inactive" ? ("Inactive" as const) : ("Active" as const),
              createDate: k.CreateDate.toISOString(),
            },
          ]
        : [],
    );
  }

  async lastUsed(accessKeyId: string): Promise<KeyLastUsed> {
    const out = await call("iam:GetAccessKeyLastUsed", () =>
      this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
    );
    const used = out.AccessKeyLastUsed;
    const known = (v: string | undefined) => (v === undefined || v === "N/A" ? undefined : v);
    return {
      lastUsed: used?.LastUsedDate?.toISOString(),
      service: known(used?.ServiceName),
      region: known(used?.Region),
    };
  }

  /**
   * GetAccountAuthorizationDetails for users, groups and customer managed policies (not roles, not
   * AWS managed policies: AdministratorAccess is known by its ARN), page by page. Past
   * MAX_AUTHORIZATION_PAGES the users not read yet are left out: their admin rule fails closed.
   */
  async adminScopes(): Promise<Map<string, AdminScope>> {
    const details: {
      users: AuthorizationDetails["users"][number][];
      groups: AuthorizationDetails["groups"][number][];
      managedPolicies: AuthorizationDetails["managedPolicies"][number][];
    } = {
      users: [],
      groups: [],
      managedPolicies: [],
    };
    let marker: string | undefined;
    for (let page = 0; page < MAX_AUTHORIZATION_PAGES; page++) {
      const out = await call("iam:GetAccountAuthorizationDetails", () =>
        this.client.send(
          new GetAccountAuthorizationDetailsCommand({
            Filter: ["User", "Group", "LocalManagedPolicy"],
            MaxItems: 1000,
            ...(marker ? { Marker: marker } : {}),
          }),
        ),
      );
      for (const u of out.UserDetailList ?? []) {
        if (!u.UserName) continue;
        details.users.push({
          userName: u.UserName,
          inline: inlineOf(u.UserPolicyList),
          attached: attachedOf(u.AttachedManagedPolicies),
          groups: u.GroupList ?? [],
        });
      }
      for (const g of out.GroupDetailList ?? []) {
        if (!g.GroupName) continue;
        details.groups.push({
          groupName: g.GroupName,
          inline: inlineOf(g.GroupPolicyList),
          attached: attachedOf(g.AttachedManagedPolicies),
        });
      }
      for (const p of out.Policies ?? []) {
        if (!p.Arn) continue;
        const version =
          p.PolicyVersionList?.find((v) => v.IsDefaultVersion) ??
          p.PolicyVersionList?.find((v) => v.VersionId === p.DefaultVersionId);
        details.managedPolicies.push({ arn: p.Arn, document: version?.Document });
      }
      marker = out.IsTruncated ? out.Marker : undefined;
      if (marker === undefined) break;
    }
    return adminScopesOf(details);
  }
}

function inlineOf(
  list: readonly { PolicyName?: string | undefined; PolicyDocument?: string | undefined }[] | undefined,
) {
  return (list ?? []).map((p) => ({ name: p.PolicyName ?? "", document: p.PolicyDocument ?? "" }));
}

function attachedOf(
  list: readonly { PolicyName?: string | undefined; PolicyArn?: string | undefined }[] | undefined,
) {
  return (list ?? []).flatMap((p) =>
    p.PolicyArn ? [{ name: p.PolicyName ?? p.PolicyArn, arn: p.PolicyArn }] : [],
  );
}
