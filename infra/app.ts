import { App } from "aws-cdk-lib";
import { BUNDLING_STACKS } from "aws-cdk-lib/cx-api";
import { requireAlertSubscriber } from "./alert-subscribers.js";
import { exitOnConfigProblems } from "./config-problems.js";
import { centralBusName, forwarderRoleName } from "./org-intake.js";
import { centralBusArnIn, ForwarderStack } from "./org-stacks.js";
import { collectAppSettings, unknownSettingProblems } from "./settings.js";
import { DEFAULT_HOME_REGION, LeakedKeyResponderStack } from "./stack.js";

// Synthesized below, once: after a configuration error there is nothing to synthesize at exit.
const app = new App({ autoSynth: false });
exitOnConfigProblems((problems) => {
  const { settings, problems: settingProblems } = collectAppSettings(
    (key) => app.node.tryGetContext(key),
    process.env,
  );
  problems.push(
    ...unknownSettingProblems(Object.keys(app.node.getAllContext()), process.env),
    ...settingProblems,
  );
  // Settings already wrong: check the constructs too, but bundle no function code for nothing.
  if (!problems.isEmpty()) app.node.setContext(BUNDLING_STACKS, []);
  const homeRegion = settings.homeRegion ?? DEFAULT_HOME_REGION;
  const account = settings.organization?.centralAccountId ?? process.env.CDK_DEFAULT_ACCOUNT;
  const stack = problems.build(() => {
    const central = new LeakedKeyResponderStack(app, settings.stackName, {
      env: { account, region: homeRegion },
      allowNonDefaultHomeRegion: settings.allowNonDefaultHomeRegion,
      responder: settings.responder,
      organization: settings.organization,
      forwardRegions: settings.forwardRegions,
      webhook: settings.webhook,
      description: "leaked-key-responder: contains leaked AWS access keys within seconds",
    });
    // One forwarder stack per other region of the central account (Organization) or of the single account.
    for (const region of settings.organization?.forwardRegions ?? settings.forwardRegions ?? []) {
      if (region === homeRegion) continue;
      new ForwarderStack(app, `${settings.stackName}-Forwarder-${region}`, {
        env: { account, region },
        centralBusArn: centralBusArnIn(homeRegion, centralBusName(settings.stackName)),
        honeyKeyPath: settings.responder.honeyKeyPath,
        roleName: forwarderRoleName(settings.stackName, region),
        description: `leaked-key-responder: forwards ${region} signals to the central bus in ${homeRegion}`,
      });
    }
    return central;
  });
  if (stack !== undefined && !settings.allowNoSubscribers)
    requireAlertSubscriber(stack.responder.alertTopic, stack.responder.chatTopic);
  problems.throwIfAny();
  app.synth();
});
