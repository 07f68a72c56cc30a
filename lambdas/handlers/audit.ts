import { parseAuditConfig } from "../core/audit/config.js";
import { auditClients, createAuditHandler } from "./audit-handler.js";

export type { AuditResult } from "./audit-handler.js";

/**
 * The deployed audit function. Cold start: configuration parsed once (a bad value fails here,
 * naming the variable), clients built once with default configuration.
 */
export const handler = createAuditHandler(parseAuditConfig(process.env), auditClients());
