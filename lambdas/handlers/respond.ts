import { parseRespondConfig } from "../core/config.js";
import { createRespondHandler, respondClients } from "./respond-handler.js";

export type { RespondResult } from "./respond-handler.js";

/**
 * The deployed respond function. Cold start: configuration parsed once (a bad value fails here,
 * naming the variable), clients built once with default configuration.
 */
export const handler = createRespondHandler(parseRespondConfig(process.env), respondClients());
