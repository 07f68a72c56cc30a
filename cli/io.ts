import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Everything lkr touches outside AWS, so tests and the local drill can run it in-process. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Answers a yes/no question; undefined when there is no terminal to ask in. */
  readonly ask: ((question: string) => Promise<string>) | undefined;
  /** stderr is a terminal: progress redraws one line instead of printing one per change. */
  readonly progressInPlace: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Random hex for drill ids. */
  readonly random: () => string;
  /** Width of the terminal stdout writes to; undefined when it is not a terminal (tables keep every character). */
  readonly columns?: number | undefined;
  /** Colour output: stdout is a terminal, and NO_COLOR is not set (https://no-color.org). */
  readonly color?: boolean;
}

/** Colour on a terminal only, never with NO_COLOR (any non-empty value) or TERM=dumb. */
export function colorWanted(isTty: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTty && !env.NO_COLOR && env.TERM !== "dumb";
}

export function processIo(): Io {
  const interactive = process.stdin.isTTY === true;
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    ask: interactive
      ? async (question) => {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            return await rl.question(question);
          } finally {
            rl.close();
          }
        }
      : undefined,
    progressInPlace: process.stderr.isTTY === true,
    env: process.env,
    now: () => new Date(),
    sleep: (ms) => sleep(ms).then(() => undefined),
    random: () => randomBytes(4).toString("hex"),
    columns: process.stdout.isTTY === true ? process.stdout.columns : undefined,
    color: colorWanted(process.stdout.isTTY === true, process.env),
  };
}

export function println(io: Io, text = ""): void {
  io.stdout(`${text}\n`);
}

export function eprintln(io: Io, text = ""): void {
  io.stderr(`${text}\n`);
}

/** An Io whose output is kept, with what it captured. */
export interface CapturedIo {
  readonly io: Io;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/**
 * An Io for running lkr in-process (the local drill, the tests): no terminal, no environment,
 * stdout and stderr captured; any part can be replaced.
 */
export function capturedIo(overrides: Partial<Io> = {}): CapturedIo {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      ask: undefined,
      progressInPlace: false,
      env: {},
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: () => Math.random().toString(16).slice(2, 10),
      ...overrides,
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
