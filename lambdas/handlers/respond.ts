import { parseRespondConfig } from "../core/config.js";
import { createRespondHandler, respondClients, warmRespondClients } from "./respond-handler.js";
import { warmRespondPath } from "./respond-warm-up.js";

export type { RespondResult } from "./respond-handler.js";

const config = parseRespondConfig(process.env);
const clients = respondClients();

/**
 * The deployed respond function. Cold start: configuration parsed once (a bad value fails here,
 * naming the variable), clients built once with default configuration, and their credentials and
 * region resolved during init, so the first request leaves within a few ms of handler entry.
 */
export const handler = createRespondHandler(config, clients);
await warmRespondClients(clients);
await warmRespondPath(config, clients);
