import { App } from "aws-cdk-lib";
import { readAppSettings } from "./settings.js";
import { DEFAULT_HOME_REGION, LeakedKeyResponderStack } from "./stack.js";

const app = new App();
const settings = readAppSettings((key) => app.node.tryGetContext(key), process.env);
new LeakedKeyResponderStack(app, settings.stackName, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: settings.homeRegion ?? DEFAULT_HOME_REGION },
  allowNonDefaultHomeRegion: settings.allowNonDefaultHomeRegion,
  responder: settings.responder,
  description: "leaked-key-responder: contains leaked AWS access keys within seconds",
});
app.synth();
