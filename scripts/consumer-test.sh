#!/usr/bin/env bash
# Consumer test: the package as a user gets it. Packs the tarball (prepack builds it), installs it
# into two fresh CDK apps in a temporary directory (TypeScript compiled with tsc, and plain ESM
# JavaScript), synthesizes both with the network unreachable, checks what they wrote, and runs the
# installed `lkr --version`. Exactly what README.md "Use it from your CDK app" shows.
#
# Versions installed beside the package default to the repo's own (node_modules); override with
# CONSUMER_AWS_CDK_LIB, CONSUMER_CONSTRUCTS, CONSUMER_AWS_CDK, CONSUMER_TYPESCRIPT, CONSUMER_TYPES_NODE
# (e.g. CONSUMER_AWS_CDK_LIB=2.200.0 to try an older peer). KEEP_CONSUMER=1 keeps the directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lkr-consumer-XXXXXX")"
if [ "${KEEP_CONSUMER:-}" = 1 ]; then echo "consumer apps in $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

version_of() { node -p "require('$ROOT/node_modules/$1/package.json').version"; }
CDK_LIB="${CONSUMER_AWS_CDK_LIB:-$(version_of aws-cdk-lib)}"
CONSTRUCTS="${CONSUMER_CONSTRUCTS:-$(version_of constructs)}"
CDK_CLI="${CONSUMER_AWS_CDK:-$(version_of aws-cdk)}"
TYPESCRIPT="${CONSUMER_TYPESCRIPT:-$(version_of typescript)}"
TYPES_NODE="${CONSUMER_TYPES_NODE:-$(version_of @types/node)}"
VERSION="$(node -p "require('$ROOT/package.json').version")"
TIMINGS=()

now() { date +%s.%N; }
# step NAME COMMAND...: runs the command, records how long it took.
step() {
  local name="$1" start
  shift
  echo "--- $name"
  start="$(now)"
  "$@"
  TIMINGS+=("$(awk -v n="$name" -v a="$start" -v b="$(now)" 'BEGIN { printf "%-34s %6.1f s", n, b - a }')")
}
fail() {
  echo "consumer test: $*" >&2
  exit 1
}

# --- the tarball
pack() {
  (cd "$ROOT" && npm pack --pack-destination "$WORK" --json >"$WORK/pack.json")
  node -e '
    const [r] = require(process.argv[1]);
    console.log(`${r.filename}: ${(r.size / 1e6).toFixed(2)} MB packed, ${(r.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${r.entryCount} files`);
  ' "$WORK/pack.json"
}
step "npm pack (build included)" pack
TARBALL="$(ls "$WORK"/leaked-key-responder-*.tgz)"

# npm install in an app directory, from the registry (or npm's cache) plus the tarball.
install_app() {
  local dir="$1"
  shift
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$TARBALL" "aws-cdk-lib@$CDK_LIB" "constructs@$CONSTRUCTS" &&
    npm install --no-audit --no-fund --loglevel=error --save-dev "aws-cdk@$CDK_CLI" "$@")
}

# cdk synth with no credentials, no account and every network request refused.
synth() {
  (cd "$1" && env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
    AWS_EC2_METADATA_DISABLED=true HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
    npx cdk synth --quiet --no-notices --no-version-reporting)
}

# What a synthesized stack must hold: the prebuilt bundles as Lambda code (no bundling in the
# consumer), and the outputs lkr --stack reads.
check_template() {
  node --input-type=module -e '
    import { existsSync, readdirSync, readFileSync } from "node:fs";
    import { join } from "node:path";
    const [dir, stack] = process.argv.slice(1);
    const out = join(dir, "cdk.out");
    const template = JSON.parse(readFileSync(join(out, `${stack}.template.json`), "utf8"));
    const assets = JSON.parse(readFileSync(join(out, `${stack}.assets.json`), "utf8")).files;
    const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function");
    const ours = functions.filter((f) => f.Properties.Handler === "index.handler");
    // respond, investigate, audit, the role-session revoker, the honey key check (no webhook forwarder: not configured)
    if (ours.length !== 5) throw new Error(`${stack}: ${ours.length} responder functions, expected 5`);
    const shipped = join(dir, "node_modules", "leaked-key-responder", "dist", "lambda");
    const prebuilt = new Set(readdirSync(shipped).map((h) => readFileSync(join(shipped, h, "index.mjs"), "latin1")));
    for (const fn of ours) {
      const key = fn.Properties.Code.S3Key.replace(/\.zip$/, "");
      const source = assets[key]?.source.path;
      const code = source && join(out, source, "index.mjs");
      if (!code || !existsSync(code)) throw new Error(`${stack}: no index.mjs in asset ${key}`);
      if (!prebuilt.has(readFileSync(code, "latin1"))) throw new Error(`${stack}: asset ${key} is not a prebuilt bundle`);
    }
    const outputs = ["IncidentTableName", "AlertTopicArn", "RespondFunctionName", "DeadLetterQueueUrl", "EventBusName"];
    const missing = outputs.filter((o) => !template.Outputs?.[o]);
    if (missing.length > 0) throw new Error(`${stack}: no output ${missing.join(", ")}`);
    console.log(`${stack}: ${ours.length} functions from the prebuilt bundles, outputs ${outputs.join(" ")}`);
  ' "$@"
}

