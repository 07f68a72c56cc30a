import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { call } from "./aws-errors.js";

/**
 * The string of one secret, read once and then kept for the container's life (a rotated webhook
 * URL reaches new containers; a failed read is not kept, so the next invocation tries again).
 */
export function cachedSecretString(client: SecretsManagerClient, secretId: string): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= call("secretsmanager:GetSecretValue", () =>
      client.send(new GetSecretValueCommand({ SecretId: secretId })),
    ).then((out) => out.SecretString ?? "");
    value.catch(() => {
      value = undefined;
    });
    return value;
  };
}
