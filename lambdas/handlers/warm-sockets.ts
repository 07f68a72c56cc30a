import { type ClientRequestArgs, Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, type RequestOptions } from "node:https";
import { isIP, type Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * How long a connection opened ahead waits for its first request. Below the idle timeout of the
 * servers at the other end (Node's own is 5 s); one older than this (the function was frozen after
 * init, e.g. provisioned concurrency) is closed and the request opens its own, as it would have.
 */
export const READY_SOCKET_MAX_AGE_MS = 4_000;

/** How long init waits for the connections it opens ahead (an in-region TLS handshake takes a few ms). */
export const PRECONNECT_WAIT_MS = 100;

/** Where a client sends its requests: what its dry run built (warm-sdk.ts). */
export interface Endpoint {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number | undefined;
}

interface ReadySocket {
  readonly socket: Duplex;
  readonly openedAt: number;
}

const portOf = (protocol: string, port: number | string | null | undefined): number =>
  port === undefined || port === null || port === "" ? (protocol === "http:" ? 80 : 443) : Number(port);

/** Connections opened ahead, by `host:port`, handed to the agent's first requests there. */
class ReadySockets {
  private readonly ready = new Map<string, ReadySocket[]>();

  constructor(private readonly now: () => number) {}

  add(key: string, socket: Duplex): void {
    // Until a request takes it, an idle connection must not keep the process alive.
    (socket as Partial<Socket>).unref?.();
    socket.on("error", () => socket.destroy());
    const list = this.ready.get(key) ?? [];
    list.push({ socket, openedAt: this.now() });
    this.ready.set(key, list);
  }

  /** A live connection opened ahead for `key`, or undefined (none left, or too old: closed). */
  take(key: string): Duplex | undefined {
    const list = this.ready.get(key) ?? [];
    for (let next = list.shift(); next !== undefined; next = list.shift()) {
      if (!next.socket.destroyed && this.now() - next.openedAt < READY_SOCKET_MAX_AGE_MS) {
        (next.socket as Partial<Socket>).ref?.();
        return next.socket;
      }
      next.socket.destroy();
    }
    return undefined;
  }

  get size(): number {
    return [...this.ready.values()].reduce((n, list) => n + list.length, 0);
  }
}

/**
 * The SDK's keep-alive agents (keepAlive, 50 sockets, as NodeHttpHandler builds its own) with
 * connections opened ahead: `preconnect` opens TCP (and for https the TLS handshake) to an endpoint
 * during init, without sending anything, and the first requests there take those connections
 * (`createConnection`, the agent's documented extension point) instead of opening their own after
 * handler entry. No request, no credentials: nothing AWS logs or authorizes.
 */
export class WarmSockets {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  private readonly ready: ReadySockets;
  private sinking = false;

  constructor(now: () => number = Date.now) {
    const ready = new ReadySockets(now);
    this.ready = ready;
    const sink = () => (this.sinking ? sinkSocket() : undefined);
    const options = { keepAlive: true, maxSockets: 50 };
    this.http = new (class extends HttpAgent {
      override createConnection(args: ClientRequestArgs, callback?: (err: Error | null, s: Duplex) => void) {
        return (
          sink() ??
          ready.take(`http:${args.host}:${portOf("http:", args.port)}`) ??
          super.createConnection(args, callback)
        );
      }
    })(options);
    this.https = new (class extends HttpsAgent {
      override createConnection(args: RequestOptions, callback?: (err: Error | null, s: Duplex) => void) {
        return (
          sink() ??
          ready.take(`https:${args.host}:${portOf("https:", args.port)}`) ??
          super.createConnection(args, callback)
        );
      }
    })(options);
  }

  /**
   * Opens `count` connections to the endpoint now, and resolves when each is connected (TLS: its
   * handshake done), failed, or `waitMs` passed. Best effort: it never rejects; a failed
   * connection is dropped and its request opens its own.
   */
  async preconnect(at: Endpoint, count: number, waitMs = PRECONNECT_WAIT_MS): Promise<void> {
    const tls = at.protocol !== "http:";
    const port = portOf(at.protocol, at.port);
    const key = `${tls ? "https" : "http"}:${at.hostname}:${port}`;
    const opened: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const socket = tls
          ? HttpsAgent.prototype.createConnection.call(this.https, {
              host: at.hostname,
              port,
              ...(isIP(at.hostname) === 0 ? { servername: at.hostname } : {}),
            })
          : HttpAgent.prototype.createConnection.call(this.http, { host: at.hostname, port });
        if (!socket) continue;
        this.ready.add(key, socket);
        opened.push(
          new Promise<void>((resolve) => {
            socket.once(tls ? "secureConnect" : "connect", resolve).once("close", () => resolve());
          }),
        );
      } catch {
        // Best effort: the request opens its own connection.
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    await Promise.race([Promise.all(opened), cap]);
    clearTimeout(timer);
  }

  /**
   * Runs `body` with every connection these agents open being an in-memory sink: a request takes
   * one, writes into it and fails ("socket hang up"). What the process's first HTTP request costs
   * (Node's HTTP client, the SDK's request handler) is paid, and nothing reaches the network.
   */
  async rehearse(body: () => Promise<unknown>): Promise<void> {
    this.sinking = true;
    try {
      await body().catch(() => undefined);
    } finally {
      this.sinking = false;
    }
  }

  /** Connections opened ahead that no request has taken yet. */
  get waiting(): number {
    return this.ready.size;
  }
}

/** A connection that accepts what is written to it, sends it nowhere, and closes once written to. */
function sinkSocket(): Duplex {
  const sink: Duplex = new Duplex({
    read() {},
    write(_chunk, _encoding, done) {
      done();
      process.nextTick(() => sink.destroy(new Error("rehearsal: not sent")));
    },
  });
  return sink;
}
