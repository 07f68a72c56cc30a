/**
 * The AWS SDK's documented opt-out of its Node.js version notice
 * (`emitWarningIfUnsupportedVersion` in @aws-sdk/core: `NodeVersionSupportWarning`, nine lines on
 * stderr above every lkr answer on Node 20). Only that notice: other warnings still print.
 */
export const SDK_NODE_VERSION_WARNING_OPT_OUT = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** Turns the notice off unless the operator set the variable themselves (to "false", say). */
export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env[SDK_NODE_VERSION_WARNING_OPT_OUT] ??= "true";
}
