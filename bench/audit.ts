/**
 * npm run bench:audit — the daily key-hygiene audit's time for 1,000 IAM users against moto_server:
 * GenerateCredentialReport until COMPLETE, GetCredentialReport, then per user with keys
 * ListAccessKeys and the admin-scope reads, the incident lookups, the digest and the audit record.
 * Prints the median of BENCH_RUNS runs (default 5) and the AWS calls of one run by operation.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
} from "@aws-sdk/client-iam";
import { localAuditHandler } from "../local/audit-handler.js";
import { startMoto } from "../local/moto-server.js";
import { World } from "../local/world.js";
import { median, recordAwsCalls } from "./aws-call-log.js";

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DAY = 86_400_000;

/** 1,000 users: every one with a key, every 4th with two, every 10th in an admin group, every 5th with a console password. */
async function seed(world: World): Promise<void> {
  const group = `admins-${world.suffix}`;
  await world.iam.send(new CreateGroupCommand({ GroupName: group }));
  await world.iam.send(
    new AttachGroupPolicyCommand({
      GroupName: group,
      PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
    }),
  );
  const indexes = Array.from({ length: USERS }, (_, i) => i);
  for (let start = 0; start < USERS; start += 25) {
    await Promise.all(
      indexes.slice(start, start + 25).map(async (i) => {
        const { name } = await world.user(`bench-audit-${i}`, { keys: i % 4 === 0 ? 2 : 1 });
        if (i % 10 === 0)
          await world.iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: name }));
        if (i % 5 === 0) {
          await world.iam.send(
            new CreateLoginProfileCommand({ UserName: name, Password: "Bench-Pa55word!" }),
          );
        }
      }),
    );
  }
}

async function main(): Promise<void> {
  const moto = await startMoto();
  try {
    const world = await new World(moto.endpoint).create();
    const seeded = Date.now();
    await seed(world);
    console.log(`Seeded ${USERS} users in moto in ${((Date.now() - seeded) / 1000).toFixed(1)} s.`);
    // Look from 100 days on: every key is then old, and most are never used (findings to render and store).
    const later = new Date(Date.now() + 100 * DAY);
    const audit = localAuditHandler(world, { now: () => later });
    const log = recordAwsCalls();
    await audit({}); // warm-up: the first GenerateCredentialReport answers STARTED
    const times: number[] = [];
    let result: Awaited<ReturnType<typeof audit>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      log.reset();
      const start = performance.now();
      result = await audit({});
      times.push(performance.now() - start);
    }
    const byOperation = new Map<string, number[]>();
    for (const c of log.calls) {
      byOperation.set(c.operation, [...(byOperation.get(c.operation) ?? []), (c.end ?? c.start) - c.start]);
    }
    console.log(`Audit of ${USERS} users against moto_server (${RUNS} runs after one warm-up):`);
    const s = (ms: number) => (ms / 1000).toFixed(2);
    console.log(
      `  median ${s(median(times))} s   min ${s(Math.min(...times))} s   max ${s(Math.max(...times))} s`,
    );
    console.log(`  findings ${result?.findings}   AWS calls in the last run ${log.calls.length}:`);
    console.log("    operation                    calls   median ms");
    for (const [op, ms] of [...byOperation.entries()].sort((a, b) => b[1].length - a[1].length)) {
      console.log(
        `    ${op.padEnd(28)} ${String(ms.length).padStart(5)}   ${median(ms).toFixed(1).padStart(9)}`,
      );
    }
  } finally {
    await moto.stop();
  }
}

await main();
