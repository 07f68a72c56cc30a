import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Name of the AWS operation in a request: Query protocol `Action=` body, or JSON `X-Amz-Target`. */
export function operationOf(body: string, target: string | undefined): string {
  const action = /(?:^|&)Action=(\w+)/.exec(body)?.[1];
  if (action) return action;
  return target?.split(".").pop() ?? "?";
}

/** One request as it reached the proxy, its body read whole. */
export interface ProxiedRequest {
  readonly request: IncomingMessage;
  readonly body: Buffer;
  /** The AWS operation it calls (see operationOf). */
  readonly operation: string;
  /** Sent in a JSON protocol (it has an X-Amz-Target header), not the Query protocol. */
  readonly json: boolean;
}

/**
 * The core of the HTTP proxies put in front of moto_server on a loopback port (tests' fault and
 * IAM-visibility proxies, the bench's latency proxy): reads each request whole, names its AWS
 * operation and hands it to `route`, which forwards it unchanged (now or later) or answers it itself.
 */
export abstract class ForwardingProxy {
  endpoint = "";
  private server: Server | undefined;

  /**
   * Keep the caller's connection alive between calls, as AWS lets it: moto's `Connection: close`
   * (hop-by-hop, RFC 9110 7.6.1) is then not passed on. Off by default: the tests' proxies close
   * what moto closes.
   */
  protected readonly keepCallerAlive: boolean = false;

  constructor(private readonly upstream: string) {}

  /** What to do with one request: `forward` it, now or later, or answer it on `response`. */
  protected abstract route(arrived: ProxiedRequest, response: ServerResponse): void;

  /** Sends the request on to moto as it came and pipes the answer back; `answered` runs once it has all been sent. */
  protected forward(arrived: ProxiedRequest, response: ServerResponse, answered?: () => void): void {
    const upstream = new URL(this.upstream);
    const { request: req, body } = arrived;
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const { connection: _, "keep-alive": __, ...kept } = answer.headers;
        response.writeHead(answer.statusCode ?? 502, this.keepCallerAlive ? kept : answer.headers);
        answer.pipe(response);
        if (answered) answer.on("end", answered);
      },
    );
    out.on("error", (error) => {
      response.writeHead(502);
      response.end(String(error));
    });
    out.end(body);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const target = req.headers["x-amz-target"];
        const json = typeof target === "string";
        const operation = operationOf(body.toString("utf8"), json ? target : undefined);
        this.route({ request: req, body, operation, json }, res);
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
