import { EXIT } from "../errors.js";
import { parseAccountFilter, parseSince, parseStatusFilter, sortIncidents } from "../filters.js";
import { renderIncidentTable } from "../format.js";
import { type CommandContext, incidentReview, output } from "./common.js";

/** lkr incidents [--status open|released|resolved] [--since 7d] [--account 123456789012,...] */
export async function incidentsCommand(ctx: CommandContext): Promise<number> {
  const statuses = ctx.args.status === undefined ? undefined : parseStatusFilter(ctx.args.status);
  const updatedSince = ctx.args.since === undefined ? undefined : parseSince(ctx.args.since, ctx.io.now());
  const accounts = ctx.args.account === undefined ? undefined : parseAccountFilter(ctx.args.account);
  const review = await incidentReview(ctx);
  const incidents = sortIncidents(
    await review.list({
      ...(statuses ? { statuses } : {}),
      ...(updatedSince ? { updatedSince } : {}),
    }),
  ).filter((incident) => accounts === undefined || accounts.includes(incident.accountId));
  output(ctx, incidents, () => {
    if (incidents.length === 0) {
      const filters = [
        ctx.args.status ? `status ${ctx.args.status}` : "",
        updatedSince ? `updated since ${updatedSince}` : "",
        accounts ? `account ${accounts.join(", ")}` : "",
      ].filter((f) => f !== "");
      return `No incidents${filters.length > 0 ? ` (${filters.join(", ")})` : ""}.`;
    }
    return `${renderIncidentTable(incidents, ctx.io)}\n\n${incidents.length} incident${incidents.length === 1 ? "" : "s"}. Details: lkr show <ID>`;
  });
  return EXIT.ok;
}
