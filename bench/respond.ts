/**
 * npm run bench — how fast the respond path contains a key, against moto_server, and what the
 * deployed bundles cost at cold start.
 *
 * 1. Time from handler entry to the UpdateAccessKey answer (the key is Inactive), per signal
 *    source, median of N runs, and the AWS calls made before it.
 * 2. Under a latency model (every AWS call 50 ms, served concurrently: bench/latency.ts), the
 *    critical path to Inactive in round trips and ms, cold and warm, and the time from handler
 *    entry to the first request.
 * 3. Each function's bundle (from `cdk synth`) size and module cold-init time: median of several
 *    fresh node processes importing the bundle on its own.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { guardDutyEvent, healthEvent, trustedAdvisorEvent } from "../local/events.js";
import { startMoto } from "../local/moto-server.js";
import { localRespondHandler } from "../local/respond-handler.js";
import { World } from "../local/world.js";
import { type CallRecord, median, recordAwsCalls } from "./aws-call-log.js";
import { benchLatency } from "./latency.js";
import { LatencyProxy } from "./latency-proxy.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 9);
const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 5);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);

function beforeContainment(calls: readonly CallRecord[], entry: number) {
  const disable = calls.find((c) => c.operation === "UpdateAccessKey");
  if (!disable?.end) throw new Error("no UpdateAccessKey call: the key was not contained");
  const before = calls.filter((c) => c !== disable && c.start < disable.start);
  // Calls that overlap run in parallel: the sequential round trips are the longest chain of
  // calls each starting after the previous one ended.
  const sorted = [...before].sort((a, b) => a.start - b.start);
  const chain: number[] = [];
  sorted.forEach((c, i) => {
    const prior = sorted.slice(0, i).map((p, j) => ((p.end ?? p.start) <= c.start ? (chain[j] ?? 0) : 0));
    chain[i] = 1 + Math.max(0, ...prior);
  });
  const rounds = Math.max(0, ...chain);
  return { ms: disable.end - entry, before: before.map((c) => c.operation), rounds };
}

async function benchContainment(): Promise<void> {
  const moto = await startMoto();
  try {
    const world = await new World(moto.endpoint).create();
    const log = recordAwsCalls();
    const handler = localRespondHandler(world);

    const cases: Record<string, (key: string, user: string, i: number) => unknown> = {
      "GuardDuty MaliciousIPCaller": (key, user, i) =>
        guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user, id: `bench-${i}` }),
      "Health (owner looked up)": (key) => healthEvent("risk-credentials-exposed.json", [key]),
      "Trusted Advisor": (key, user) => trustedAdvisorEvent("exposed-access-keys-error.json", { key, user }),
    };
    console.log(`Containment against moto_server (${RUNS} runs each, one warm-up):`);
    console.log("source                        median ms   p90 ms   calls before disable (round trips)");
    for (const [name, build] of Object.entries(cases)) {
      const times: number[] = [];
      let before: string[] = [];
      let rounds = 0;
      for (let i = 0; i <= RUNS; i++) {
        const user = await world.user(`bench-${name.length}-${i}`);
        const event = build(user.keys[0] as string, user.name, i);
        log.reset();
        const entry = performance.now();
        await handler(event);
        const result = beforeContainment(log.calls, entry);
        if (i === 0) continue; // warm-up: first call of each client opens its connection
        times.push(result.ms);
        before = result.before;
        rounds = result.rounds;
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(
        `${name.padEnd(30)}${median(times).toFixed(1).padStart(9)}${(sorted[Math.floor(sorted.length * 0.9)] ?? 0).toFixed(1).padStart(9)}   ${before.length} (${rounds}): ${before.join(", ")}`,
      );
    }
  } finally {
    await moto.stop();
  }
}

/** Each Lambda function of the synthesized template, with the asset folder of its code. */
function functionBundles(): { name: string; dir: string }[] {
  const template = JSON.parse(readFileSync(join("cdk.out", "LeakedKeyResponder.template.json"), "utf8")) as {
    Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
  };
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::Lambda::Function" && r.Properties.Code?.S3Key)
    .map(([id, r]) => ({
      name: id.replace(/[0-9A-F]{8}$/, ""),
      dir: `asset.${r.Properties.Code?.S3Key?.replace(/\.zip$/, "")}`,
    }))
    .filter((f) => existsSync(join("cdk.out", f.dir, "index.mjs")));
}

function benchBundles(): void {
  execFileSync("npx", ["cdk", "synth", "--quiet", "--output", "cdk.out"], { stdio: "ignore" });
  console.log(
    `\nBundles (cdk.out), cold init = median of ${INIT_RUNS} fresh node processes importing the bundle:`,
  );
  console.log("function                                 size KB   cold init ms");
  const env = {
    ...process.env,
    INCIDENT_TABLE_NAME: "t",
    ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
    AWS_REGION: "us-east-1",
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
  for (const { name, dir } of functionBundles()) {
    const file = join("cdk.out", dir, "index.mjs");
    const samples: number[] = [];
    for (let i = 0; i < INIT_RUNS; i++) {
      const script = `const t=performance.now();await import(${JSON.stringify(`./${file}`)});process.stdout.write(String(performance.now()-t));`;
      samples.push(
        Number(
          execFileSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" }),
        ),
      );
    }
    console.log(
      `${name.slice(0, 40).padEnd(40)}${(statSync(file).size / 1024).toFixed(0).padStart(9)}${median(samples).toFixed(1).padStart(15)}`,
    );
  }
}

/** The critical path to Inactive with every AWS call delayed (bench/latency.ts). */
async function benchLatencyModel(): Promise<void> {
  const moto = await startMoto();
  const proxy = await new LatencyProxy(moto.endpoint, LATENCY_MS).start();
  try {
    await benchLatency(await new World(moto.endpoint).create(), proxy, LATENCY_RUNS);
  } finally {
    await proxy.stop();
    await moto.stop();
  }
}

await benchContainment();
await benchLatencyModel();
if (process.env.BENCH_SKIP_BUNDLES !== "1") benchBundles();
