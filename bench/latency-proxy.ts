import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One AWS call as the proxy saw it, in wall-clock milliseconds (comparable across processes). */
export interface ProxiedCall {
  readonly operation: string;
  /** The AccessKeyId and Status parameters of a Query-protocol call, when it has them. */
  readonly accessKeyId: string | undefined;
  readonly status: string | undefined;
  /** When the whole request had reached the proxy. */
  readonly arrivedAt: number;
  /** When the answer had been sent back to the caller; undefined while in flight. */
  answeredAt: number | undefined;
}

/** Now as wall-clock milliseconds with sub-millisecond resolution, the same clock in every process. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The latency model of `npm run bench`: an HTTP proxy in front of moto_server that holds every
 * request for a fixed delay before forwarding it, as the network and AWS's front ends would, and
 * serves any number of requests at once (each waits its own delay, none waits for another), as AWS
 * does. moto answers in about 2 ms, so with a 50 ms delay a call costs about one delay: the number
 * of calls on the critical path is the number of round trips. Its callers' connections are kept
 * alive (moto closes each after one answer; AWS does not).
 */
export class LatencyProxy {
  readonly calls: ProxiedCall[] = [];
  endpoint = "";
  private server: Server | undefined;

  constructor(
    private readonly upstream: string,
    readonly delayMs = 50,
  ) {}

  async start(): Promise<this> {
    const upstream = new URL(this.upstream);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const text = body.toString("utf8");
        const target = req.headers["x-amz-target"];
        const call: ProxiedCall = {
          operation:
            /(?:^|&)Action=(\w+)/.exec(text)?.[1] ??
            (typeof target === "string" ? (target.split(".").pop() ?? target) : "?"),
          accessKeyId: /(?:^|&)AccessKeyId=(\w+)/.exec(text)?.[1],
          status: /(?:^|&)Status=(\w+)/.exec(text)?.[1],
          arrivedAt: wallNow(),
          answeredAt: undefined,
        };
        this.calls.push(call);
        setTimeout(() => {
          const forward = request(
            {
              host: upstream.hostname,
              port: upstream.port,
              method: req.method,
              path: req.url,
              headers: req.headers,
            },
            (answer) => {
              // Connection is hop-by-hop (RFC 9110 7.6.1): moto's `Connection: close` is not
              // passed on, so the caller keeps its socket alive between calls, as AWS lets it.
              const { connection: _, "keep-alive": __, ...headers } = answer.headers;
              res.writeHead(answer.statusCode ?? 502, headers);
              answer.pipe(res);
              answer.on("end", () => (call.answeredAt = wallNow()));
            },
          );
          forward.on("error", (error) => {
            res.writeHead(502);
            res.end(String(error));
          });
          forward.end(body);
        }, this.delayMs);
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** The calls that arrived in [from, to]. */
  between(from: number, to: number): ProxiedCall[] {
    return this.calls.filter((c) => c.arrivedAt >= from && c.arrivedAt <= to);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The critical path to one call: how many calls in a row (each sent after the previous answered) end with it. */
export function roundTripsTo(target: ProxiedCall, calls: readonly ProxiedCall[]): number {
  const depth = new Map<ProxiedCall, number>();
  const sorted = [...calls].sort((a, b) => a.arrivedAt - b.arrivedAt);
  for (const call of sorted) {
    const before = sorted.filter((p) => p.answeredAt !== undefined && p.answeredAt <= call.arrivedAt);
    depth.set(call, 1 + Math.max(0, ...before.map((p) => depth.get(p) ?? 0)));
    if (call === target) break;
  }
  return depth.get(target) ?? 0;
}
