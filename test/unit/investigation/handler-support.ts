import { Logger } from "@aws-lambda-powertools/logger";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { parseInvestigateConfig } from "../../../lambdas/core/investigation/config.js";
import {
  createInvestigateHandler,
  type InvestigateClients,
  type InvestigateHandler,
} from "../../../lambdas/handlers/investigate-handler.js";
import { ACCOUNT_ID, FakeEventHistory } from "./support.js";

/** What the investigate handler specs share: the leaked key, its session key, the incident, the clock. */
export const KEY = "AKIAR7ISFR69YWROPYAN";
export const SESSION = "ASIA9F6MXE9HSYOXYQOS";
export const INCIDENT = `${ACCOUNT_ID}-${KEY}`;
export const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT_ID}:leaked-key-alerts`;
// The handler reads the real clock: place everything relative to it.
const START = Date.now();
export const minutesAgo = (m: number) => new Date(START - m * 60_000).toISOString();

/** The clients every investigation uses, mocked (aws-sdk-client-mock). */
export const ct = mockClient(CloudTrailClient);
export const ddb = mockClient(DynamoDBClient);
export const sns = mockClient(SNSClient);

/** One DynamoDB item with the conditions the investigation store sends, evaluated as DynamoDB would. */
export class FakeIncidentTable {
  readonly items = new Map<string, Record<string, unknown>>();

  get = async (input: GetItemCommandInput) => {
    const id = unmarshall(input.Key ?? {}).incidentId as string;
    const item = this.items.get(id);
    return { Item: item ? marshall(item, { removeUndefinedValues: true }) : undefined, $metadata: {} };
  };

  update = async (input: UpdateItemCommandInput) => {
    const id = unmarshall(input.Key ?? {}).incidentId as string;
    const values = unmarshall(input.ExpressionAttributeValues ?? {});
    const item = this.items.get(id);
    const fail = () => {
      throw new ConditionalCheckFailedException({
        message: "The conditional request failed",
        $metadata: { httpStatusCode: 400 },
        ...(item ? { Item: marshall(item, { removeUndefinedValues: true }) } : {}),
      });
    };
    if (":summary" in values) {
      if (item === undefined) return fail();
      if (item.investigationFingerprint === values[":fp"]) return fail();
      const last = item.investigationLastEventAt as string | undefined;
      if (last !== undefined && last > (values[":last"] as string)) return fail();
      this.items.set(id, {
        ...item,
        investigation: values[":summary"],
        investigationFingerprint: values[":fp"],
        investigationLastEventAt: values[":last"],
        investigatedAt: values[":now"],
      });
      return { $metadata: {} };
    }
    if (":c" in values) {
      if (item === undefined) return fail();
      this.items.set(id, { ...item, investigatedContainment: values[":c"] });
      return { $metadata: {} };
    }
    if (":check" in values) {
      if (item === undefined) return fail();
      const { confirmedAt: _dropped, ...rest } = item;
      this.items.set(id, {
        ...(input.UpdateExpression?.includes("REMOVE confirmedAt") ? rest : item),
        containmentCheck: values[":check"],
        ...(":at" in values ? { confirmedAt: values[":at"] } : {}),
      });
      return { $metadata: {} };
    }
    throw new Error(`unexpected UpdateItem ${input.UpdateExpression}`);
  };
}

/**
 * Resets the mocks and wires a fresh event history and incident table (holding `incident`) into
 * them; SNS publishes succeed.
 */
export function freshInvestigation(incident: Record<string, unknown>): {
  history: FakeEventHistory;
  table: FakeIncidentTable;
} {
  for (const mock of [ct, ddb, sns]) mock.reset();
  const history = new FakeEventHistory();
  const table = new FakeIncidentTable();
  table.items.set(INCIDENT, incident);
  ct.on(LookupEventsCommand).callsFake(history.handle);
  ddb.on(GetItemCommand).callsFake(table.get);
  ddb.on(UpdateItemCommand).callsFake(table.update);
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  return { history, table };
}

/** The handler as the deployed module builds it, from this environment, with a silent logger and clients in us-east-1. */
export function buildHandler(
  env: Record<string, string>,
  more: Partial<InvestigateClients> = {},
): InvestigateHandler {
  return createInvestigateHandler(parseInvestigateConfig(env), {
    cloudTrailFor: (region) => new CloudTrailClient({ region }),
    dynamodb: new DynamoDBClient({ region: "us-east-1" }),
    sns: new SNSClient({ region: "us-east-1" }),
    now: () => new Date(),
    logger: new Logger({ logLevel: "SILENT" }),
    ...more,
  });
}
