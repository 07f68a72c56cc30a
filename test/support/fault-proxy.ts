import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What to answer instead of forwarding: one AWS-shaped error, for the next `times` matching calls. */
export interface Fault {
  readonly operation: string;
  readonly times: number;
  readonly status: number;
  /** Error code as AWS spells it (Throttling, ServiceUnavailable, InternalServerError, ...). */
  readonly code: string;
}

/** Name of the AWS operation in a request: Query protocol `Action=` body, or JSON `X-Amz-Target`. */
export function operationOf(body: string, target: string | undefined): string {
  const action = /(?:^|&)Action=(\w+)/.exec(body)?.[1];
  if (action) return action;
  return target?.split(".").pop() ?? "?";
}

function errorBody(fault: Fault, json: boolean): string {
  if (json) return JSON.stringify({ __type: `com.amazonaws#${fault.code}`, message: "injected fault" });
  return `<ErrorResponse><Error><Type>${fault.status >= 500 ? "Receiver" : "Sender"}</Type><Code>${fault.code}</Code><Message>injected fault</Message></Error><RequestId>fault</RequestId></ErrorResponse>`;
}

/**
 * An HTTP proxy in front of moto_server on a loopback port: forwards every request, except that
 * it answers the configured faults itself. It records every operation it saw, in order.
 */
export class FaultProxy {
  readonly seen: { operation: string; injected: boolean }[] = [];
  private faults: Fault[] = [];
  private server: Server | undefined;
  endpoint = "";

  constructor(private readonly upstream: string) {}

  inject(...faults: Fault[]): void {
    this.faults.push(...faults.map((f) => ({ ...f })));
  }

  /** Fails every call of these operations until cleared (an outage). */
  outage(operations: readonly string[], status = 503, code = "ServiceUnavailable"): void {
    this.inject(
      ...operations.map((operation) => ({ operation, times: Number.POSITIVE_INFINITY, status, code })),
    );
  }

  clear(): void {
    this.faults = [];
  }

  async start(): Promise<this> {
    const upstream = new URL(this.upstream);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const target = req.headers["x-amz-target"];
        const operation = operationOf(body.toString("utf8"), typeof target === "string" ? target : undefined);
        const index = this.faults.findIndex((f) => f.operation === operation && f.times > 0);
        const fault = index >= 0 ? this.faults[index] : undefined;
        this.seen.push({ operation, injected: fault !== undefined });
        if (fault) {
          (fault as { times: number }).times -= 1;
          const json = typeof target === "string";
          res.writeHead(fault.status, {
            "content-type": json ? "application/x-amz-json-1.0" : "text/xml",
            "x-amzn-errortype": fault.code,
          });
          res.end(errorBody(fault, json));
          return;
        }
        const forward = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on("error", (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
        forward.end(body);
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
