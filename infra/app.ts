import { App } from "aws-cdk-lib";
import { centralBusName } from "./org-intake.js";
import { centralBusArnIn, ForwarderStack } from "./org-stacks.js";
import { readAppSettings } from "./settings.js";
import { DEFAULT_HOME_REGION, LeakedKeyResponderStack } from "./stack.js";

const app = new App();
const settings = readAppSettings((key) => app.node.tryGetContext(key), process.env);
const homeRegion = settings.homeRegion ?? DEFAULT_HOME_REGION;
const account = settings.organization?.centralAccountId ?? process.env.CDK_DEFAULT_ACCOUNT;
new LeakedKeyResponderStack(app, settings.stackName, {
  env: { account, region: homeRegion },
  allowNonDefaultHomeRegion: settings.allowNonDefaultHomeRegion,
  responder: settings.responder,
  organization: settings.organization,
  description: "leaked-key-responder: contains leaked AWS access keys within seconds",
});
// The Organization deployment: one forwarder stack per other region of the central account.
for (const region of settings.organization?.forwardRegions ?? []) {
  if (region === homeRegion) continue;
  new ForwarderStack(app, `${settings.stackName}-Forwarder-${region}`, {
    env: { account, region },
    centralBusArn: centralBusArnIn(homeRegion, centralBusName(settings.stackName)),
    description: `leaked-key-responder: forwards ${region} signals to the central bus in ${homeRegion}`,
  });
}
app.synth();
