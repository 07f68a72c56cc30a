import type { ServerResponse } from "node:http";
import { ForwardingProxy, type ProxiedRequest } from "../../local/forwarding-proxy.js";

/** What to answer instead of forwarding: one AWS-shaped error, for the next `times` matching calls. */
export interface Fault {
  readonly operation: string;
  readonly times: number;
  readonly status: number;
  /** Error code as AWS spells it (Throttling, ServiceUnavailable, InternalServerError, ...). */
  readonly code: string;
}

function errorBody(fault: Fault, json: boolean): string {
  if (json) return JSON.stringify({ __type: `com.amazonaws#${fault.code}`, message: "injected fault" });
  return `<ErrorResponse><Error><Type>${fault.status >= 500 ? "Receiver" : "Sender"}</Type><Code>${fault.code}</Code><Message>injected fault</Message></Error><RequestId>fault</RequestId></ErrorResponse>`;
}

/**
 * An HTTP proxy in front of moto_server on a loopback port: forwards every request, except that
 * it answers the configured faults itself. It records every operation it saw, in order.
 */
export class FaultProxy extends ForwardingProxy {
  readonly seen: { operation: string; injected: boolean }[] = [];
  private faults: Fault[] = [];

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

  protected override route(arrived: ProxiedRequest, res: ServerResponse): void {
    const { operation, json } = arrived;
    const index = this.faults.findIndex((f) => f.operation === operation && f.times > 0);
    const fault = index >= 0 ? this.faults[index] : undefined;
    this.seen.push({ operation, injected: fault !== undefined });
    if (!fault) {
      this.forward(arrived, res);
      return;
    }
    (fault as { times: number }).times -= 1;
    res.writeHead(fault.status, {
      "content-type": json ? "application/x-amz-json-1.0" : "text/xml",
      "x-amzn-errortype": fault.code,
    });
    res.end(errorBody(fault, json));
  }
}
