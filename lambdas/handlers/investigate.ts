import { parseInvestigateConfig } from "../core/investigation/config.js";
import { createInvestigateHandler, investigateClients } from "./investigate-handler.js";

export type { InvestigateResult } from "./investigate-handler.js";

/**
 * The deployed investigate function. Cold start: configuration parsed once (a bad value fails
 * here, naming the variable), clients built once with default configuration.
 */
export const handler = createInvestigateHandler(parseInvestigateConfig(process.env), investigateClients());
