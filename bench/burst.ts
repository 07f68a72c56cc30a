/**
 * npm run bench:burst — 1,000 events for 200 distinct keys through the real respond handler
 * against moto_server, 10 at a time: each key gets a GuardDuty finding, its duplicate delivery,
 * its re-publication 6 h later (same finding id), a Health event and its us-west-2 backup copy.
 * Expected: exactly 200 incidents, 200 Inactive keys, one alert per distinct signal (2 per key), 0 lost.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { guardDutyEvent, healthEvent } from "../local/events.js";
import { startMoto } from "../local/moto-server.js";
import { localRespondHandler } from "../local/respond-handler.js";
import { World } from "../local/world.js";
import { median, recordAwsCalls } from "./aws-call-log.js";

const KEYS = Number(process.env.BURST_KEYS ?? 200);
const CONCURRENCY = Number(process.env.BURST_CONCURRENCY ?? 10);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

const moto = await startMoto();
try {
  const world = await new World(moto.endpoint).create();
  const handler = localRespondHandler(world, { logLevel: "SILENT" });

  const users = [];
  for (let i = 0; i < KEYS; i++) users.push(await world.user(`burst-${i}`));
  const events: { key: string; event: unknown }[] = [];
  for (const [i, u] of users.entries()) {
    const key = u.keys[0] as string;
    const finding = guardDutyEvent("iamuser-toripcaller.json", {
      key,
      user: u.name,
      id: `burst-finding-${i}`,
    });
    const republished = structuredClone(finding) as {
      id: string;
      detail: { updatedAt: string; service: { count: number } };
    };
    republished.id = `${republished.id}-6h`;
    republished.detail.updatedAt = "2026-11-28T18:00:00.000Z";
    republished.detail.service.count += 3;
    const health = healthEvent("risk-credentials-exposed.json", [key], u.name) as {
      detail: Record<string, unknown>;
    };
    health.detail.eventArn = `${String(health.detail.eventArn)}-${i}`;
    const backup = structuredClone(health) as { region: string; id: string; detail: Record<string, unknown> };
    backup.region = "us-west-2";
    backup.id = `${backup.id}-backup`;
    backup.detail.backupEvent = "true";
    for (const event of [finding, structuredClone(finding), republished, health, backup])
      events.push({ key, event });
  }
  // Shuffle deterministically so duplicates of one key arrive close together and far apart.
  for (let i = events.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [events[i], events[j]] = [events[j] as (typeof events)[number], events[i] as (typeof events)[number]];
  }

  const log = recordAwsCalls();
  const firstSeen = new Map<string, number>();
  const failures: unknown[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const item = events[next++];
        if (!item) return;
        if (!firstSeen.has(item.key)) firstSeen.set(item.key, performance.now());
        // Lambda retries a failed asynchronous invocation twice.
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            await handler(item.event);
            break;
          } catch (error) {
            if (attempt === 2) failures.push(error);
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const contained = new Map<string, number>();
  for (const call of log.calls) {
    if (
      call.operation === "UpdateAccessKey" &&
      call.accessKeyId &&
      call.end &&
      !contained.has(call.accessKeyId)
    ) {
      contained.set(call.accessKeyId, call.end);
    }
  }
  const timeToContain = [...contained].map(([key, end]) => end - (firstSeen.get(key) ?? end));
  const incidents = (
    await world.dynamo.send(new ScanCommand({ TableName: world.tableName, Select: "COUNT" }))
  ).Count;
  let inactive = 0;
  for (const u of users)
    if ((await world.keyStatuses(u.name))[u.keys[0] as string] === "Inactive") inactive++;
  const alerts = await world.alerts();
  const perSignal = new Map<string, number>();
  for (const a of alerts)
    perSignal.set(String(a.body.signalId), (perSignal.get(String(a.body.signalId)) ?? 0) + 1);
  const duplicates = [...perSignal.values()].filter((n) => n > 1).length;

  console.log(
    `Burst: ${events.length} events for ${KEYS} keys, concurrency ${CONCURRENCY}, against moto_server`,
  );
  console.log(`  incidents            ${incidents} (expected ${KEYS})`);
  console.log(`  keys Inactive        ${inactive} (expected ${KEYS})`);
  console.log(
    `  alerts               ${alerts.length} for ${perSignal.size} distinct signals (expected ${KEYS * 2}), duplicate alerts ${duplicates}`,
  );
  console.log(`  lost (failed 3x)     ${failures.length}`);
  console.log(
    `  throughput           ${(events.length / seconds).toFixed(0)} events/s (${seconds.toFixed(1)} s)`,
  );
  console.log(
    `  time to contain      p50 ${median(timeToContain).toFixed(1)} ms, p99 ${percentile(timeToContain, 0.99).toFixed(1)} ms (first event of a key → its UpdateAccessKey answered)`,
  );
  const ok =
    incidents === KEYS &&
    inactive === KEYS &&
    duplicates === 0 &&
    failures.length === 0 &&
    perSignal.size === KEYS * 2;
  console.log(ok ? "  OK" : "  FAILED");
  process.exitCode = ok ? 0 : 1;
} finally {
  await moto.stop();
}
