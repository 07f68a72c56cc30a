import "vitest";
import type { TestProject } from "vitest/node";
import { type MotoServer, startMoto } from "../../local/moto-server.js";
import { IamVisibilityProxy } from "../support/iam-visibility-proxy.js";

let moto: MotoServer | undefined;
let proxy: IamVisibilityProxy | undefined;

/** moto behind the proxy that makes IAM changes visible to concurrent reads as late as AWS does. */
export async function setup(project: TestProject): Promise<void> {
  moto = await startMoto();
  proxy = await new IamVisibilityProxy(moto.endpoint).start();
  project.provide("motoEndpoint", proxy.endpoint);
}

export async function teardown(): Promise<void> {
  await proxy?.stop();
  await moto?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}
