import {
  createRoleSessionRevokerHandler,
  roleSessionRevokerClients,
} from "./revoke-role-sessions-handler.js";

/** The deployed role-session revoker: invoked synchronously by the respond function only. */
export const handler = createRoleSessionRevokerHandler(roleSessionRevokerClients());
