import { defineConfig } from "vitest/config";

/**
 * The AWS SDK's documented opt-out of its Node.js version notice (emitWarningIfUnsupportedVersion
 * in @aws-sdk/core), as lkr sets it (cli/sdk-warnings.ts): only that notice, other warnings print.
 */
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          env,
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "infra",
          env,
          include: ["test/infra/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          env,
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // A file that imports a deployed handler module sets the environment it reads at load.
          isolate: true,
        },
      },
    ],
    coverage: {
      provider: "v8",
      include: ["lambdas/**/*.ts"],
      reporter: ["text-summary"],
    },
  },
});