# --- a TypeScript CDK app, compiled with tsc
TS_APP="$WORK/ts-app"
mkdir -p "$TS_APP/bin"
cat >"$TS_APP/package.json" <<'EOF'
{ "name": "my-security", "private": true, "type": "module" }
EOF
cat >"$TS_APP/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "ESNext.Disposable"],
    "types": ["node"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "outDir": "build",
    "rootDir": "bin"
  },
  "include": ["bin"]
}
EOF
cat >"$TS_APP/bin/app.ts" <<'EOF'
import { App, Stack } from "aws-cdk-lib";
import { LeakedKeyResponder } from "leaked-key-responder";

const app = new App();
const stack = new Stack(app, "MySecurity", { env: { region: "us-east-1" } });
new LeakedKeyResponder(stack, "LeakedKeyResponder", {
  notificationEmails: ["secops@example.com"],
});
EOF
cat >"$TS_APP/cdk.json" <<'EOF'
{ "app": "node build/app.js" }
EOF
# The issue's contract, literally: both names from the package root, typed.
cat >"$TS_APP/bin/contract.ts" <<'EOF'
import { LeakedKeyResponder, LeakedKeyResponderStack } from "leaked-key-responder";

const classes: [typeof LeakedKeyResponder, typeof LeakedKeyResponderStack] = [
  LeakedKeyResponder,
  LeakedKeyResponderStack,
];
console.log(classes.map((c) => c.name).join(" "));
EOF
step "npm install (TypeScript app)" install_app "$TS_APP" "typescript@$TYPESCRIPT" "@types/node@$TYPES_NODE"
step "tsc (TypeScript app)" bash -c "cd '$TS_APP' && npx tsc -p ."
[ "$(cd "$TS_APP" && node build/contract.js)" = "LeakedKeyResponder LeakedKeyResponderStack" ] ||
  fail "tsc-compiled TypeScript cannot import both classes from the package root"
step "cdk synth (TypeScript app)" synth "$TS_APP"
check_template "$TS_APP" MySecurity

# --- a plain ESM JavaScript CDK app
JS_APP="$WORK/js-app"
mkdir -p "$JS_APP"
cat >"$JS_APP/package.json" <<'EOF'
{ "name": "my-security-js", "private": true, "type": "module" }
EOF
cat >"$JS_APP/app.js" <<'EOF'
import { App } from "aws-cdk-lib";
import { LeakedKeyResponderStack } from "leaked-key-responder";

const app = new App();
new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
  env: { region: "us-east-1" },
  responder: { notificationEmails: ["secops@example.com"] },
});
EOF
cat >"$JS_APP/cdk.json" <<'EOF'
{ "app": "node app.js" }
EOF
step "npm install (JavaScript app)" install_app "$JS_APP"
[ "$(cd "$JS_APP" && node --input-type=module -e 'import { LeakedKeyResponder, LeakedKeyResponderStack } from "leaked-key-responder"; console.log(LeakedKeyResponder.name, LeakedKeyResponderStack.name)')" = "LeakedKeyResponder LeakedKeyResponderStack" ] ||
  fail "plain ESM JavaScript cannot import both classes from the package root"
step "cdk synth (JavaScript app)" synth "$JS_APP"
check_template "$JS_APP" LeakedKeyResponder

# --- the CLI from the installed package: no tsx, no esbuild, no TypeScript sources
for unwanted in tsx esbuild; do
  [ ! -e "$JS_APP/node_modules/$unwanted" ] || fail "the package pulled in $unwanted"
done
lkr_version() {
  local lkr leaked
  lkr="$(cd "$JS_APP" && npx lkr --version)"
  leaked="$(cd "$JS_APP" && npx leaked-key-responder --version)"
  echo "$lkr / $leaked"
  [ "$lkr" = "$VERSION" ] && [ "$leaked" = "$VERSION" ] || fail "lkr --version printed '$lkr' / '$leaked'"
}
step "lkr --version (installed bin)" lkr_version

echo "--- consumer test passed (aws-cdk-lib $CDK_LIB, constructs $CONSTRUCTS, aws-cdk $CDK_CLI, typescript $TYPESCRIPT)"
printf '%s\n' "${TIMINGS[@]}"
