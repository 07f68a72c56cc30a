/**
 * moto has no CloudTrail. This stands in for it, for `npm run drill:honey` and the honey key
 * specs: an HTTP proxy in front of moto_server that forwards every request unchanged and, for
 * each one signed with an IAM user's long-term key (not the emulator's own `testing` key), puts
 * the "AWS API Call via CloudTrail" event that CloudTrail would deliver onto moto's default event
 * bus. The record has the fields of the published records in test/fixtures/cloudtrail-records
 * (eventVersion, userIdentity, eventTime, eventSource, eventName, awsRegion, sourceIPAddress,
 * userAgent, requestParameters, responseElements, requestID, eventID, readOnly, eventType,
 * managementEvent, recipientAccountId, eventCategory, and errorCode/errorMessage for a failed call);
 * `readOnly` is guessed from the action's verb. The event is on the bus before the caller gets its
 * answer: real CloudTrail delivers to EventBridge seconds to minutes later, which this emulator does
 * not imitate (so a local time to alert is the responder's share only).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetAccessKeyLastUsedCommand, GetUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { freePort } from "./moto-server.js";
import { motoClientConfig } from "./world.js";

const CREDENTIAL = /Credential=(AKIA[A-Z0-9]{16})\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

export interface CloudTrailEmulator {
  /** Point SDK clients here instead of at moto. */
  readonly endpoint: string;
  /** Events put on the bus so far. */
  readonly delivered: () => number;
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The API action of a request: `Action=` of the query protocols, or the JSON protocols' X-Amz-Target. */
function actionOf(req: IncomingMessage, payload: string): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return target.split(".").pop() ?? target;
  const query = new URLSearchParams(req.url?.split("?")[1] ?? "");
  return new URLSearchParams(payload).get("Action") ?? query.get("Action") ?? "Unknown";
}

function errorOf(status: number, text: string): { errorCode: string; errorMessage: string } | undefined {
  if (status < 400) return undefined;
  const code =
    /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(text)?.[1];
  const message =
    /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? /"message"\s*:\s*"([^"]*)"/i.exec(text)?.[1];
  return { errorCode: code ?? `HTTP${status}`, errorMessage: message ?? "" };
}

/** Starts the proxy on a free loopback port, in front of moto at `motoEndpoint`. */
export async function startCloudTrailEmulator(motoEndpoint: string): Promise<CloudTrailEmulator> {
  const sdk = motoClientConfig(motoEndpoint);
  const iam = new IAMClient({ ...sdk });
  const events = new EventBridgeClient({ ...sdk });
  let delivered = 0;

  const record = async (req: IncomingMessage, payload: string, status: number, answer: string) => {
    const match = CREDENTIAL.exec(String(req.headers.authorization ?? ""));
    if (!match) return;
    const [, accessKeyId, region, service] = match as unknown as [string, string, string, string];
    const owner = (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }))).UserName;
    if (!owner) return;
    const user = (await iam.send(new GetUserCommand({ UserName: owner }))).User;
    const arn = user?.Arn ?? "";
    const accountId = arn.split(":")[4] ?? "123456789012";
    const eventName = actionOf(req, payload);
    const detail = {
      eventVersion: "1.08",
      userIdentity: {
        type: "IAMUser",
        principalId: user?.UserId ?? "",
        arn,
        accountId,
        accessKeyId,
        userName: owner,
      },
      eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      eventSource: `${service}.amazonaws.com`,
      eventName,
      awsRegion: region,
      sourceIPAddress: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
      userAgent: String(req.headers["user-agent"] ?? ""),
      ...errorOf(status, answer),
      requestParameters: null,
      responseElements: null,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: /^(Get|List|Describe)/.test(eventName),
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: accountId,
      eventCategory: "Management",
    };
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: `aws.${service}`,
            DetailType: "AWS API Call via CloudTrail",
            Detail: JSON.stringify(detail),
            Resources: [],
          },
        ],
      }),
    );
    delivered++;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const payload = await body(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && k !== "connection" && k !== "content-length")
        headers[k] = v;
    }
    const upstream = await fetch(`${motoEndpoint}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      ...(payload.length > 0 ? { body: payload } : {}),
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    // The event is on the bus before the caller has its answer: specs and the drill read no race.
    await record(req, payload.toString("utf8"), upstream.status, answer.toString("utf8")).catch(
      () => undefined,
    );
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers.entries()));
    res.end(answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(502);
      res.end(String(error));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    delivered: () => delivered,
    stop: () =>
      new Promise<void>((resolve) => {
        iam.destroy();
        events.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
