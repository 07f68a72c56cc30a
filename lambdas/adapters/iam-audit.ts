import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
} from "@aws-sdk/client-iam";
import { allowsEverything, isAdministratorAccess, isCustomerManaged } from "../core/audit/admin.js";
import { CredentialReportTimeoutError } from "../core/audit/errors.js";
import type { KeyLastUsed, ListedKey } from "../core/audit/keys.js";
import type { CredentialReportSource, KeyDirectory } from "../core/audit/ports.js";
import type { AdminScope } from "../core/audit/rules.js";
import { AwsCallError, describeError } from "../core/errors.js";
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

/** Inline policies read per user or group at most (the rest are reported as unread). */
const MAX_INLINE_POLICIES = 10;

function decodeDocument(document: string | undefined): string {
  return decodeURIComponent(document ?? "");
}

/** ListAccessKeys, GetAccessKeyLastUsed and the admin scope of users; policy documents cached by ARN and group. */
export class IamKeyDirectory implements KeyDirectory {
  private readonly managed = new Map<string, Promise<boolean | undefined>>();
  private readonly groups = new Map<string, Promise<string[]>>();

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

  async adminScope(userName: string): Promise<AdminScope> {
    try {
      const via = [...(await this.userGrants(userName))];
      const groups = await call("iam:ListGroupsForUser", () =>
        this.client.send(new ListGroupsForUserCommand({ UserName: userName, MaxItems: 100 })),
      );
      for (const g of groups.Groups ?? []) {
        if (g.GroupName) via.push(...(await this.groupGrants(g.GroupName)));
      }
      return { admin: via.length > 0, via };
    } catch (error) {
      return { error: describeError(error) };
    }
  }

  private async userGrants(userName: string): Promise<string[]> {
    const attached = await call("iam:ListAttachedUserPolicies", () =>
      this.client.send(new ListAttachedUserPoliciesCommand({ UserName: userName, MaxItems: 100 })),
    );
    const inline = await call("iam:ListUserPolicies", () =>
      this.client.send(new ListUserPoliciesCommand({ UserName: userName, MaxItems: MAX_INLINE_POLICIES })),
    );
    const via = await this.attachedGrants(attached.AttachedPolicies ?? [], "");
    for (const name of inline.PolicyNames ?? []) {
      const doc = await call("iam:GetUserPolicy", () =>
        this.client.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: name })),
      );
      if (this.allows(doc.PolicyDocument, `inline ${name}`)) via.push(`inline policy ${name}`);
    }
    return via;
  }

  private groupGrants(groupName: string): Promise<string[]> {
    let grants = this.groups.get(groupName);
    if (grants === undefined) {
      grants = this.readGroupGrants(groupName);
      this.groups.set(groupName, grants);
    }
    return grants;
  }

  private async readGroupGrants(groupName: string): Promise<string[]> {
    const attached = await call("iam:ListAttachedGroupPolicies", () =>
      this.client.send(new ListAttachedGroupPoliciesCommand({ GroupName: groupName, MaxItems: 100 })),
    );
    const inline = await call("iam:ListGroupPolicies", () =>
      this.client.send(new ListGroupPoliciesCommand({ GroupName: groupName, MaxItems: MAX_INLINE_POLICIES })),
    );
    const via = await this.attachedGrants(attached.AttachedPolicies ?? [], ` (group ${groupName})`);
    for (const name of inline.PolicyNames ?? []) {
      const doc = await call("iam:GetGroupPolicy", () =>
        this.client.send(new GetGroupPolicyCommand({ GroupName: groupName, PolicyName: name })),
      );
      if (this.allows(doc.PolicyDocument, `inline ${name}`))
        via.push(`inline policy ${name} (group ${groupName})`);
    }
    return via;
  }

  private async attachedGrants(
    policies: readonly { PolicyArn?: string | undefined; PolicyName?: string | undefined }[],
    suffix: string,
  ): Promise<string[]> {
    const via: string[] = [];
    for (const p of policies) {
      if (!p.PolicyArn) continue;
      if (isAdministratorAccess(p.PolicyArn)) via.push(`AdministratorAccess${suffix}`);
      else if (isCustomerManaged(p.PolicyArn) && (await this.managedAllowsEverything(p.PolicyArn))) {
        via.push(`${p.PolicyName ?? p.PolicyArn}${suffix}`);
      }
    }
    return via;
  }

  private managedAllowsEverything(policyArn: string): Promise<boolean | undefined> {
    let answer = this.managed.get(policyArn);
    if (answer === undefined) {
      answer = (async () => {
        const policy = await call("iam:GetPolicy", () =>
          this.client.send(new GetPolicyCommand({ PolicyArn: policyArn })),
        );
        const versionId = policy.Policy?.DefaultVersionId;
        if (!versionId) return undefined;
        const version = await call("iam:GetPolicyVersion", () =>
          this.client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
        );
        return this.allows(version.PolicyVersion?.Document, policyArn);
      })();
      this.managed.set(policyArn, answer);
    }
    return answer;
  }

  /** Whether a URL-encoded document allows `*:*`; an unreadable one throws (the admin rule fails closed). */
  private allows(document: string | undefined, what: string): boolean {
    const answer = allowsEverything(decodeDocument(document));
    if (answer === undefined) throw new Error(`policy document of ${what} does not parse`);
    return answer;
  }
}
