import { describe, expect, it } from "vitest";
import { respondClients, warmRespondClients } from "../../lambdas/handlers/respond-handler.js";

describe("warmRespondClients", () => {
  it("resolves each client's credentials and region during init, once, so the first request does not", async () => {
    let resolved = 0;
    const clients = respondClients({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: async () => {
        resolved++;
        return { accessKeyId: "testing", secretAccessKey: "testing" };
      },
    });
    await warmRespondClients(clients);
    expect(resolved).toBe(4); // IAM, DynamoDB, SNS, EventBridge: each memoizes its own
    await warmRespondClients(clients);
    expect(resolved).toBe(4);
  });

  it("runs IAM's and DynamoDB's first command through their middleware during init, sending nothing", async () => {
    const sent: string[] = [];
    let signed = 0;
    const clients = respondClients({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: async () => ({ accessKeyId: "testing", secretAccessKey: "testing" }),
    });
    for (const client of [clients.iam, clients.dynamodb]) {
      (client.config as { requestHandler: unknown }).requestHandler = {
        handle: async (request: { hostname: string }) => {
          sent.push(request.hostname);
          throw new Error("must not be sent");
        },
      };
      client.middlewareStack.add(
        (next) => async (args) => {
          signed++;
          return next(args);
        },
        { step: "finalizeRequest", priority: "low", name: "countSigned" },
      );
    }
    await warmRespondClients(clients);
    expect(signed).toBe(2); // each built and went through its stack to the last step before the wire
    expect(sent).toEqual([]);
  });

  it("leaves a failure to the first request (init does not fail on it)", async () => {
    const clients = respondClients({
      region: "us-east-1",
      credentials: async () => {
        throw new Error("no credentials");
      },
    });
    await expect(warmRespondClients(clients)).resolves.toBeUndefined();
  });
});
