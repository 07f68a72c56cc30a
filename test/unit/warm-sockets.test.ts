import { createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { READY_SOCKET_MAX_AGE_MS, WarmSockets } from "../../lambdas/handlers/warm-sockets.js";

/** A local HTTP server that counts the connections it accepts and the requests it answers. */
let server: Server;
let port: number;
let connections: number;
let requests: string[];

beforeEach(async () => {
  connections = 0;
  requests = [];
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.end("ok");
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function get(sockets: WarmSockets): Promise<{ socket: Socket; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/call", agent: sockets.http }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ socket: req.socket as Socket, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const endpoint = () => ({ protocol: "http:", hostname: "127.0.0.1", port });

describe("WarmSockets", () => {
  it("opens connections during init without sending anything, and the first requests take them", async () => {
    const sockets = new WarmSockets();
    await sockets.preconnect(endpoint(), 2);
    await vi.waitFor(() => expect(connections).toBe(2)); // the server accepts them a moment later
    expect(requests).toEqual([]); // connected, nothing sent
    expect(sockets.waiting).toBe(2);

    const answers = await Promise.all([get(sockets), get(sockets)]);
    expect(answers.map((a) => a.body)).toEqual(["ok", "ok"]);
    expect(connections).toBe(2); // no request opened a connection of its own
    expect(sockets.waiting).toBe(0);
    sockets.http.destroy();
  });

  it("without connections opened ahead, each request opens its own", async () => {
    const sockets = new WarmSockets();
    await Promise.all([get(sockets), get(sockets)]);
    expect(connections).toBe(2);
    sockets.http.destroy();
  });

  it("closes a connection that waited too long (the function was frozen after init) and opens a fresh one", async () => {
    let now = 1_000;
    const sockets = new WarmSockets(() => now);
    await sockets.preconnect(endpoint(), 1);
    now += READY_SOCKET_MAX_AGE_MS;
    const { body } = await get(sockets);
    expect(body).toBe("ok");
    expect(connections).toBe(2);
    expect(sockets.waiting).toBe(0);
    sockets.http.destroy();
  });

  it("connections to another endpoint are not taken", async () => {
    const sockets = new WarmSockets();
    await sockets.preconnect({ ...endpoint(), hostname: "localhost" }, 1);
    await get(sockets);
    expect(sockets.waiting).toBe(1);
    sockets.http.destroy();
  });

  it("an endpoint that refuses leaves init on time and the requests to open their own", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const refused = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sockets = new WarmSockets();
    await expect(sockets.preconnect({ ...endpoint(), port: refused }, 2, 50)).resolves.toBeUndefined();
    expect(sockets.waiting).toBe(2); // failed ones are dropped when a request looks for them
    await get(sockets);
    expect(connections).toBe(1);
    sockets.http.destroy();
  });

  it("rehearses a request into an in-memory sink: it fails, nothing reaches the server, later requests do", async () => {
    const sockets = new WarmSockets();
    let rehearsed: unknown;
    await sockets.rehearse(() => get(sockets).catch((error: unknown) => (rehearsed = error)));
    expect(String(rehearsed)).toMatch(/socket hang up|not sent/);
    expect([connections, requests.length]).toEqual([0, 0]);
    expect((await get(sockets)).body).toBe("ok");
    expect(requests).toEqual(["GET /call"]);
    sockets.http.destroy();
  });
});
