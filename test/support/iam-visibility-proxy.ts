import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { operationOf } from "./fault-proxy.js";

/**
 * The proxy every integration spec talks to moto through (test/integration/global-setup.ts).
 *
 * IAM is eventually consistent: a change becomes visible to reads some time after it is made
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency),
 * so a ListAccessKeys sent together with an UpdateAccessKey answers with the key's status before
 * the change. moto applies both at once, in whatever order its threads run. The responder sends its
 * disable beside that read (lambdas/core/respond/early-disable.ts): to keep moto's answers
 * AWS-like, this proxy forwards each UpdateAccessKey VISIBILITY_DELAY_MS after it arrived, so a read
 * sent beside it is answered first. The opposite order (the read answered after the disable) is
 * forced where a spec needs it, with the race proxy's `hold`.
 */
export const VISIBILITY_DELAY_MS = 25;

const DELAYED = new Set(["UpdateAccessKey"]);

export class IamVisibilityProxy {
  endpoint = "";
  private server: Server | undefined;

  constructor(private readonly upstream: string) {}

  async start(): Promise<this> {
    const upstream = new URL(this.upstream);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const target = req.headers["x-amz-target"];
        const operation = operationOf(body.toString("utf8"), typeof target === "string" ? target : undefined);
        const forward = () => {
          const out = request(
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
          out.on("error", (error) => {
            res.writeHead(502);
            res.end(String(error));
          });
          out.end(body);
        };
        if (DELAYED.has(operation)) setTimeout(forward, VISIBILITY_DELAY_MS);
        else forward();
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
