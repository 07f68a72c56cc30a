import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/args.js";
import { summarizeDeadLetter } from "../../cli/dead-letters.js";
import { parseStatusFilter } from "../../cli/filters.js";
import { fitColumns, paint, renderTable } from "../../cli/format.js";
import { COMMAND_HELP, STATUS_CHOICES } from "../../cli/help.js";
import { capturedIo, colorWanted } from "../../cli/io.js";
import { main } from "../../cli/main.js";
import { quietSdkNodeVersionWarning, SDK_NODE_VERSION_WARNING_OPT_OUT } from "../../cli/sdk-warnings.js";
import { lkrVersion } from "../../cli/version.js";
import { invokeAsync } from "../../lambdas/adapters/lambda-async-invoke.js";
import { IncidentStatusSchema } from "../../lambdas/core/incident.js";

const ROOT = join(import.meta.dirname, "..", "..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

async function lkr(args: readonly string[]) {
  const run = capturedIo();
  const code = await main(args, { io: run.io });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe("lkr help", () => {
  it("prints one command's help for `lkr show --help`, the same as `lkr help show`", async () => {
    const flag = await lkr(["show", "--help"]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^Usage:\n {2}lkr show <incident>\n\nEverything recorded on one incident/);
    expect(await lkr(["help", "show"])).toEqual(flag);
    expect(flag.stdout).not.toEqual((await lkr(["--help"])).stdout);
  });

  it("answers `lkr help incidents` and `lkr incidents -h` with the incidents command's usage and options", async () => {
    const help = await lkr(["help", "incidents"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      "lkr incidents [--status open|contained|notified|releasing|released|resolved]",
    );
    expect((await lkr(["incidents", "-h"])).stdout).toEqual(help.stdout);
  });

  it("lists every command in the global help, and has help for each", async () => {
    const lines = (await lkr(["--help"])).stdout.split("\n");
    for (const name of Object.keys(COMMANDS)) {
      const summary = COMMAND_HELP[name]?.summary;
      expect(summary, name).toBeDefined();
      expect(
        lines.some((line) => line.trim().startsWith(`${name} `) && line.endsWith(`  ${summary}`)),
        name,
      ).toBe(true);
    }
  });

  it("refuses help for a command that does not exist (usage error, exit 2)", async () => {
    const run = await lkr(["help", "incident"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no help for "incident"');
  });
});

describe("help and validator agree on --status", () => {
  it("offers open plus every status of the incident model's zod enum, and the validator accepts each", () => {
    expect(STATUS_CHOICES).toEqual(["open", ...IncidentStatusSchema.options]);
    for (const status of STATUS_CHOICES) expect(parseStatusFilter(status).length).toBeGreaterThan(0);
    expect(() => parseStatusFilter("closed")).toThrow(
      `--status "closed": expected one of ${STATUS_CHOICES.join(", ")}`,
    );
  });
});

describe("lkr --version", () => {
  it("prints the package.json version, alone, with or without a command", async () => {
    expect(await lkr(["--version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(await lkr(["-V"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect((await lkr(["incidents", "--version"])).stdout).toBe(`${VERSION}\n`);
  });

  it("finds package.json from a build folder too (dist/cli), and says unknown outside the package", () => {
    expect(lkrVersion(join(ROOT, "dist", "cli"))).toBe(VERSION);
    expect(lkrVersion(tmpdir())).toBe("unknown");
  });
});

describe("tables fit the terminal", () => {
  const headers = ["ID", "PRINCIPAL", "SIGNAL"];
  const rows = [
    [
      "123456789012-AKIAIOSFODNN7EXAMPLE",
      "user/deploy-bot-with-a-long-name",
      "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
    ],
  ];

  it("shortens the widest cells with … to the width, never a kept column", () => {
    const lines = renderTable(headers, rows, { width: 80, keep: [0] }).split("\n");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toContain("123456789012-AKIAIOSFODNN7EXAMPLE");
    expect(lines[1]).toMatch(/…/);
  });

  it("keeps every character without a width (output piped, not a terminal)", () => {
    expect(renderTable(headers, rows).split("\n")[1]).toBe(
      "123456789012-AKIAIOSFODNN7EXAMPLE  user/deploy-bot-with-a-long-name  UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
    );
  });

  it("shortens a column no further than its minimum, even when the table cannot fit", () => {
    expect(fitColumns([30, 40, 50], [30, 4, 4], 80)).toEqual([30, 23, 23]);
    expect(fitColumns([30, 40, 50], [30, 9, 6], 20)).toEqual([30, 9, 6]);
  });
});

describe("colour", () => {
  it("only on a terminal, never with NO_COLOR or TERM=dumb", () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(false, {})).toBe(false);
    expect(colorWanted(true, { NO_COLOR: "1" })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: "" })).toBe(true); // no-color.org: set and not empty
    expect(colorWanted(true, { TERM: "dumb" })).toBe(false);
  });

  it("paints only when enabled, after the layout (escape codes do not count toward the width)", () => {
    expect(paint("x", "red", false)).toBe("x");
    expect(paint("x", "red", true)).toBe("\u001b[31mx\u001b[0m");
    const styled = renderTable(["A", "B"], [["1", "2"]], {
      style: (text, _, row) => paint(text, "bold", row < 0),
    });
    expect(styled).toBe("\u001b[1mA\u001b[0m  \u001b[1mB\u001b[0m\n1  2");
  });
});

describe("shell completion", () => {
  /** Runs the generated bash function for a command line whose last word is being completed. */
  function complete(script: string, ...words: string[]): string[] {
    const file = join(tmpdir(), `lkr-completion-${process.pid}.bash`);
    writeFileSync(file, script);
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const out = execFileSync(
      "bash",
      [
        "-c",
        `source ${file}; COMP_WORDS=(lkr ${quoted}); COMP_CWORD=${words.length}; _lkr; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: "utf8" },
    );
    return out.split("\n").filter((w) => w !== "");
  }

  it("bash: completes commands, a command's options, --status values and help topics, from the parser's tables", async () => {
    const script = (await lkr(["completion", "bash"])).stdout;
    expect(complete(script, "in")).toEqual(["incidents"]);
    expect(complete(script, "incidents", "--st")).toEqual(["--status", "--stack"]);
    expect(complete(script, "incidents", "--status", "")).toEqual([...STATUS_CHOICES]);
    expect(complete(script, "--stack", "My", "sh")).toEqual(["show"]);
    expect(complete(script, "help", "dl")).toEqual(["dlq"]);
    expect(complete(script, "dlq", "--queue", "")).toEqual(["respond", "investigate", "audit", "webhook"]);
    expect(complete(script, "release", "--re")).toEqual(["--reason", "--region"]);
  });

  it("zsh: the same function through bashcompinit, after compinit", async () => {
    const zsh = (await lkr(["completion", "zsh"])).stdout;
    expect(zsh).toMatch(/^#compdef lkr\n/);
    expect(zsh).toContain("autoload -U +X bashcompinit && bashcompinit");
    expect(zsh).toContain("complete -F _lkr lkr");
    expect(zsh).toContain((await lkr(["completion", "bash"])).stdout.split("\n").slice(1).join("\n"));
  });

  it("refuses another shell", async () => {
    expect((await lkr(["completion", "fish"])).code).toBe(2);
  });
});

describe("the AWS SDK's Node.js version notice", () => {
  it("is turned off by its documented variable, unless the operator set it", () => {
    const env: NodeJS.ProcessEnv = {};
    quietSdkNodeVersionWarning(env);
    expect(env).toEqual({ [SDK_NODE_VERSION_WARNING_OPT_OUT]: "true" });
    const theirs: NodeJS.ProcessEnv = { [SDK_NODE_VERSION_WARNING_OPT_OUT]: "false" };
    quietSdkNodeVersionWarning(theirs);
    expect(theirs[SDK_NODE_VERSION_WARNING_OPT_OUT]).toBe("false");
  });

  it("is the variable @aws-sdk/core reads before it warns", () => {
    const source = readFileSync(
      join(ROOT, "node_modules/@aws-sdk/core/dist-cjs/submodules/client/index.js"),
      "utf8",
    );
    expect(source).toContain(`process.env.${SDK_NODE_VERSION_WARNING_OPT_OUT} === "true"`);
  });

  it("is not printed above lkr's own answer (the bin, in a child process); the SDK does print it when told to", () => {
    const run = (extra: Record<string, string>) =>
      spawnSync(process.execPath, [join(ROOT, "bin/lkr.mjs"), "incidents", "--table", "t"], {
        // No credentials anywhere (not even a developer's ~/.aws): lkr answers with its own one-line error.
        env: {
          PATH: process.env.PATH,
          AWS_REGION: "us-east-1",
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_SHARED_CREDENTIALS_FILE: join(ROOT, "no-such-credentials"),
          AWS_CONFIG_FILE: join(ROOT, "no-such-config"),
          ...extra,
        },
        encoding: "utf8",
      });
    const quiet = run({});
    expect(quiet.status).toBe(5);
    expect(quiet.stderr).toMatch(/^lkr: No AWS credentials found\.[^\n]*\n$/);
    if (Number(process.versions.node.split(".")[0]) < 22) {
      expect(run({ [SDK_NODE_VERSION_WARNING_OPT_OUT]: "false" }).stderr).toContain(
        "NodeVersionSupportWarning",
      );
    }
  }, 60_000);
});

describe("dead letters", () => {
  it("says what a Lambda dead letter is about and why it failed", () => {
    const body = JSON.stringify({ id: "e-1", source: "aws.guardduty", "detail-type": "GuardDuty Finding" });
    expect(
      summarizeDeadLetter(body, { ErrorCode: "200", ErrorMessage: "Task timed out", RequestID: "r" }),
    ).toEqual({
      source: "aws.guardduty",
      detailType: "GuardDuty Finding",
      eventId: "e-1",
      error: "200: Task timed out",
    });
  });

  it("reads EventBridge's target-DLQ attributes, and a body that is not JSON", () => {
    expect(summarizeDeadLetter("not json", { ERROR_CODE: "SDK_CLIENT_ERROR" })).toEqual({
      source: "(not JSON)",
      detailType: undefined,
      eventId: undefined,
      error: "SDK_CLIENT_ERROR",
    });
    expect(summarizeDeadLetter("{}", {}).error).toBeUndefined();
  });

  it("says what the webhook forwarder's dead letter is: the SNS event Lambda kept as is (topic message id, subject)", () => {
    // The SNS event Lambda's documentation shows for an SNS-triggered function ("Using Lambda with Amazon SNS").
    const body = JSON.stringify({
      Records: [
        {
          EventVersion: "1.0",
          EventSubscriptionArn:
            "arn:aws:sns:us-east-1:123456789012:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486",
          EventSource: "aws:sns",
          Sns: {
            SignatureVersion: "1",
            Timestamp: "2019-01-02T12:45:07.000Z",
            Signature: "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
            SigningCertUrl:
              "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem",
            MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            Message: "Hello from SNS!",
            MessageAttributes: {},
            Type: "Notification",
            UnsubscribeUrl: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            TopicArn: "arn:aws:sns:us-east-1:123456789012:sns-lambda",
            Subject: "TestInvoke",
          },
        },
      ],
    });
    expect(summarizeDeadLetter(body, { ErrorCode: "200", ErrorMessage: "webhook answered 500" })).toEqual({
      source: "aws:sns",
      detailType: "TestInvoke",
      eventId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
      error: "200: webhook answered 500",
    });
  });

  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  it("redrives to a function with an asynchronous invoke of the body, as EventBridge invoked it", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await invokeAsync(new LambdaClient({ region: "us-east-1" }), "investigate", '{"id":"e-1"}');
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call?.args[0].input).toEqual({
      FunctionName: "investigate",
      InvocationType: "Event",
      Payload: new TextEncoder().encode('{"id":"e-1"}'),
    });
  });

  it("fails when Lambda did not queue the invocation", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 500 });
    await expect(invokeAsync(new LambdaClient({ region: "us-east-1" }), "f", "{}")).rejects.toThrow(
      "lambda:InvokeFunction failed: StatusCode500",
    );
  });
});
