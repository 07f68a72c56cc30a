import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoDbAuditStore, DynamoDbExposureHistory } from "../../../lambdas/adapters/dynamodb-audit.js";
import { digestOf, recordOf } from "../../../lambdas/core/audit/digest.js";
import { TransientAwsError } from "../../../lambdas/core/errors.js";

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: "us-east-1" });
const ACCOUNT = "123456789012";
const keyId = (i: number) => `AKIA${String(i).padStart(16, "0")}`;

beforeEach(() => ddb.reset());

describe("DynamoDbExposureHistory", () => {
  it("reads incidents by their ids in batches of 100, retrying unprocessed keys", async () => {
    const ids = Array.from({ length: 150 }, (_, i) => keyId(i));
    const exposed = keyId(7);
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { incidents: [marshall({ incidentId: `${ACCOUNT}-${exposed}`, accessKeyId: exposed })] },
        UnprocessedKeys: { incidents: { Keys: [marshall({ incidentId: `${ACCOUNT}-${keyId(8)}` })] } },
      })
      .resolves({ Responses: { incidents: [] } });
    const found = await new DynamoDbExposureHistory(client, "incidents").incidentsOf(ACCOUNT, ids);
    expect(found).toEqual(new Map([[exposed, [`${ACCOUNT}-${exposed}`]]]));
    const batches = ddb
      .commandCalls(BatchGetItemCommand)
      .map((c) => c.args[0].input.RequestItems?.incidents?.Keys?.length);
    expect(batches).toEqual([100, 1, 50]);
    const first = ddb.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.incidents?.Keys?.[0];
    expect(first && unmarshall(first)).toEqual({ incidentId: `${ACCOUNT}-${keyId(0)}` });
  });

  it("fails transiently when keys stay unprocessed", async () => {
    ddb.on(BatchGetItemCommand).resolves({
      UnprocessedKeys: { incidents: { Keys: [marshall({ incidentId: `${ACCOUNT}-${keyId(1)}` })] } },
    });
    await expect(
      new DynamoDbExposureHistory(client, "incidents").incidentsOf(ACCOUNT, [keyId(1)]),
    ).rejects.toThrow(TransientAwsError);
  });
});

describe("DynamoDbAuditStore", () => {
  const record = recordOf(
    digestOf({
      accountId: ACCOUNT,
      now: new Date("2026-12-01T06:00:00Z"),
      reportGeneratedAt: undefined,
      findings: [],
      previous: undefined,
    }),
  );

  it("writes the day's record and the latest copy, neither with a status (so never in the status index)", async () => {
    ddb.on(PutItemCommand).resolves({});
    await new DynamoDbAuditStore(client, "incidents").record(record);
    const items = ddb.commandCalls(PutItemCommand).map((c) => unmarshall(c.args[0].input.Item ?? {}));
    expect(items.map((i) => i.incidentId)).toEqual(["audit#2026-12-01", "audit#latest"]);
    expect(items.every((i) => !("status" in i))).toBe(true);
  });

  it("reads the latest record through its schema, and none before the first audit", async () => {
    ddb
      .on(GetItemCommand)
      .resolvesOnce({ Item: marshall({ ...record, incidentId: "audit#latest" }) })
      .resolves({});
    const store = new DynamoDbAuditStore(client, "incidents");
    expect(await store.previous()).toEqual({ ...record, incidentId: "audit#latest" });
    expect(await store.previous()).toBeUndefined();
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input.Key).toEqual(
      marshall({ incidentId: "audit#latest" }),
    );
  });
});
