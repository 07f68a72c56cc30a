import { SNS_TOPIC_ARN_PATTERN } from "./contract.js";
import { ConfigError } from "./errors.js";

/**
 * Where an account's alerts go besides the central topic: by account id, by an OU it is under, or
 * by an Organizations account tag. The central topic always gets every alert.
 */
export interface AlertRoute {
  /** An account id, an OU id (`ou-…`) or `tag:<key>=<value>`. */
  readonly match: string;
  /** The extra SNS topic. */
  readonly topicArn: string;
}

/** Where an account sits in the Organization: the OUs above it (nearest first) and its tags. */
export interface AccountPlacement {
  readonly ouIds: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

const MATCH_PATTERN = /^(\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|tag:[^=]+=.*)$/;

/** `match=topicArn` entries, comma-separated (ALERT_ROUTES); a bad entry fails the cold start. */
export function parseAlertRoutes(value: string | undefined, variable = "ALERT_ROUTES"): AlertRoute[] {
  const entries = (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  return entries.map((entry) => {
    const at = entry.lastIndexOf("=arn:");
    const match = at < 0 ? "" : entry.slice(0, at);
    const topicArn = at < 0 ? "" : entry.slice(at + 1);
    if (!MATCH_PATTERN.test(match) || !SNS_TOPIC_ARN_PATTERN.test(topicArn)) {
      throw new ConfigError(
        `${variable} contains "${entry}"; expected <account id|ou-…|tag:key=value>=<SNS topic ARN>`,
        variable,
      );
    }
    return { match, topicArn };
  });
}

/** The routes as ALERT_ROUTES writes them. */
export function formatAlertRoutes(routes: readonly AlertRoute[]): string {
  return routes.map((r) => `${r.match}=${r.topicArn}`).join(",");
}

/**
 * The most ALERT_ROUTES may hold: Lambda keeps all of a function's environment variables within
 * 4 KB, and the respond function's other variables need about 1 KB. Beyond it, route by OU or tag.
 */
export const MAX_ALERT_ROUTES_LENGTH = 3000;

/** Whether any route needs the account's place in the Organization (an OU or a tag route). */
export function needsPlacement(routes: readonly AlertRoute[]): boolean {
  return routes.some((r) => !/^\d{12}$/.test(r.match));
}

/** The extra topics of an account's alerts, each once, in route order; with no placement, account routes only. */
export function extraTopicsFor(
  routes: readonly AlertRoute[],
  accountId: string,
  placement: AccountPlacement | undefined,
): string[] {
  const hits = routes.filter((r) => {
    if (/^\d{12}$/.test(r.match)) return r.match === accountId;
    if (placement === undefined) return false;
    if (r.match.startsWith("ou-")) return placement.ouIds.includes(r.match);
    const [key, ...value] = r.match.slice("tag:".length).split("=");
    return key !== undefined && placement.tags[key] === value.join("=");
  });
  return [...new Set(hits.map((r) => r.topicArn))];
}
