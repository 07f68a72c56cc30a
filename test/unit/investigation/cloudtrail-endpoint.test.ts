import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudTrailActivitySource, cloudTrailClientFactory } from "../../../lambdas/adapters/cloudtrail.js";

const KEY = "AKIAR7ISFR69YWROPYAN";
const ENV_KEYS = [
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_CLOUDTRAIL",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
] as const;

interface Received {
  readonly method: string | undefined;
  readonly target: string | undefined;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

/** A tiny CloudTrail on 127.0.0.1 answering every LookupEvents with an empty result. */
async function startCloudTrail(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method,
        target: req.headers["x-amz-target"] as string | undefined,
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>,
      });
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ Events: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

async function lookUpOnce(region: string): Promise<number> {
  const source = new CloudTrailActivitySource({ clientFor: cloudTrailClientFactory(), maxAttempts: 1 });
  let pages = 0;
  for await (const _page of source.pages(
    region,
    KEY,
    "2024-07-29T14:00:00.000Z",
    "2024-08-01T14:05:00.000Z",
  )) {
    pages += 1;
  }
  return pages;
}

describe("CloudTrail clients built by the factory honour the endpoint environment", () => {
  const saved = new Map<string, string | undefined>();
  let cloudtrail: Awaited<ReturnType<typeof startCloudTrail>>;
  beforeEach(async () => {
    for (const k of ENV_KEYS) saved.set(k, process.env[k]);
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.AWS_ACCESS_KEY_ID = "testing";
    process.env.AWS_SECRET_ACCESS_KEY = "testing";
    cloudtrail = await startCloudTrail();
  });
  afterEach(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise<void>((resolve) => cloudtrail.server.close(() => resolve()));
  });

  it("sends LookupEvents to AWS_ENDPOINT_URL_CLOUDTRAIL", async () => {
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = cloudtrail.url;
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9"; // the service-specific variable wins
    expect(await lookUpOnce("eu-west-1")).toBe(1);
    expect(cloudtrail.received).toHaveLength(1);
    expect(cloudtrail.received[0]).toMatchObject({
      method: "POST",
      target: "CloudTrail_20131101.LookupEvents",
      authorization: expect.stringContaining("/eu-west-1/cloudtrail/aws4_request"),
      body: {
        LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: KEY }],
        MaxResults: 50,
      },
    });
  });

  it("sends LookupEvents to AWS_ENDPOINT_URL when no service-specific endpoint is set", async () => {
    process.env.AWS_ENDPOINT_URL = cloudtrail.url;
    expect(await lookUpOnce("us-east-1")).toBe(1);
    expect(cloudtrail.received.map((r) => r.target)).toEqual(["CloudTrail_20131101.LookupEvents"]);
  });
});
