import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** Packages the pure core may import: zod only. */
const CORE_PACKAGES = new Set(["zod", "zod/mini"]);
/** Top-level folders no function code may import: they are built, run or tested around it. */
const OUTSIDE_FUNCTIONS = ["infra/", "cli/", "test/", "scripts/", "bench/"];

// An import/export clause is identifiers, braces, commas, `*`, `as` and `type`: this never
// matches `export function f(...)` or `export const x = ...`.
const STATIC_IMPORT = /^[ \t]*(?:import|export)\s+(?:[\w$*{},\s]+?\s+from\s*)?["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g;

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function importsOf(source: string): string[] {
  return [...source.matchAll(STATIC_IMPORT), ...source.matchAll(DYNAMIC_IMPORT)].map((m) => m[1] as string);
}

/** Where a specifier points: a repo-relative path for a relative one, else the package name as written. */
function targetOf(file: string, specifier: string): { path: string } | { pkg: string } {
  if (!specifier.startsWith(".")) return { pkg: specifier };
  return { path: posix.normalize(posix.join(posix.dirname(file), specifier)) };
}

/** The rule a file's import breaks, if any; `file` is repo-relative with `/` separators. */
function ruleBroken(file: string, specifier: string): string | undefined {
  const target = targetOf(file, specifier);
  if ("path" in target && OUTSIDE_FUNCTIONS.some((dir) => target.path.startsWith(dir))) {
    return "function code imports infra, cli, test, scripts or bench";
  }
  if (file.startsWith("lambdas/core/")) {
    if ("pkg" in target && !CORE_PACKAGES.has(target.pkg)) return "core imports a package other than zod";
    if ("path" in target && !target.path.startsWith("lambdas/core/"))
      return "core imports outside lambdas/core";
  }
  if (
    file.startsWith("lambdas/adapters/") &&
    "path" in target &&
    target.path.startsWith("lambdas/handlers/")
  ) {
    return "an adapter imports a handler";
  }
  return undefined;
}

/** Every import breaking the layering, as `file -> specifier (rule)`. */
function importViolations(files: readonly { file: string; source: string }[]): string[] {
  return files.flatMap(({ file, source }) =>
    importsOf(source).flatMap((specifier) => {
      const rule = ruleBroken(file, specifier);
      return rule ? [`${file} -> ${specifier} (${rule})`] : [];
    }),
  );
}

function tsFilesUnder(dir: string): { file: string; source: string }[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => {
      const file = relative(ROOT, join(ROOT, dir, name))
        .split(sep)
        .join("/");
      return { file, source: readFileSync(join(ROOT, file), "utf8") };
    });
}

describe("import rules of lambdas/", () => {
  const files = tsFilesUnder("lambdas");

  it("scans every .ts file of core, adapters and handlers, and finds their imports", () => {
    for (const dir of ["lambdas/core/", "lambdas/adapters/", "lambdas/handlers/"]) {
      expect(files.filter(({ file }) => file.startsWith(dir)).length).toBeGreaterThan(0);
    }
    const imports = files.flatMap(({ source }) => importsOf(source));
    expect(imports).toContain("zod/mini");
    expect(imports).toContain("@aws-sdk/client-iam");
    expect(imports.length).toBeGreaterThan(files.length);
  });

  it("has no file breaking them: core imports only core and zod, adapters no handler, nothing infra, cli, test, scripts or bench", () => {
    expect(importViolations(files)).toEqual([]);
  });
});

describe("the import checker", () => {
  it("reads static, type-only, multi-line, side-effect, re-export and dynamic imports", () => {
    const source = [
      'import * as z from "zod/mini";',
      'import type { A } from "./a.js";',
      "import {",
      "  b,",
      "  type C,",
      '} from "./b.js";',
      'import "./side-effect.js";',
      'export { d } from "./d.js";',
      'export * from "./e.js";',
      '/** Not an import: it only mentions from "./comment.js". */',
      'export const f = "from ./string.js";',
      'export function g() { return import("./lazy.js"); }',
    ].join("\n");
    expect(importsOf(source)).toEqual([
      "zod/mini",
      "./a.js",
      "./b.js",
      "./side-effect.js",
      "./d.js",
      "./e.js",
      "./lazy.js",
    ]);
  });

  it("flags every kind of violation, and nothing in a file that keeps the rules", () => {
    const violations = importViolations([
      { file: "lambdas/core/plan.ts", source: 'import { IAMClient } from "@aws-sdk/client-iam";' },
      { file: "lambdas/core/clock.ts", source: 'import { randomUUID } from "node:crypto";' },
      { file: "lambdas/core/sources/x.ts", source: 'import { call } from "../../adapters/aws-errors.js";' },
      { file: "lambdas/core/y.ts", source: 'import type { AppSettings } from "../../infra/settings.js";' },
      { file: "lambdas/adapters/iam.ts", source: 'import { handler } from "../handlers/respond.js";' },
      { file: "lambdas/adapters/sns.ts", source: 'import { world } from "../../test/support/world.js";' },
      {
        file: "lambdas/handlers/respond.ts",
        source: 'const m = await import("../../scripts/local-drill.js");',
      },
      {
        file: "lambdas/core/ok.ts",
        source: 'import * as z from "zod";\nimport { x } from "./sources/x.js";\nimport "zod/mini";',
      },
      {
        file: "lambdas/adapters/ok.ts",
        source: 'import { plan } from "../core/plan.js";\nimport "@aws-sdk/client-sns";',
      },
      { file: "lambdas/handlers/ok.ts", source: 'import { IamAdapter } from "../adapters/iam.js";' },
    ]);
    expect(violations).toEqual([
      "lambdas/core/plan.ts -> @aws-sdk/client-iam (core imports a package other than zod)",
      "lambdas/core/clock.ts -> node:crypto (core imports a package other than zod)",
      "lambdas/core/sources/x.ts -> ../../adapters/aws-errors.js (core imports outside lambdas/core)",
      "lambdas/core/y.ts -> ../../infra/settings.js (function code imports infra, cli, test, scripts or bench)",
      "lambdas/adapters/iam.ts -> ../handlers/respond.js (an adapter imports a handler)",
      "lambdas/adapters/sns.ts -> ../../test/support/world.js (function code imports infra, cli, test, scripts or bench)",
      "lambdas/handlers/respond.ts -> ../../scripts/local-drill.js (function code imports infra, cli, test, scripts or bench)",
    ]);
  });
});
