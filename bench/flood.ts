/**
 * npm run bench:flood — can a flood starve containment? 10,000 informational events (CloudTrail
 * CreateAccessKey: anyone allowed CreateAccessKey can generate them, and the plan only notifies on
 * them) go through the real respond handler against moto_server, while real exposures (GuardDuty
 * TorIPCaller findings) arrive in the middle of the flood.
 *
 * moto runs no Lambda, so this models the two ways the deployed stack invokes the function, with
 * the construct's own numbers:
 *   - the containment lane: EventBridge invokes the function asynchronously, up to its reserved
 *     concurrency (DEFAULT_RESERVED_CONCURRENCY executions);
 *   - the informational lane: EventBridge puts the event on the informational queue, which an event
 *     source mapping drains in batches of 10 with at most INFORMATIONAL_CONCURRENCY concurrent
 *     batches, each taking one of the same reserved executions.
 * With FLOOD_COMPARE=1 it also runs the design before this one, for comparison: every event in the
 * function's one asynchronous queue, invoked up to the same concurrency.
 *
 * Time to contain: the exposure entering its lane → the answer to its UpdateAccessKey call.
 */

import { DEFAULT_RESERVED_CONCURRENCY, INFORMATIONAL_CONCURRENCY } from "../infra/leaked-key-responder.js";
import { guardDutyEvent, cloudTrailEvent as trailEvent } from "../local/events.js";
import { startMoto } from "../local/moto-server.js";
import { localRespondHandler } from "../local/respond-handler.js";
import { ACCOUNT_ID, World } from "../local/world.js";
import { median, recordAwsCalls } from "./aws-call-log.js";

const FLOOD = Number(process.env.FLOOD_EVENTS ?? 10_000);
/** Many users, so no incident item grows large (moto slows down reading big items; DynamoDB does not). */
const FLOOD_USERS = Number(process.env.FLOOD_USERS ?? 1_000);
const NORMAL_RUNS = Number(process.env.FLOOD_NORMAL_RUNS ?? 15);
/** Exposures arriving during the flood, at 10 %, 20 %, ... of it. */
const DURING = Number(process.env.FLOOD_EXPOSURES ?? 9);
/** Also run the design before this one (slow: the exposures then wait behind the flood). */
const COMPARE = process.env.FLOOD_COMPARE === "1";
const BATCH = 10;
/** At most this much slower than the normal median counts as "within its normal time" (moto is shared by the flood). */
const TOLERANCE = 2;

type Handler = ReturnType<typeof localRespondHandler>;

/** The function's executions: reserved concurrency, shared by both lanes. */
class Executions {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(count: number) {
    this.free = count;
  }
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lambda retries a failed asynchronous invocation twice. */
async function invoke(handler: Handler, event: unknown, failures: unknown[]): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await handler(event);
      return;
    } catch (error) {
      if (attempt === 2) failures.push(error);
    }
  }
}

