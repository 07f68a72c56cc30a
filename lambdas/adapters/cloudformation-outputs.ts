import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { call } from "./aws-errors.js";

/** The outputs of one deployed stack, by OutputKey. */
export async function readStackOutputs(
  stackName: string,
  config: { region?: string; profile?: string; endpoint?: string },
): Promise<Readonly<Record<string, string>>> {
  const client = new CloudFormationClient(config);
  try {
    const out = await call("cloudformation:DescribeStacks", () =>
      client.send(new DescribeStacksCommand({ StackName: stackName })),
    );
    const outputs = out.Stacks?.[0]?.Outputs ?? [];
    return Object.fromEntries(
      outputs
        .filter((o) => o.OutputKey && o.OutputValue)
        .map((o) => [o.OutputKey as string, o.OutputValue as string]),
    );
  } finally {
    client.destroy();
  }
}
