/**
 * npm run bench:org — the Organization deployment at scale: for 1, 50 and 500 member accounts (an
 * alert route each, where they fit) and the 17 regions enabled by default, the time `cdk synth`
 * takes (in-process, bundling skipped: esbuild's time does not depend on the Organization) and the
 * size of every template against its CloudFormation limit. Member accounts are reached through OUs
 * (the StackSet deploys the same template to each), so the templates do not grow with them; only
 * account-by-account alert routes do, and the respond function's 4 KB environment caps those.
 * Two StackSet bodies: the member stack (us-east-1) and the member regional forwarder (the other 16).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { centralBusName, forwarderRoleName } from "../infra/org-intake.js";
import { centralBusArnIn, ForwarderStack } from "../infra/org-stacks.js";
import type { OrganizationSettings } from "../infra/organization.js";
import { LeakedKeyResponderStack } from "../infra/stack.js";
import { MAX_ALERT_ROUTES_LENGTH } from "../lambdas/core/alert-routes.js";

/** The 17 regions every account has enabled by default. */
const REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "sa-east-1",
];
/** CloudFormation: a template body passed inline (the StackSet's TemplateBody) and one uploaded to S3 (cdk deploy). */
const INLINE_LIMIT = 51_200;
const S3_LIMIT = 1_000_000;
const ACCOUNT = "111122223333";

function synth(members: number) {
  const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:team-alerts`;
  const routes = Array.from({ length: members }, (_, i) => ({
    match: String(200000000000 + i),
    topicArn: topic,
  }));
  const routesFit = routes.map((r) => `${r.match}=${r.topicArn}`).join(",").length <= MAX_ALERT_ROUTES_LENGTH;
  const org: OrganizationSettings = {
    organizationId: "o-a1b2c3d4e5",
    memberOrganizationalUnitIds: ["ou-ab12-cdef3456"],
    forwardRegions: REGIONS,
    memberRoleName: "LeakedKeyResponderMember",
    ...(routesFit ? { alertRoutes: routes } : {}),
  };
  const started = performance.now();
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [] },
    outdir: mkdtempSync(join(tmpdir(), "lkr-org-bench-")),
  });
  new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
    env: { account: ACCOUNT, region: "us-east-1" },
    organization: org,
  });
  for (const region of REGIONS.filter((r) => r !== "us-east-1")) {
    new ForwarderStack(app, `LeakedKeyResponder-Forwarder-${region}`, {
      env: { account: ACCOUNT, region },
      centralBusArn: centralBusArnIn("us-east-1", centralBusName("LeakedKeyResponder")),
      roleName: forwarderRoleName("LeakedKeyResponder", region),
    });
  }
  const assembly = app.synth();
  const ms = performance.now() - started;
  const sizes = assembly.stacks.map((s) => ({ name: s.stackName, bytes: JSON.stringify(s.template).length }));
  const central = assembly.stacks.find((s) => s.stackName === "LeakedKeyResponder");
  const resources = (
    (central?.template ?? {}) as {
      Resources?: Record<string, { Type: string; Properties: { TemplateBody?: string } }>;
    }
  ).Resources;
  const stackSets = Object.values(resources ?? {}).filter((r) => r.Type === "AWS::CloudFormation::StackSet");
  return {
    ms,
    sizes,
    memberBytes: stackSets[0]?.Properties.TemplateBody?.length ?? 0,
    memberRegionalBytes: stackSets[1]?.Properties.TemplateBody?.length ?? 0,
    routesFit,
    stacks: assembly.stacks.length,
  };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
synth(1); // warm-up: module loading and CDK's first-use caches
console.log(
  `Organization deployment, ${REGIONS.length} regions (1 central + ${REGIONS.length - 1} forwarder stacks)\n`,
);
console.log(
  "members  synth    stacks  central           forwarder (max)   member (StackSet body)  member regional (body)  per-account routes",
);
for (const members of [1, 50, 500]) {
  const r = synth(members);
  const central = r.sizes.find((s) => s.name === "LeakedKeyResponder")?.bytes ?? 0;
  const forwarder = Math.max(...r.sizes.filter((s) => s.name !== "LeakedKeyResponder").map((s) => s.bytes));
  console.log(
    [
      String(members).padEnd(8),
      `${r.ms.toFixed(0)} ms`.padEnd(8),
      String(r.stacks).padEnd(7),
      `${kb(central)} / ${kb(S3_LIMIT)}`.padEnd(21),
      kb(forwarder).padEnd(17),
      `${kb(r.memberBytes)} / ${kb(INLINE_LIMIT)}`.padEnd(23),
      `${kb(r.memberRegionalBytes)} / ${kb(INLINE_LIMIT)}`.padEnd(23),
      r.routesFit ? "in ALERT_ROUTES" : `too many for 4 KB: route by OU or tag`,
    ].join(" "),
  );
}
