import {
  createRoleSessionRevokerHandler,
  roleSessionRevokerClients,
  roleSessionRevokerConfig,
} from "./revoke-role-sessions-handler.js";

/** The deployed role-session revoker: invoked synchronously by the respond function (and lkr release in a member account). */
export const handler = createRoleSessionRevokerHandler(
  roleSessionRevokerClients(),
  roleSessionRevokerConfig(process.env),
);
