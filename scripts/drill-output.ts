/**
 * What every local drill shares (`npm start`, `npm run drill:honey` and their stages): numbered
 * headings, `ok` / `FAIL` checks that collect what failed, output indented under the command that
 * printed it, lkr run in-process against the emulator, and the run around a drill — moto_server
 * up, the drill, moto_server down, exit code 1 naming every failed check.
 */
import { capturedIo } from "../cli/io.js";
import { main as lkrMain } from "../cli/main.js";
import { MOTO_INSTALL_HINT, type MotoServer, startMoto } from "../local/moto-server.js";
import { REGION, type World } from "../local/world.js";

/** How a drill (or one of its stages) prints and checks. */
export interface DrillOutput {
  readonly say: (text?: string) => void;
  readonly heading: (n: number, text: string) => void;
  readonly check: (ok: boolean, what: string) => void;
}

/** A drill's printer, with the checks that failed so far. */
export interface Drill extends DrillOutput {
  readonly indent: (text: string, prefix?: string) => string;
  readonly failures: string[];
}

/** A printer writing to stdout, collecting failed checks in `failures`. */
export function drillOutput(): Drill {
  const failures: string[] = [];
  const say = (text = ""): void => {
    process.stdout.write(`${text}\n`);
  };
  return {
    failures,
    say,
    heading: (n, text) => {
      say();
      say(`${n}. ${text}`);
    },
    check: (ok, what) => {
      say(`   ${ok ? "ok  " : "FAIL"} ${what}`);
      if (!ok) failures.push(what);
    },
    indent: (text, prefix = "   │ ") =>
      text
        .trimEnd()
        .split("\n")
        .map((line) => `${prefix}${line}`)
        .join("\n"),
  };
}

/** How to run lkr: its environment, the endpoint (else the one `useMoto` set), and whether to print its output. */
export interface LkrOptions {
  readonly env?: Record<string, string>;
  readonly endpoint?: string;
  readonly quiet?: boolean;
}

/**
 * lkr, in-process, against the emulator: the same main() that bin/lkr.mjs runs, with the world's
 * table, topic and region. Prints the command line, then (unless quiet) what lkr printed.
 */
export async function drillLkr(
  out: Drill,
  args: readonly string[],
  world: World,
  options: LkrOptions = {},
): Promise<{ code: number; stdout: string }> {
  out.say(`   $ lkr ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")}`);
  let printed = "";
  let stdout = "";
  const { io } = capturedIo({
    env: options.env ?? {},
    stdout: (t) => {
      printed += t;
      stdout += t;
    },
    stderr: (t) => {
      printed += t;
    },
  });
  const code = await lkrMain(
    [
      ...args,
      "--table",
      world.tableName,
      "--topic",
      world.topicArn,
      "--region",
      REGION,
      ...(options.endpoint ? ["--endpoint-url", options.endpoint] : []),
    ],
    { io },
  );
  if (!options.quiet) out.say(out.indent(printed));
  return { code, stdout };
}

/**
 * Starts moto_server, runs the drill, stops moto_server; 0 only if every check held. A drill that
 * throws is a failure too. `title` names the drill in the last line ("Local drill passed.").
 */
export async function runDrill(
  title: string,
  out: Drill,
  drill: (moto: MotoServer) => Promise<void>,
): Promise<number> {
  let moto: MotoServer;
  try {
    moto = await startMoto();
  } catch (error) {
    if (error instanceof Error && error.message === MOTO_INSTALL_HINT) {
      process.stderr.write(`${MOTO_INSTALL_HINT}\n`);
      return 1;
    }
    throw error;
  }
  try {
    await drill(moto);
  } catch (error) {
    out.failures.push(
      `the drill stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    await moto.stop();
  }
  if (out.failures.length > 0) {
    process.stderr.write(
      `\n${title.toUpperCase()} FAILED:\n${out.failures.map((f) => `  - ${f}`).join("\n")}\n`,
    );
    return 1;
  }
  out.say(`${title} passed.`);
  return 0;
}
