#!/usr/bin/env node
// The operator CLI (bins `lkr` and `leaked-key-responder`). From the installed package it runs the
// compiled dist/cli; in the repo (TypeScript sources, no build step) tsx compiles them on the fly.
import { existsSync } from "node:fs";

const source = new URL("../cli/main.ts", import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import("../dist/cli/main.js"));
}
process.exitCode = await main(process.argv.slice(2));
