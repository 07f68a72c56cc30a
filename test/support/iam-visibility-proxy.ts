import type { ServerResponse } from "node:http";
import { ForwardingProxy, type ProxiedRequest } from "../../local/forwarding-proxy.js";

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

export class IamVisibilityProxy extends ForwardingProxy {
  protected override route(arrived: ProxiedRequest, res: ServerResponse): void {
    if (DELAYED.has(arrived.operation)) setTimeout(() => this.forward(arrived, res), VISIBILITY_DELAY_MS);
    else this.forward(arrived, res);
  }
}
