import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { capturedIo } from "../../cli/io.js";
import { main } from "../../cli/main.js";
import { packageVersion } from "../../cli/version.js";
import pkg from "../../package.json" with { type: "json" };

describe("lkr --version", () => {
  it("prints the package's version and exits 0, touching no AWS", async () => {
    const run = capturedIo();
    expect(await main(["--version"], { io: run.io })).toBe(0);
    expect(run.stdout()).toBe(`${pkg.version}\n`);
    expect(run.stderr()).toBe("");
  });

  it("reads the nearest package.json that is ours, skipping any other on the way up (dist/cli in the package)", () => {
    const root = mkdtempSync(join(tmpdir(), "lkr-version-"));
    writeFileSync(
      join(root, "package.json"),
      JSON.stringify({ name: "leaked-key-responder", version: "0.9.1" }),
    );
    mkdirSync(join(root, "dist", "cli"), { recursive: true });
    writeFileSync(join(root, "dist", "package.json"), JSON.stringify({ type: "module" }));
    expect(packageVersion(join(root, "dist", "cli", "version.js"))).toBe("0.9.1");
  });

  it("fails naming the package when there is no package.json of ours above", () => {
    const root = mkdtempSync(join(tmpdir(), "lkr-version-"));
    expect(() => packageVersion(join(root, "cli", "version.js"))).toThrow(
      /no package.json of leaked-key-responder above/,
    );
  });
});
