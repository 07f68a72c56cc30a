/**
 * `npm run build` (also run by `npm pack` / `npm publish` through prepack): the installable package
 * in dist/. tsc compiles the construct, the stack and the CLI to ESM JavaScript with .d.ts; esbuild
 * bundles each Lambda handler with the very settings NodejsFunction uses in the repo
 * (infra/function-parts.ts BUNDLING), into dist/lambda/<handler>/, where the compiled construct
 * finds them. A consumer then needs no esbuild, no lock file and no Docker.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { BUNDLE_FILE, BUNDLING, LAMBDA_HANDLERS, PACKAGE_OUT_DIR } from "../infra/function-parts.js";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, PACKAGE_OUT_DIR);
/** dist/infra/function-parts.js looks for its bundles in ../lambda/ (PREBUILT_BUNDLES). */
const BUNDLES = join(OUT, "lambda");

/** Timings go to stderr: `npm pack --json` prints the tarball report on stdout. */
function timed<T>(what: string, run: () => T): T {
  const start = performance.now();
  const result = run();
  console.error(`${what}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

/** One handler, as NodejsFunction's local esbuild would bundle it (see aws-lambda-nodejs Bundling). */
async function bundle(handler: (typeof LAMBDA_HANDLERS)[number]): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "lambdas", "handlers", `${handler}.ts`)],
    outfile: join(BUNDLES, handler, BUNDLE_FILE),
    bundle: true,
    platform: "node",
    format: BUNDLING.format,
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.externalModules],
    banner: { js: BUNDLING.banner },
    logLevel: "warning",
  });
}

rmSync(OUT, { recursive: true, force: true });
timed("tsc (dist/infra, dist/cli, dist/lambdas)", () =>
  execFileSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(ROOT, "tsconfig.build.json")], {
    stdio: "inherit",
  }),
);
const start = performance.now();
await Promise.all(LAMBDA_HANDLERS.map(bundle));
console.error(
  `esbuild (${LAMBDA_HANDLERS.length} handlers → ${PACKAGE_OUT_DIR}/lambda): ${((performance.now() - start) / 1000).toFixed(1)} s`,
);
