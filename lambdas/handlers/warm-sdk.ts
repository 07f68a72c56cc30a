import type { DeserializeMiddleware, HttpRequest, MiddlewareStack } from "@smithy/types";

/** Thrown by the dry run's innermost middleware: the request was built and signed, and not sent. */
class NotSent extends Error {
  override name = "NotSent";
}

/** Resolved configuration holding the endpoint configured for the service (env / shared config), memoized by the client. */
interface ServiceConfiguredEndpoint {
  readonly serviceConfiguredEndpoint?: () => Promise<unknown>;
}

/**
 * Runs a read command through the client's whole middleware stack — serializer, endpoint
 * rules, retry, signing — and stops it just before the HTTP handler, so nothing is sent. What a
 * first command costs once per client and process (the stack's resolution, the protocol's
 * serde, the endpoint ruleset, the service-configured endpoint lookup, which reads the shared
 * config files) is then paid during init instead of after handler entry. Best effort: any
 * failure is left for the first real request to meet. Returns the request it built (undefined
 * when it failed before that): where the client sends its requests.
 */
export async function dryRunCommand<I extends object, O extends object>(
  client: { readonly config: unknown; send(command: never): Promise<unknown> },
  command: { readonly middlewareStack: MiddlewareStack<I, O> },
): Promise<HttpRequest | undefined> {
  let built: HttpRequest | undefined;
  const stop: DeserializeMiddleware<I, O> = () => async (args) => {
    built = args.request as HttpRequest;
    throw new NotSent("dry run: not sent");
  };
  command.middlewareStack.add(stop, { step: "deserialize", priority: "low", name: "lkrDryRun" });
  await (client.config as ServiceConfiguredEndpoint).serviceConfiguredEndpoint?.().catch(() => undefined);
  await client.send(command as never).catch(() => undefined);
  return built;
}
