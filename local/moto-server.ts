/**
 * moto_server, the local AWS of `npm start`, the benchmarks and the integration tests: started
 * on a free loopback port with AWS's managed policies loaded, stopped by its process.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";

export const MOTO_INSTALL_HINT =
  'moto_server (Python moto 5) is required for the integration tests and the local drill: pip install "moto[server]"';

/** Throws a clear error when moto_server is not on the PATH (never skip silently). */
export function assertMotoInstalled(): void {
  try {
    execFileSync("moto_server", ["--help"], { stdio: "ignore", timeout: 30_000 });
  } catch (error) {
    throw new Error(MOTO_INSTALL_HINT, { cause: error });
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** A running moto_server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the endpoint URL for SDK clients. */
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** SIGTERM to its process, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** How moto is started. */
export interface MotoOptions {
  /**
   * Adds AWSCompromisedKeyQuarantineV4 (published 2026-11-06, the responder's default) to moto's AWS
   * managed policies, which end at V3 (local/moto-python/sitecustomize.py); false: a partition
   * without V4, where the responder falls back to V3. @default true
   */
  readonly quarantineV4?: boolean;
}

/** The directory holding the sitecustomize.py that moto's Python loads at start. */
const MOTO_PYTHON_DIR = fileURLToPath(new URL("./moto-python", import.meta.url));

/**
 * Starts moto_server on a free loopback port (AWS managed policies loaded) and waits until it
 * answers, at most 30 s. Throws an Error whose message is MOTO_INSTALL_HINT when it is not installed.
 */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  assertMotoInstalled();
  const port = await freePort();
  const pythonPath = [MOTO_PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    env: {
      ...process.env,
      MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
      LKR_MOTO_QUARANTINE_V4: String(options.quarantineV4 ?? true),
      PYTHONPATH: pythonPath,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        timer.unref();
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
