import { App } from "aws-cdk-lib";
import { BUNDLING_STACKS } from "aws-cdk-lib/cx-api";
import { requireAlertSubscriber } from "./alert-subscribers.js";
import { exitOnConfigProblems } from "./config-problems.js";
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
  const stack = problems.build(
    () =>
      new LeakedKeyResponderStack(app, settings.stackName, {
        env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: settings.homeRegion ?? DEFAULT_HOME_REGION },
        allowNonDefaultHomeRegion: settings.allowNonDefaultHomeRegion,
        responder: settings.responder,
        description: "leaked-key-responder: contains leaked AWS access keys within seconds",
      }),
  );
  if (stack !== undefined && !settings.allowNoSubscribers) requireAlertSubscriber(stack.responder.alertTopic);
  problems.throwIfAny();
  app.synth();
});
