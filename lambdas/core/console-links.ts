import type { Exposure } from "./exposure.js";

/** A link into the AWS Management Console, with what it opens. */
export interface ConsoleLink {
  readonly label: string;
  readonly url: string;
}

/** IAM and its CloudTrail events live in us-east-1; a signal of region `global` (Health) is looked up there. */
const IAM_REGION = "us-east-1";
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** `https://<region>.console.aws.amazon.com/<path>` (the standard partition's console). */
function consoleUrl(region: string, path: string): string {
  return `https://${region}.console.aws.amazon.com/${path}`;
}

/** CloudTrail event history of one region, filtered by the key (the AccessKeyId lookup attribute). */
function cloudTrailLink(region: string, accessKeyId: string): ConsoleLink {
  return {
    label: `CloudTrail event history of the key (${region})`,
    url: consoleUrl(
      region,
      `cloudtrail/home?region=${region}#/events?AccessKeyId=${encodeURIComponent(accessKeyId)}`,
    ),
  };
}

/**
 * The key's own pages, from what an incident records: the IAM page of its user (security
 * credentials) or role, when named, and CloudTrail event history filtered by the key in us-east-1
 * (where IAM calls are recorded) and in `region` when it is another. The follow-up and release
 * alerts use these; the containment alert adds the GuardDuty finding.
 */
export function keyConsoleLinks(
  principal: { readonly type: string; readonly name?: string | undefined },
  accessKeyId: string,
  region: string,
): ConsoleLink[] {
  const links: ConsoleLink[] = [];
  if (principal.type === "user" && principal.name !== undefined) {
    links.push({
      label: `IAM user ${principal.name} (security credentials)`,
      url: consoleUrl(
        IAM_REGION,
        `iam/home#/users/details/${encodeURIComponent(principal.name)}?section=security_credentials`,
      ),
    });
  }
  if (principal.type === "role" && principal.name !== undefined) {
    links.push({
      label: `IAM role ${principal.name}`,
      url: consoleUrl(IAM_REGION, `iam/home#/roles/details/${encodeURIComponent(principal.name)}`),
    });
  }
  links.push(cloudTrailLink(IAM_REGION, accessKeyId));
  const own = REGION.test(region) ? region : IAM_REGION;
  if (own !== IAM_REGION) links.push(cloudTrailLink(own, accessKeyId));
  return links;
}

/** `IN THE CONSOLE (account …)` and one line per link, after a blank line; nothing without links. */
export function consoleSection(accountId: string, links: readonly ConsoleLink[]): string[] {
  return links.length > 0
    ? ["", `IN THE CONSOLE (account ${accountId})`, ...links.map((l) => `  ${l.label}: ${l.url}`)]
    : [];
}

/**
 * Where a human looks next, in the key's account: the IAM page of its user (security credentials)
 * or role, CloudTrail event history filtered by the key (us-east-1, where IAM calls are recorded, and
 * the signal's own region), and the GuardDuty finding. Nothing for a sample finding.
 */
export function consoleLinksOf(exposure: Exposure, principalName: string | undefined): ConsoleLink[] {
  if (exposure.sample) return [];
  const principal = exposure.principal;
  const name =
    principal.type === "user"
      ? (principal.name ?? principalName)
      : principal.type === "role"
        ? principal.name
        : undefined;
  const links = keyConsoleLinks({ type: principal.type, name }, exposure.accessKeyId, exposure.region);
  const region = REGION.test(exposure.region) ? exposure.region : IAM_REGION;
  if (exposure.source === "guardduty" && exposure.signalId.startsWith("guardduty:")) {
    const findingId = exposure.signalId.slice("guardduty:".length);
    links.push({
      label: "GuardDuty finding",
      url: consoleUrl(
        region,
        `guardduty/home?region=${region}#/findings?macros=current&fId=${encodeURIComponent(findingId)}`,
      ),
    });
  }
  return links;
}
