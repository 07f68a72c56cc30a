import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "leaked-key-responder";

/**
 * The version in this package's package.json: the nearest one up from this file that is ours
 * (cli/ in the repo, dist/cli/ in the installed package); undefined when none above is ours.
 */
function findPackageVersion(from: string): string | undefined {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === "string") return pkg.version;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The version in this package's package.json (see findPackageVersion); throws when none above `from` is ours. */
export function packageVersion(from: string = fileURLToPath(import.meta.url)): string {
  const version = findPackageVersion(from);
  if (version === undefined) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
  return version;
}

/** The version for `lkr --version`: the same lookup from a directory, "unknown" when no package.json of ours is above it. */
export function lkrVersion(fromDir: string = dirname(fileURLToPath(import.meta.url))): string {
  return findPackageVersion(join(fromDir, "version.js")) ?? "unknown";
}
