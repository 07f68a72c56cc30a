import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { operationOf } from "./fault-proxy.js";

/**
 * An HTTP proxy in front of moto_server on a loopback port that makes moto behave like DynamoDB
 * where races are concerned, and lets a test force an interleaving:
 *
 * - DynamoDB writes to one item (PutItem, UpdateItem, DeleteItem, and each item of
 *   TransactWriteItems / BatchWriteItem) run one at a time, in the order they arrived, as DynamoDB
 *   applies them; moto itself runs them in parallel threads and loses concurrent list appends.
 * - An UpdateItem that DynamoDB refuses because the item would exceed 400 KB changes nothing in
 *   DynamoDB, but moto keeps part of it: the proxy reads the item before forwarding an UpdateItem
 *   and puts it back when the answer is that ValidationException. moto takes seconds to read a
 *   large item, so the proxy reads only once the item may be near the limit: it keeps, per item,
 *   the size it last read plus every write body since (an overestimate), and reads from
 *   SNAPSHOT_FROM_BYTES (200 KB) on. Writes that bypass the proxy are not counted.
 * - `hold(...)` keeps one chosen request (any service) until the test releases it. A held request
 *   has not reached AWS yet: it arrives (and queues behind other writes to its item) on release —
 *   unless its caller gave up meanwhile (an SDK call aborted at its deadline closes the connection):
 *   then it never reaches AWS, as a request whose connection closed before it was delivered.
 */

/** Which request to hold: the operation as AWS names it, and optionally a test on the raw body. */
export interface HoldSpec {
  /** `UpdateAccessKey`, `DetachUserPolicy`, `UpdateItem`, ... (Query `Action=` or JSON `X-Amz-Target`), or any of several. */
  readonly operation: string | readonly string[];
  /** Holds only a request whose body passes (e.g. `(body) => body.includes("Status=Active")`). */
  readonly match?: (body: string) => boolean;
  /** `arrived` rejects, naming the spec, when no such request came within this time; default 20 s. */
  readonly withinMs?: number;
}

/** One held request (the first one, after `hold(...)` was called, that matched the spec). */
export interface HeldRequest {
  /** Resolves once the matching request has reached the proxy (and is being held); rejects after `withinMs`. */
  readonly arrived: Promise<void>;
  /** Lets the request go on to moto; before it arrived, it will not be held at all. */
  release(): void;
}

/** What the proxy saw, in order of arrival. */
export interface SeenRequest {
  readonly operation: string;
  /** The DynamoDB items the request writes (`table key`), for a write. */
  readonly items: readonly string[];
  readonly held: boolean;
}

interface Hold {
  readonly spec: HoldSpec;
  caught: boolean;
  released: boolean;
  arrive: () => void;
  go: Promise<void>;
  let: () => void;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Json = Record<string, unknown>;
type KeySchema = readonly string[];

const SINGLE_ITEM_WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem"]);
const MULTI_ITEM_WRITES = new Set(["TransactWriteItems", "BatchWriteItem"]);
const ITEM_SIZE_ERROR = /Item size (to update )?has exceeded the maximum allowed size/;
/**
 * Below this, no UpdateItem can be refused for size. moto refuses one when the item's size plus
 * the new value of an attribute it sets exceed 405,000 bytes (it counts the old value too), so a
 * refusal needs an item of more than 202,500 bytes; the bound kept here only overestimates.
 */
const SNAPSHOT_FROM_BYTES = 200_000;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `table {"attr":{"S":"…"}}`: one item of one table, whatever the order of the key's attributes. */
function itemLabel(table: string, key: Json): string {
  const sorted = Object.fromEntries(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)));
  return `${table} ${JSON.stringify(sorted)}`;
}

function pick(item: Json, attributes: KeySchema): Json {
  return Object.fromEntries(attributes.map((a) => [a, item[a]]));
}

export class RaceProxy {
  readonly seen: SeenRequest[] = [];
  /** How many failed UpdateItems the proxy rolled back (moto kept part of them). */
  restored = 0;
  endpoint = "";
  private server: Server | undefined;
  private holds: Hold[] = [];
  /** The last write queued on each item: the next write to it waits for this one. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Writes queue on their items in arrival order, even when finding an item's key takes a call. */
  private arrivals: Promise<unknown> = Promise.resolve();
  private readonly keySchemas = new Map<string, Promise<KeySchema>>();
  /** Per item: at most how big it can be (last read size plus every write body since). */
  private readonly sizeBound = new Map<string, number>();

