import type { ServerResponse } from "node:http";
import { ForwardingProxy, type ProxiedRequest } from "../local/forwarding-proxy.js";

/** One AWS call as the proxy saw it, in wall-clock milliseconds (comparable across processes). */
export interface ProxiedCall {
  readonly operation: string;
  /** The AccessKeyId and Status parameters of a Query-protocol call, when it has them. */
  readonly accessKeyId: string | undefined;
  readonly status: string | undefined;
  /** The `incidentId` key of a DynamoDB item call, when it has one. */
  readonly item: string | undefined;
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
export class LatencyProxy extends ForwardingProxy {
  readonly calls: ProxiedCall[] = [];
  protected override readonly keepCallerAlive = true;

  constructor(
    upstream: string,
    readonly delayMs = 50,
  ) {
    super(upstream);
  }

  protected override route(arrived: ProxiedRequest, res: ServerResponse): void {
    const text = arrived.body.toString("utf8");
    const call: ProxiedCall = {
      operation: arrived.operation,
      accessKeyId: /(?:^|&)AccessKeyId=(\w+)/.exec(text)?.[1],
      status: /(?:^|&)Status=(\w+)/.exec(text)?.[1],
      item: arrived.json ? /"Key":\{"incidentId":\{"S":"([^"]+)"\}/.exec(text)?.[1] : undefined,
      arrivedAt: wallNow(),
      answeredAt: undefined,
    };
    this.calls.push(call);
    setTimeout(() => this.forward(arrived, res, () => (call.answeredAt = wallNow())), this.delayMs);
  }

  /** The calls that arrived in [from, to]. */
  between(from: number, to: number): ProxiedCall[] {
    return this.calls.filter((c) => c.arrivedAt >= from && c.arrivedAt <= to);
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
