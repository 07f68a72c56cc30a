import http from "node:http";
import { syncBuiltinESMExports } from "node:module";

/** One AWS request as seen on the wire: which operation, when it started and when its answer ended. */
export interface CallRecord {
  operation: string;
  /** The AccessKeyId parameter of a Query-protocol call, when it has one. */
  accessKeyId: string | undefined;
  start: number;
  end: number | undefined;
}

/**
 * Records every HTTP request this process sends (the SDK talks plain HTTP to moto), naming the
 * operation from the Query-protocol `Action=` body or the JSON-protocol `X-Amz-Target` header.
 */
export function recordAwsCalls(): { calls: CallRecord[]; reset(): void } {
  const calls: CallRecord[] = [];
  const original = http.request;
  const patched = ((...args: Parameters<typeof http.request>) => {
    const req = original(...args);
    const record: CallRecord = {
      operation: "?",
      accessKeyId: undefined,
      start: performance.now(),
      end: undefined,
    };
    calls.push(record);
    const chunks: Buffer[] = [];
    const write = req.write.bind(req);
    const end = req.end.bind(req);
    const capture = (chunk: unknown) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    req.write = ((chunk: unknown, ...rest: never[]) => {
      capture(chunk);
      return write(chunk as never, ...rest);
    }) as typeof req.write;
    req.end = ((chunk?: unknown, ...rest: never[]) => {
      capture(chunk);
      const target = req.getHeader("x-amz-target");
      const body = Buffer.concat(chunks).toString("utf8");
      const action = /(?:^|&)Action=(\w+)/.exec(body)?.[1];
      record.accessKeyId = /(?:^|&)AccessKeyId=(\w+)/.exec(body)?.[1];
      record.operation = action ?? (typeof target === "string" ? (target.split(".").pop() ?? target) : "?");
      return end(chunk as never, ...rest);
    }) as typeof req.end;
    req.on("response", (res) => res.on("end", () => (record.end = performance.now())));
    return req;
  }) as typeof http.request;
  http.request = patched;
  syncBuiltinESMExports();
  return { calls, reset: () => calls.splice(0, calls.length) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
