import { createHoneyCheckHandler, honeyCheckClients, parseHoneyCheckConfig } from "./honey-check-handler.js";

/** The deployed honey key safety net. Cold start: configuration parsed once, clients built once. */
export const handler = createHoneyCheckHandler(parseHoneyCheckConfig(process.env), honeyCheckClients());