function sqsBatch(events: readonly unknown[], first: number) {
  return {
    Records: events.map((event, i) => ({
      messageId: `m-${first + i}`,
      receiptHandle: `r-${first + i}`,
      body: JSON.stringify(event),
      attributes: {},
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:informational`,
      awsRegion: "us-east-1",
    })),
  };
}

interface Lanes {
  /** Puts an event on the containment lane (an asynchronous invocation). */
  readonly invokeAsync: (event: unknown) => void;
  /** Flood events handled so far. */
  readonly floodDone: () => number;
  /** Resolves when the flood is handled and the containment lane is empty. */
  readonly drained: () => Promise<void>;
  readonly failures: unknown[];
  /** Queued messages Lambda would retry (partial batch failures). */
  readonly retried: () => number;
}

/**
 * The deployed design: containment events invoked directly; flood events in the informational
 * queue, at most INFORMATIONAL_CONCURRENCY batches at a time. `shared`: the design before, every
 * event in the function's one asynchronous queue.
 */
function startLanes(handler: Handler, flood: readonly unknown[], shared: boolean): Lanes {
  const executions = new Executions(DEFAULT_RESERVED_CONCURRENCY);
  const asyncQueue: unknown[] = shared ? [...flood] : [];
  const floodEvents = new Set(flood);
  const queue = shared ? [] : [...flood];
  const failures: unknown[] = [];
  let done = 0;
  let retried = 0;
  let inFlight = 0;
  let stopped = false;

  const asyncWorker = async () => {
    while (!stopped) {
      const event = asyncQueue.shift();
      if (event === undefined) {
        await sleep(1);
        continue;
      }
      inFlight++;
      await executions.run(() => invoke(handler, event, failures));
      inFlight--;
      if (floodEvents.has(event)) done++;
    }
  };
  const poller = async () => {
    while (queue.length > 0) {
      const first = FLOOD - queue.length;
      const batch = queue.splice(0, BATCH);
      const result = await executions.run(() => handler(sqsBatch(batch, first)));
      retried += result.batchItemFailures?.length ?? 0;
      done += batch.length;
    }
  };
  const workers = [
    ...Array.from({ length: DEFAULT_RESERVED_CONCURRENCY }, asyncWorker),
    ...Array.from({ length: INFORMATIONAL_CONCURRENCY }, poller),
  ];
  return {
    invokeAsync: (event) => asyncQueue.push(event),
    floodDone: () => done,
    failures,
    retried: () => retried,
    drained: async () => {
      while (done < flood.length || asyncQueue.length > 0 || inFlight > 0) await sleep(5);
      stopped = true;
      await Promise.all(workers);
    },
  };
}

const moto = await startMoto();
try {
  const world = await new World(moto.endpoint).create();
  const handler = localRespondHandler(world, { logLevel: "SILENT" });
  const log = recordAwsCalls();

  /** When each exposure's key was answered Inactive, from the wire (UpdateAccessKey calls kept apart: the log grows large). */
  const updates: typeof log.calls = [];
  let scanned = 0;
  const inactiveAt = (key: string): number | undefined => {
    for (; scanned < log.calls.length; scanned++) {
      const call = log.calls[scanned];
      if (call?.operation === "UpdateAccessKey") updates.push(call);
    }
    return updates.find((c) => c.accessKeyId === key && c.end)?.end;
  };

  let exposureCount = 0;
  async function exposure(): Promise<{ key: string; event: unknown }> {
    const u = await world.user(`exposed-${exposureCount}`);
    const key = u.keys[0] as string;
    const event = guardDutyEvent("iamuser-toripcaller.json", {
      key,
      user: u.name,
      id: `flood-exposure-${exposureCount++}`,
    });
    return { key, event };
  }

  async function waitContained(key: string, since: number): Promise<number> {
    for (;;) {
      const at = inactiveAt(key);
      if (at !== undefined) return at - since;
      if (performance.now() - since > 600_000) throw new Error(`${key} not contained in 10 minutes`);
      await sleep(2);
    }
  }

  // Informational flood: CreateAccessKey records for FLOOD_USERS users, each a distinct event.
  const floodUsers: { name: string; keys: string[] }[] = [];
  for (let i = 0; i < FLOOD_USERS; i += 10) {
    const ids = Array.from({ length: Math.min(10, FLOOD_USERS - i) }, (_, j) => i + j);
    floodUsers.push(...(await Promise.all(ids.map((id) => world.user(`flood-${id}`)))));
  }
  const flood = Array.from({ length: FLOOD }, (_, i) => {
    const u = floodUsers[i % FLOOD_USERS] as { name: string; keys: string[] };
    return {
      ...trailEvent("create-access-key.json", {
        key: u.keys[0] as string,
        user: u.name,
        eventId: `flood-${i}-${world.suffix}`,
      }),
      id: `flood-${i}`,
    };
  });

  // Normal: one exposure at a time, nothing else running.
  const normal: number[] = [];
  {
    const lanes = startLanes(handler, [], false);
    for (let i = 0; i < NORMAL_RUNS; i++) {
      const { key, event } = await exposure();
      const since = performance.now();
      lanes.invokeAsync(event);
      normal.push(await waitContained(key, since));
    }
    await lanes.drained();
  }

  async function duringFlood(shared: boolean) {
    const lanes = startLanes(handler, flood, shared);
    const started = performance.now();
    const times: Promise<number>[] = [];
    for (let i = 1; i <= DURING; i++) {
      const prepared = await exposure();
      while (lanes.floodDone() < (FLOOD * i) / (DURING + 1)) await sleep(5);
      const since = performance.now();
      lanes.invokeAsync(prepared.event);
      times.push(waitContained(prepared.key, since));
    }
    const contained = await Promise.all(times);
    await lanes.drained();
    return { contained, seconds: (performance.now() - started) / 1000, lanes };
  }

  const lanes = await duringFlood(false);
  const before = COMPARE ? await duringFlood(true) : undefined;

  const normalMedian = median(normal);
  const floodMedian = median(lanes.contained);
  const ratio = floodMedian / normalMedian;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `Flood: ${FLOOD} informational events (CloudTrail CreateAccessKey for ${FLOOD_USERS} users) against moto_server;`,
  );
  console.log(
    `  respond function: ${DEFAULT_RESERVED_CONCURRENCY} reserved executions; informational queue: batches of ${BATCH}, at most ${INFORMATIONAL_CONCURRENCY} at a time`,
  );
  console.log(
    `  normal time to Inactive          median ${ms(normalMedian)} (${NORMAL_RUNS} exposures, no flood; max ${ms(Math.max(...normal))})`,
  );
  console.log(
    `  during the flood (lanes)         median ${ms(floodMedian)} (${DURING} exposures arriving at 10 %..90 % of the flood; max ${ms(Math.max(...lanes.contained))})`,
  );
  console.log(`  ratio                            ${ratio.toFixed(2)} (during / normal)`);
  console.log(
    `  flood handled                    ${FLOOD} events in ${lanes.seconds.toFixed(1)} s; queued messages retried ${lanes.lanes.retried()}; containment failures ${lanes.lanes.failures.length}`,
  );
  if (before) {
    console.log(
      `  one shared queue (before)        median ${ms(median(before.contained))}, max ${ms(Math.max(...before.contained))}; ratio ${(median(before.contained) / normalMedian).toFixed(1)}`,
    );
  }
  const ok = ratio <= TOLERANCE && lanes.lanes.failures.length === 0 && lanes.lanes.retried() === 0;
  console.log(ok ? `  OK (during-flood median within ${TOLERANCE}x the normal one)` : "  FAILED");
  process.exitCode = ok ? 0 : 1;
} finally {
  await moto.stop();
}