  constructor(private readonly upstream: string) {}

  hold(spec: HoldSpec): HeldRequest {
    let arrive = () => {};
    let go = () => {};
    const withinMs = spec.withinMs ?? 20_000;
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const operations = typeof spec.operation === "string" ? spec.operation : spec.operation.join("/");
        reject(new Error(`race proxy: no ${operations} request to hold arrived within ${withinMs} ms`));
      }, withinMs);
      timer.unref();
      arrive = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    // A test that never awaits `arrived` (a hold that turned out not to be needed) is no failure.
    arrived.catch(() => undefined);
    const hold: Hold = {
      spec,
      caught: false,
      released: false,
      arrive,
      go: new Promise<void>((resolve) => {
        go = resolve;
      }),
      let: () => go(),
    };
    this.holds.push(hold);
    return {
      arrived,
      release: () => {
        hold.released = true;
        hold.let();
      },
    };
  }

  /** Lets every held request go and forgets the holds that caught nothing (between tests). */
  releaseAll(): void {
    for (const hold of this.holds) {
      hold.released = true;
      hold.let();
    }
    this.holds = [];
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let callerGone = false;
      res.on("close", () => {
        if (!res.writableEnded) callerGone = true;
      });
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        this.handle(req.headers, req.method ?? "POST", req.url ?? "/", body, () => callerGone).then(
          (answer) => {
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
          },
          (error: unknown) => {
            res.writeHead(502);
            res.end(String(error));
          },
        );
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.releaseAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(
    headers: IncomingHttpHeaders,
    method: string,
    url: string,
    body: Buffer,
    callerGone: () => boolean = () => false,
  ): Promise<Answer> {
    const target = headers["x-amz-target"];
    const text = body.toString("utf8");
    const operation = operationOf(text, typeof target === "string" ? target : undefined);
    const hold = this.holds.find(
      (h) =>
        !h.caught &&
        (typeof h.spec.operation === "string" ? [h.spec.operation] : h.spec.operation).includes(operation) &&
        (h.spec.match?.(text) ?? true),
    );
    const isWrite = SINGLE_ITEM_WRITES.has(operation) || MULTI_ITEM_WRITES.has(operation);
    const seen = { operation, items: [] as string[], held: hold !== undefined && !hold.released };
    this.seen.push(seen);
    if (hold) {
      hold.caught = true;
      hold.arrive();
      await hold.go;
      // Its caller gave up while it was held: it never reaches AWS (no one reads this answer).
      if (callerGone()) return { status: 499, headers: {}, body: Buffer.alloc(0) };
    }
    const forward = () => this.forward(headers, method, url, body);
    if (!isWrite) return forward();
    // Arrival order: the item keys of each write are found one write at a time.
    const queued = this.arrivals.then(async () => {
      const items = await this.itemsOf(operation, JSON.parse(text) as Json, headers);
      seen.items.push(...items.map((i) => i.label));
      return { items, turn: this.queueOn(items.map((i) => i.label)) };
    });
    this.arrivals = queued.catch(() => undefined);
    const { items, turn } = await queued;
    await turn.ready;
    try {
      if (operation !== "UpdateItem" || items[0] === undefined) return await forward();
      return await this.updateAtomically(items[0], body.length, headers, forward);
    } finally {
      turn.done();
    }
  }

  /** Queues behind the last write to each item; `ready` when they all finished. Synchronous registration. */
  private queueOn(labels: readonly string[]): { ready: Promise<unknown>; done: () => void } {
    const before = labels.map((label) => this.tails.get(label) ?? Promise.resolve());
    let done = () => {};
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    for (const label of labels) this.tails.set(label, mine);
    return {
      ready: Promise.all(before),
      done: () => {
        done();
        for (const label of labels) if (this.tails.get(label) === mine) this.tails.delete(label);
      },
    };
  }

  /** An UpdateItem as DynamoDB applies it: refused for size, it leaves the item as it was. */
  private async updateAtomically(
    item: { label: string; table: string; key: Json },
    bodyBytes: number,
    headers: IncomingHttpHeaders,
    forward: () => Promise<Answer>,
  ): Promise<Answer> {
    const bound = this.sizeBound.get(item.label) ?? 0;
    if (bound + bodyBytes < SNAPSHOT_FROM_BYTES && this.sizeBound.has(item.label)) {
      this.sizeBound.set(item.label, bound + bodyBytes);
      return forward();
    }
    const before = await this.dynamo(headers, "GetItem", {
      TableName: item.table,
      Key: item.key,
      ConsistentRead: true,
    });
    this.sizeBound.set(item.label, Buffer.byteLength(JSON.stringify(before.Item ?? {})) + bodyBytes);
    const answer = await forward();
    if (answer.status === 400 && ITEM_SIZE_ERROR.test(answer.body.toString("utf8"))) {
      const previous = before.Item;
      if (isObject(previous))
        await this.dynamo(headers, "PutItem", { TableName: item.table, Item: previous });
      else await this.dynamo(headers, "DeleteItem", { TableName: item.table, Key: item.key });
      this.restored += 1;
    }
    return answer;
  }

  private async itemsOf(
    operation: string,
    body: Json,
    headers: IncomingHttpHeaders,
  ): Promise<{ label: string; table: string; key: Json }[]> {
    const one = async (table: unknown, key: unknown, item: unknown) => {
      if (typeof table !== "string") return [];
      const k = isObject(key) ? key : isObject(item) ? pick(item, await this.keySchema(table, headers)) : {};
      return [{ label: itemLabel(table, k), table, key: k }];
    };
    if (SINGLE_ITEM_WRITES.has(operation)) return one(body.TableName, body.Key, body.Item);
    const found: { label: string; table: string; key: Json }[] = [];
    if (operation === "TransactWriteItems" && Array.isArray(body.TransactItems)) {
      for (const entry of body.TransactItems as unknown[]) {
        if (!isObject(entry)) continue;
        for (const part of Object.values(entry)) {
          if (isObject(part)) found.push(...(await one(part.TableName, part.Key, part.Item)));
        }
      }
    }
    if (operation === "BatchWriteItem" && isObject(body.RequestItems)) {
      for (const [table, requests] of Object.entries(body.RequestItems)) {
        for (const r of Array.isArray(requests) ? (requests as unknown[]) : []) {
          if (!isObject(r)) continue;
          const put = isObject(r.PutRequest) ? r.PutRequest : undefined;
          const del = isObject(r.DeleteRequest) ? r.DeleteRequest : undefined;
          found.push(...(await one(table, del?.Key, put?.Item)));
        }
      }
    }
    return found.filter((f, i) => found.findIndex((g) => g.label === f.label) === i);
  }

  /** The table's key attribute names (DescribeTable, once per table): to find a PutItem's item. */
  private keySchema(table: string, headers: IncomingHttpHeaders): Promise<KeySchema> {
    let schema = this.keySchemas.get(table);
    if (!schema) {
      schema = this.dynamo(headers, "DescribeTable", { TableName: table }).then((out) => {
        const description = isObject(out.Table) ? out.Table : {};
        const keys = Array.isArray(description.KeySchema) ? (description.KeySchema as unknown[]) : [];
        return keys.flatMap((k) =>
          isObject(k) && typeof k.AttributeName === "string" ? [k.AttributeName] : [],
        );
      });
      this.keySchemas.set(table, schema);
    }
    return schema;
  }

  /** A DynamoDB call of the proxy's own, straight to moto, with the caller's credential scope. */
  private async dynamo(headers: IncomingHttpHeaders, operation: string, input: Json): Promise<Json> {
    const answer = await this.forward(
      {
        host: new URL(this.upstream).host,
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `DynamoDB_20120810.${operation}`,
        ...(headers.authorization ? { authorization: headers.authorization } : {}),
      },
      "POST",
      "/",
      Buffer.from(JSON.stringify(input)),
    );
    const out = JSON.parse(answer.body.toString("utf8") || "{}") as unknown;
    if (answer.status !== 200) {
      throw new Error(`race proxy: ${operation} answered ${answer.status}: ${answer.body.toString("utf8")}`);
    }
    return isObject(out) ? out : {};
  }

  private forward(headers: IncomingHttpHeaders, method: string, path: string, body: Buffer): Promise<Answer> {
    const upstream = new URL(this.upstream);
    return new Promise((resolve, reject) => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path,
          headers: { ...headers, "content-length": String(body.length) },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () => {
            const whole = Buffer.concat(chunks);
            const headersOut = { ...answer.headers, "content-length": String(whole.length) };
            delete headersOut["transfer-encoding"];
            resolve({ status: answer.statusCode ?? 502, headers: headersOut, body: whole });
          });
          answer.on("error", reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }
}
