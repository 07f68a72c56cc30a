/**
 * The critical path to Inactive under a latency model: the respond bundle (built as NodejsFunction
 * builds it) in a fresh node process per run, its AWS calls through a proxy in front of moto that
 * adds a fixed delay to every call and serves calls concurrently (LatencyProxy). Per signal
 * source: module init, handler entry to the first request, and handler entry to the
 * UpdateAccessKey answer in ms and in round trips, for the cold invocation (the first of the
 * process) and a warm one (the next).
 *
 * To see where a cold invocation spends its time: BENCH_MINIFY=0 keeps the bundle's names and
 * BENCH_CHILD_NODE_ARGS passes node options to the child, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof --cpu-prof-interval=100`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { incidentIdOf } from "../lambdas/core/incident.js";
import { guardDutyEvent, healthEvent, trustedAdvisorEvent } from "../local/events.js";
import { ACCOUNT_ID, REGION, type World } from "../local/world.js";
import { median } from "./aws-call-log.js";
import { type LatencyProxy, roundTripsTo } from "./latency-proxy.js";

const HANDLER = fileURLToPath(new URL("../lambdas/handlers/respond.ts", import.meta.url));

/** The respond handler bundled with the options infra/function-parts.ts gives NodejsFunction. */
export async function bundleRespond(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "lkr-bench-"));
  const outfile = join(dir, "index.mjs");
  await build({
    entryPoints: [HANDLER],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: process.env.BENCH_MINIFY !== "0",
    mainFields: ["module", "main"],
    banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
    logLevel: "error",
  });
  return outfile;
}

/** What the child process reports, in wall-clock ms. */
interface ChildReport {
  readonly initStart: number;
  readonly initEnd: number;
  readonly invocations: readonly { readonly entry: number; readonly end: number }[];
}

/** Imports the bundle (Lambda's init), then invokes its handler once per event (cold, then warm). */
const REPORT_MARK = "BENCH_REPORT ";
const CHILD = `
const REPORT_MARK = ${JSON.stringify(REPORT_MARK)};
const wall = () => performance.timeOrigin + performance.now();
const initStart = wall();
const { handler } = await import(process.env.BENCH_BUNDLE);
const initEnd = wall();
const events = JSON.parse(process.env.BENCH_EVENTS);
const invocations = [];
for (const event of events) {
  const entry = wall();
  await handler(event, { invokedFunctionArn: "arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:respond" });
  invocations.push({ entry, end: wall() });
}
process.stdout.write("\\n" + REPORT_MARK + JSON.stringify({ initStart, initEnd, invocations }) + "\\n");
`;

type EventFor = (key: string, user: string, id: string) => unknown;

export const LATENCY_CASES: Record<string, EventFor> = {
  "GuardDuty (user named)": (key, user, id) =>
    guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user, id }),
  "Trusted Advisor (user named)": (key, user) =>
    trustedAdvisorEvent("exposed-access-keys-error.json", { key, user }),
  "Health (user named)": (key, user) => healthEvent("risk-credentials-exposed.json", [key], user),
  "Health (owner looked up)": (key) => healthEvent("risk-credentials-exposed.json", [key]),
};

interface Sample {
  readonly init: number;
  readonly firstRequest: number;
  /** Handler entry → the UpdateAccessKey request reaching the proxy. */
  readonly disableRequest: number;
  readonly toInactive: number;
  /** Handler entry → the answer to the incident's record (its UpdateItem). */
  readonly toRecord: number;
  readonly roundTrips: number;
}

function sampleOf(proxy: LatencyProxy, key: string, initMs: number, entry: number, end: number): Sample {
  const calls = proxy.between(entry, end);
  const disable = calls.find(
    (c) => c.operation === "UpdateAccessKey" && c.accessKeyId === key && c.status === "Inactive",
  );
  if (disable?.answeredAt === undefined) throw new Error(`no UpdateAccessKey for ${key}: not contained`);
  const recorded = calls.find(
    (c) => c.operation === "UpdateItem" && c.item === incidentIdOf(ACCOUNT_ID, key) && c.answeredAt,
  );
  if (recorded?.answeredAt === undefined) throw new Error(`no incident record for ${key}`);
  const first = Math.min(...calls.map((c) => c.arrivedAt));
  return {
    init: initMs,
    firstRequest: first - entry,
    disableRequest: disable.arrivedAt - entry,
    toInactive: disable.answeredAt - entry,
    toRecord: recorded.answeredAt - entry,
    roundTrips: roundTripsTo(disable, calls),
  };
}

/** Runs `runs` fresh processes per case; prints the medians of the cold and the warm invocation. */
export async function benchLatency(world: World, proxy: LatencyProxy, runs: number): Promise<void> {
  const bundle = await bundleRespond();
  const env = {
    ...process.env,
    ...world.env(),
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    NODE_NO_WARNINGS: "1",
    BENCH_BUNDLE: bundle,
  };
  console.log(
    `\nLatency model: every AWS call delayed ${proxy.delayMs} ms by a proxy that serves calls concurrently;`,
  );
  console.log(
    `the respond bundle in a fresh node process per run (median of ${runs}); entry = handler entry.`,
  );
  console.log(
    "source                          init ms   cold: entry→1st req →disable req  →Inactive ms (RT) →record   warm: entry→1st req →disable req  →Inactive ms (RT) →record",
  );
  for (const [n, [name, eventFor]] of Object.entries(LATENCY_CASES).entries()) {
    const cold: Sample[] = [];
    const warm: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const users = [await world.user(`lat-${n}-${i}a`), await world.user(`lat-${n}-${i}b`)];
      const keys = users.map((u) => u.keys[0] as string);
      const events = users.map((u, j) =>
        eventFor(keys[j] as string, u.name, `lat-${world.suffix}-${i}-${j}`),
      );
      // Asynchronously: the proxy serving the child runs in this process.
      const nodeArgs = process.env.BENCH_CHILD_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...nodeArgs, "--input-type=module", "-e", CHILD],
        {
          env: { ...env, BENCH_EVENTS: JSON.stringify(events) },
          encoding: "utf8",
        },
      );
      // The handler writes its own lines too (Powertools Metrics prints EMF to stdout): the report is the marked one.
      const line = stdout.split("\n").find((l) => l.startsWith(REPORT_MARK));
      if (line === undefined) throw new Error(`the child process printed no report: ${stdout.slice(0, 500)}`);
      const report = JSON.parse(line.slice(REPORT_MARK.length)) as ChildReport;
      const initMs = report.initEnd - report.initStart;
      const [c, w] = report.invocations;
      if (!c || !w) throw new Error("the child process did not invoke twice");
      cold.push(sampleOf(proxy, keys[0] as string, initMs, c.entry, c.end));
      warm.push(sampleOf(proxy, keys[1] as string, initMs, w.entry, w.end));
    }
    const m = (samples: Sample[], f: keyof Sample) => median(samples.map((s) => s[f]));
    const cols = (s: Sample[]) =>
      `${m(s, "firstRequest").toFixed(1).padStart(19)}${m(s, "disableRequest").toFixed(1).padStart(12)}${m(s, "toInactive").toFixed(1).padStart(13)} (${m(s, "roundTrips")})${m(s, "toRecord").toFixed(1).padStart(8)}`;
    console.log(
      `${name.padEnd(30)}${m(cold, "init").toFixed(1).padStart(9)}   ${cols(cold)}    ${cols(warm)}`,
    );
  }
}
