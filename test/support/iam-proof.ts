/**
 * IAM policy proofs over a synthesized CloudFormation template.
 *
 * moto enforces no IAM policy, so what the roles, topic, queue, key, bus and function
 * policies allow is only evidenced here: the template's policies are resolved into
 * concrete documents (intrinsics → ARNs with fixed test account/region/partition) and
 * each request is decided by @cloud-copilot/iam-simulate's evaluation of identity,
 * resource and permissions-boundary policies with their conditions.
 *
 * Test-only: iam-simulate is AGPL-3.0 and a devDependency; product code never imports it.
 */
import { createHash } from "node:crypto";
import { runSimulation, type SimulationIdentityPolicy } from "@cloud-copilot/iam-simulate";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface ProofOptions {
  /** @default "123456789012" */
  readonly account?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  /** @default "aws" */
  readonly partition?: string;
  /** Prefix of generated physical names (`<stackName>-<logicalId>`). @default "LeakedKeyResponder" */
  readonly stackName?: string;
  /** Documents of AWS managed policies the template attaches or uses as a boundary, by ARN. @default {} */
  readonly awsManagedPolicies?: Readonly<Record<string, PolicyDocument>>;
  /** Values of the template's parameters (a StackSet fills them in), before their defaults. @default {} */
  readonly parameters?: Readonly<Record<string, string | readonly string[]>>;
}

export interface ProofRequest {
  /**
   * Who asks: the logical id or ARN of an AWS::IAM::Role in the template (the request
   * then comes from a session of that role, with its identity policies and boundary), a
   * service principal such as `events.amazonaws.com`, or any other principal ARN.
   */
  readonly principal: string;
  readonly action: string;
  /** The resource ARN. */
  readonly resource: string;
  /**
   * Context keys, overriding the defaults (aws:SecureTransport=true, the principal's
   * ARN/account/tags, the resource's template tags). A key that does not apply to the
   * action fails the proof instead of being silently ignored.
   */
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** Identity policies of a principal outside the template (a cross-account caller needs them). @default [] */
  readonly identityPolicies?: readonly SimulationIdentityPolicy[];
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}
type Statement = Record<string, unknown>;

export interface RolePolicies {
  readonly arn: string;
  readonly name: string;
  readonly identityPolicies: SimulationIdentityPolicy[];
  readonly permissionsBoundary: SimulationIdentityPolicy | undefined;
  readonly tags: Record<string, string>;
}

/** Ways to weaken a template's policies, to prove that a proof table can fail. */
export type Weakening =
  /** Remove PermissionsBoundary from every role. */
  | "drop-permissions-boundaries"
  /** Remove every Deny statement from every policy document. */
  | "drop-deny-statements"
  /** Set Resource to "*" in every Allow statement. */
  | "widen-allow-resources"
  /** Remove the conditions of every Allow statement and Lambda permission. */
  | "drop-allow-conditions";

const NO_VALUE = Symbol("AWS::NoValue");
const VERSION = "2012-10-17";

export class PolicyProof {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  private readonly stackName: string;
  private readonly resources: Record<string, CfnResource>;
  private readonly awsManaged: Readonly<Record<string, PolicyDocument>>;
  private readonly parameters: Readonly<Record<string, string | readonly string[]>>;
  private readonly resourcePolicies = new Map<string, { name: string; statements: Statement[] }>();
  private readonly roles = new Map<string, RolePolicies>();

  constructor(
    private readonly template: CfnTemplate,
    options: ProofOptions = {},
  ) {
    this.account = options.account ?? "123456789012";
    this.region = options.region ?? "us-east-1";
    this.partition = options.partition ?? "aws";
    this.stackName = options.stackName ?? "LeakedKeyResponder";
    this.awsManaged = options.awsManagedPolicies ?? {};
    this.parameters = options.parameters ?? {};
    this.resources = Object.fromEntries(
      Object.entries(template.Resources ?? {}).filter(
        ([, r]) => r.Condition === undefined || this.condition(r.Condition),
      ),
    );
    this.collectResourcePolicies();
    for (const id of this.logicalIds("AWS::IAM::Role")) this.roles.set(id, this.collectRole(id));
  }

  /** Logical ids of the resources of a type, in template order. */
  logicalIds(type: string): string[] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  /** The one logical id of the type matching the pattern; throws if none or several match. */
  logicalId(type: string, pattern: RegExp): string {
    const ids = this.logicalIds(type).filter((id) => pattern.test(id));
    if (ids.length !== 1) {
      throw new Error(`expected one ${type} matching ${pattern}, found ${ids.length}: ${ids.join(", ")}`);
    }
    return ids[0] as string;
  }

  /** What `Ref` of the resource resolves to. */
  ref(logicalId: string): string {
    return this.names(logicalId).ref;
  }

  /** What `Fn::GetAtt [logicalId, "Arn"]` resolves to. */
  arn(logicalId: string): string {
    return this.getAtt(logicalId, "Arn");
  }

  /** The resource's properties with every intrinsic resolved. */
  properties(logicalId: string): Record<string, unknown> {
    return this.resolved(this.props(logicalId), {});
  }

  /** The identity policies, boundary and tags of a role in the template. */
  role(logicalId: string): RolePolicies {
    const role = this.roles.get(logicalId);
    if (role === undefined) throw new Error(`${logicalId} is not an AWS::IAM::Role of the template`);
    return role;
  }

  /** The resource policy that governs a resource ARN, if the template gives it one. */
  resourcePolicy(resourceArn: string): PolicyDocument | undefined {
    const found =
      this.resourcePolicies.get(resourceArn) ??
      [...this.resourcePolicies.entries()].find(
        // S3 objects fall under their bucket's policy; qualified Lambda ARNs under the function's.
        ([arn]) => resourceArn.startsWith(`${arn}/`) || resourceArn.startsWith(`${arn}:`),
      )?.[1];
    return found && { Version: VERSION, Statement: found.statements };
  }

  /** The decision AWS would take on the request, by iam-simulate. */
  async decide(request: ProofRequest): Promise<Decision> {
    const simulation = this.simulation(request);
    const result = await runSimulation(simulation, { simulationMode: "Strict" });
    if (result.resultType === "error") {
      throw new Error(
        `iam-simulate rejected ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`,
      );
    }
    const ignored =
      result.resultType === "single"
        ? (result.result.ignoredContextKeys ?? [])
        : result.results.flatMap((r) => r.ignoredContextKeys ?? []);
    const misplaced = Object.keys(request.context ?? {}).filter((k) =>
      ignored.some((i) => i.toLowerCase() === k.toLowerCase()),
    );
    if (misplaced.length > 0) {
      throw new Error(`context keys ${misplaced.join(", ")} do not apply to ${request.action}`);
    }
    return result.overallResult;
  }

  private simulation(request: ProofRequest): Parameters<typeof runSimulation>[0] {
    const role =
      this.roles.get(request.principal) ?? [...this.roles.values()].find((r) => r.arn === request.principal);
    if (role && request.identityPolicies !== undefined) {
      throw new Error(
        `${request.principal} is a role of the template: its identity policies come from there`,
      );
    }
    const isService = role === undefined && /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(request.principal);
    const principal = role
      ? `arn:${this.partition}:sts::${this.account}:assumed-role/${role.name}/proof-session`
      : request.principal;
    const context: Record<string, string | string[]> = { "aws:SecureTransport": "true" };
    if (role) {
      context["aws:PrincipalArn"] = role.arn;
      context["aws:PrincipalAccount"] = this.account;
      context["aws:PrincipalIsAWSService"] = "false";
      for (const [k, v] of Object.entries(role.tags)) context[`aws:PrincipalTag/${k}`] = v;
    } else if (isService) {
      context["aws:PrincipalIsAWSService"] = "true";
      context["aws:PrincipalServiceName"] = request.principal;
    }
    for (const [k, v] of Object.entries(this.tagsOf(request.resource))) context[`aws:ResourceTag/${k}`] = v;
    Object.assign(context, request.context);
    const resourceAccount = request.resource.split(":")[4];
    return {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: resourceAccount || this.account },
        contextVariables: context,
      },
      identityPolicies: role?.identityPolicies ?? [...(request.identityPolicies ?? [])],
      ...(role?.permissionsBoundary && { permissionBoundaryPolicies: [role.permissionsBoundary] }),
      resourcePolicy: this.resourcePolicy(request.resource),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    };
  }

  // ---- roles --------------------------------------------------------------------------

  private collectRole(id: string): RolePolicies {
    const props = this.props(id);
    const name = this.ref(id);
    const identityPolicies: SimulationIdentityPolicy[] = [];
    for (const inline of this.resolved<{ PolicyName: string; PolicyDocument: PolicyDocument }[]>(
      props.Policies,
      [],
    )) {
      identityPolicies.push({ name: `${id}/${inline.PolicyName}`, policy: inline.PolicyDocument });
    }
    for (const [policyId, r] of Object.entries(this.resources)) {
      const p = r.Properties ?? {};
      const attachedTo =
        r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy"
          ? this.resolved<string[]>(p.Roles, [])
          : r.Type === "AWS::IAM::RolePolicy"
            ? [this.resolved<string>(p.RoleName, "")]
            : [];
      if (attachedTo.includes(name)) {
        identityPolicies.push({ name: policyId, policy: this.resolved(p.PolicyDocument, {}) });
      }
    }
    for (const arn of this.resolved<string[]>(props.ManagedPolicyArns, [])) {
      identityPolicies.push({ name: arn, policy: this.managedPolicy(arn, id) });
    }
    const boundaryArn = this.resolved<string | undefined>(props.PermissionsBoundary, undefined);
    return {
      arn: this.arn(id),
      name,
      identityPolicies,
      permissionsBoundary:
        boundaryArn === undefined
          ? undefined
          : { name: boundaryArn, policy: this.managedPolicy(boundaryArn, id) },
      tags: this.tagsOfResource(id),
    };
  }

  private managedPolicy(arn: string, usedBy: string): PolicyDocument {
    const own = this.logicalIds("AWS::IAM::ManagedPolicy").find((p) => this.ref(p) === arn);
    if (own !== undefined) return this.resolved(this.props(own).PolicyDocument, { Statement: [] });
    const known = this.awsManaged[arn];
    if (known === undefined) {
      throw new Error(`${usedBy} uses managed policy ${arn}; pass its document in awsManagedPolicies`);
    }
    return known;
  }

  // ---- resource policies --------------------------------------------------------------

  private collectResourcePolicies(): void {
    for (const [id, r] of Object.entries(this.resources)) {
      const p = r.Properties ?? {};
      const doc = (v: unknown): Statement[] =>
        [this.resolved<PolicyDocument>(v, { Statement: [] }).Statement].flat();
      switch (r.Type) {
        case "AWS::IAM::Role":
          this.addResourcePolicy(this.arn(id), id, doc(p.AssumeRolePolicyDocument), false);
          break;
        case "AWS::SNS::TopicPolicy":
          for (const topic of this.resolved<string[]>(p.Topics, [])) {
            this.addResourcePolicy(topic, id, doc(p.PolicyDocument), false);
          }
          break;
        case "AWS::SQS::QueuePolicy":
          for (const url of this.resolved<string[]>(p.Queues, [])) {
            this.addResourcePolicy(this.queueArnFromUrl(url), id, doc(p.PolicyDocument), false);
          }
          break;
        case "AWS::S3::BucketPolicy":
          this.addResourcePolicy(
            `arn:${this.partition}:s3:::${this.resolved<string>(p.Bucket, "")}`,
            id,
            doc(p.PolicyDocument),
            false,
          );
          break;
        case "AWS::KMS::Key":
          // Without a KeyPolicy, KMS applies its default: the account's IAM policies decide.
          this.addResourcePolicy(
            this.arn(id),
            id,
            p.KeyPolicy === undefined
              ? [
                  {
                    Effect: "Allow",
                    Principal: { AWS: `arn:${this.partition}:iam::${this.account}:root` },
                    Action: "kms:*",
                    Resource: "*",
                  },
                ]
              : doc(p.KeyPolicy),
            false,
          );
          break;
        case "AWS::SecretsManager::ResourcePolicy":
          this.addResourcePolicy(this.resolved<string>(p.SecretId, ""), id, doc(p.ResourcePolicy), false);
          break;
        case "AWS::Events::EventBus":
          if (p.Policy !== undefined) this.addResourcePolicy(this.arn(id), id, doc(p.Policy), true);
          break;
        case "AWS::Events::EventBusPolicy":
          this.addResourcePolicy(...this.eventBusPolicyStatement(id, p));
          break;
        case "AWS::Lambda::Permission":
          this.addResourcePolicy(...this.lambdaPermissionStatement(id, p));
          break;
      }
    }
  }

  /** Adds statements to a resource's policy; `merge` for services whose policy is built from several resources. */
  private addResourcePolicy(arn: string, name: string, statements: Statement[], merge: boolean): void {
    const existing = this.resourcePolicies.get(arn);
    if (existing !== undefined && !merge) {
      throw new Error(`${arn} has two resource policies, ${existing.name} and ${name}: only one applies`);
    }
    this.resourcePolicies.set(arn, {
      name: existing?.name ?? name,
      statements: [...(existing?.statements ?? []), ...statements],
    });
  }

  private eventBusPolicyStatement(
    id: string,
    p: Record<string, unknown>,
  ): [string, string, Statement[], boolean] {
    const busName = this.resolved<string>(p.EventBusName, "default");
    const busArn = busName.startsWith("arn:")
      ? busName
      : `arn:${this.partition}:events:${this.region}:${this.account}:event-bus/${busName}`;
    const sid = this.resolved<string>(p.StatementId, id);
    if (p.Statement !== undefined) {
      return [busArn, id, [{ Sid: sid, ...this.resolved<Statement>(p.Statement, {}) }], true];
    }
    const principal = this.resolved<string>(p.Principal, "");
    const condition = this.resolved<{ Type: string; Key: string; Value: string } | undefined>(
      p.Condition,
      undefined,
    );
    const statement: Statement = {
      Sid: sid,
      Effect: "Allow",
      Principal: principal === "*" ? "*" : { AWS: `arn:${this.partition}:iam::${principal}:root` },
      Action: this.resolved<string>(p.Action, ""),
      Resource: busArn,
      ...(condition && { Condition: { [condition.Type]: { [condition.Key]: condition.Value } } }),
    };
    return [busArn, id, [statement], true];
  }

  private lambdaPermissionStatement(
    id: string,
    p: Record<string, unknown>,
  ): [string, string, Statement[], boolean] {
    const fn = this.resolved<string>(p.FunctionName, "");
    const functionArn = fn.startsWith("arn:")
      ? fn.split(":").slice(0, 7).join(":")
      : `arn:${this.partition}:lambda:${this.region}:${this.account}:function:${fn}`;
    const principal = this.resolved<string>(p.Principal, "");
    const condition: Record<string, Record<string, string>> = {};
    const put = (op: string, key: string, value: unknown) => {
      if (value !== undefined) condition[op] = { ...condition[op], [key]: this.resolved<string>(value, "") };
    };
    put("ArnLike", "aws:SourceArn", p.SourceArn);
    put("StringEquals", "aws:SourceAccount", p.SourceAccount);
    put("StringEquals", "aws:PrincipalOrgID", p.PrincipalOrgID);
    put("StringEquals", "lambda:FunctionUrlAuthType", p.FunctionUrlAuthType);
    const statement: Statement = {
      Sid: id,
      Effect: "Allow",
      Principal:
        principal === "*"
          ? "*"
          : /^\d{12}$/.test(principal)
            ? { AWS: `arn:${this.partition}:iam::${principal}:root` }
            : principal.startsWith("arn:")
              ? { AWS: principal }
              : { Service: principal },
      Action: this.resolved<string>(p.Action, ""),
      Resource: functionArn,
      ...(Object.keys(condition).length > 0 && { Condition: condition }),
    };
    return [functionArn, id, [statement], true];
  }

  private queueArnFromUrl(url: string): string {
    const match = /^https:\/\/sqs\.([a-z0-9-]+)\.[^/]+\/(\d{12})\/([^/]+)$/.exec(url);
    if (match === null) throw new Error(`not a queue URL: ${url}`);
    return `arn:${this.partition}:sqs:${match[1]}:${match[2]}:${match[3]}`;
  }

  // ---- tags ---------------------------------------------------------------------------

  private tagsOf(resourceArn: string): Record<string, string> {
    const tagged = Object.keys(this.resources).find((id) => {
      if (this.props(id).Tags === undefined) return false;
      const { ref, attributes } = this.names(id);
      return (attributes.Arn ?? ref) === resourceArn;
    });
    return tagged === undefined ? {} : this.tagsOfResource(tagged);
  }

  private tagsOfResource(id: string): Record<string, string> {
    const tags = this.resolved<unknown>(this.props(id).Tags, []);
    if (Array.isArray(tags)) {
      return Object.fromEntries(
        (tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value] as const),
      );
    }
    return tags as Record<string, string>;
  }

  // ---- names and ARNs ----------------------------------------------------------------

  private props(id: string): Record<string, unknown> {
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`no resource ${id} in the template`);
    return resource.Properties ?? {};
  }

  private physicalName(id: string, nameProperty: string): string {
    return this.resolved<string>(this.props(id)[nameProperty], `${this.stackName}-${id}`);
  }

  private getAtt(id: string, attribute: string): string {
    const names = this.names(id);
    const value = names.attributes[attribute];
    if (value === undefined) {
      throw new Error(`Fn::GetAtt ${id}.${attribute} (${this.resources[id]?.Type}) is not modelled`);
    }
    return value;
  }

  /** Ref and attributes of a resource, as CloudFormation would name them. */
  private names(id: string): { ref: string; attributes: Record<string, string> } {
    const type = this.resources[id]?.Type;
    if (type === undefined) throw new Error(`no resource ${id} in the template`);
    const { partition: p, region: r, account: a } = this;
    const regional = (service: string, rest: string) => `arn:${p}:${service}:${r}:${a}:${rest}`;
    const path = () => this.resolved<string>(this.props(id).Path, "/");
    switch (type) {
      case "AWS::IAM::Role":
      case "AWS::IAM::User":
      case "AWS::IAM::Group": {
        const kind = type.split("::")[2]?.toLowerCase() as string;
        const name = this.physicalName(id, `${type.split("::")[2]}Name`);
        return { ref: name, attributes: { Arn: `arn:${p}:iam::${a}:${kind}${path()}${name}` } };
      }
      case "AWS::IAM::ManagedPolicy": {
        const arn = `arn:${p}:iam::${a}:policy${path()}${this.physicalName(id, "ManagedPolicyName")}`;
        return { ref: arn, attributes: { PolicyArn: arn } };
      }
      case "AWS::IAM::Policy":
        return { ref: this.physicalName(id, "PolicyName"), attributes: {} };
      case "AWS::SNS::Topic": {
        const name = this.physicalName(id, "TopicName");
        const arn = regional("sns", name);
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      }
      case "AWS::SQS::Queue": {
        const name = this.physicalName(id, "QueueName");
        const url = `https://sqs.${r}.amazonaws.com/${a}/${name}`;
        return { ref: url, attributes: { Arn: regional("sqs", name), QueueName: name, QueueUrl: url } };
      }
      case "AWS::KMS::Key": {
        const h = createHash("sha256").update(id).digest("hex");
        const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
        return { ref: keyId, attributes: { Arn: regional("kms", `key/${keyId}`), KeyId: keyId } };
      }
      case "AWS::KMS::Alias": {
        const name = this.physicalName(id, "AliasName");
        return { ref: name, attributes: {} };
      }
      case "AWS::Lambda::Function": {
        const name = this.physicalName(id, "FunctionName");
        return { ref: name, attributes: { Arn: regional("lambda", `function:${name}`) } };
      }
      case "AWS::Events::EventBus": {
        const name = this.physicalName(id, "Name");
        return { ref: name, attributes: { Arn: regional("events", `event-bus/${name}`), Name: name } };
      }
      case "AWS::Events::Rule": {
        const name = this.physicalName(id, "Name");
        const busRef = this.resolved<string>(this.props(id).EventBusName, "default");
        const bus = busRef.startsWith("arn:") ? (busRef.split("/").pop() as string) : busRef;
        const onDefault = bus === "default";
        return {
          ref: onDefault ? name : `${bus}|${name}`,
          attributes: { Arn: regional("events", onDefault ? `rule/${name}` : `rule/${bus}/${name}`) },
        };
      }
      case "AWS::DynamoDB::Table": {
        const name = this.physicalName(id, "TableName");
        const arn = regional("dynamodb", `table/${name}`);
        return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` } };
      }
      case "AWS::Logs::LogGroup": {
        const name = this.physicalName(id, "LogGroupName");
        return { ref: name, attributes: { Arn: regional("logs", `log-group:${name}:*`) } };
      }
      case "AWS::CloudWatch::Alarm": {
        const name = this.physicalName(id, "AlarmName");
        return { ref: name, attributes: { Arn: regional("cloudwatch", `alarm:${name}`) } };
      }
      case "AWS::S3::Bucket": {
        const name = this.physicalName(id, "BucketName").toLowerCase();
        return { ref: name, attributes: { Arn: `arn:${p}:s3:::${name}` } };
      }
      case "AWS::SSM::Parameter": {
        const name = this.physicalName(id, "Name");
        return { ref: name, attributes: { Arn: regional("ssm", `parameter/${name.replace(/^\//, "")}`) } };
      }
      case "AWS::StepFunctions::StateMachine": {
        const arn = regional("states", `stateMachine:${this.physicalName(id, "StateMachineName")}`);
        return { ref: arn, attributes: { Arn: arn } };
      }
      case "AWS::SecretsManager::Secret": {
        const arn = regional("secretsmanager", `secret:${this.physicalName(id, "Name")}-AbCdEf`);
        return { ref: arn, attributes: { Id: arn } };
      }
      default: {
        // A consistent stand-in for types not modelled above: `arn:<p>:<service>:<r>:<a>:<type>/<name>`.
        const [, service = "unknown", kind = "resource"] = type.split("::");
        const name = this.physicalName(id, "Name");
        return {
          ref: name,
          attributes: { Arn: regional(service.toLowerCase(), `${kind.toLowerCase()}/${name}`) },
        };
      }
    }
  }

  // ---- intrinsics --------------------------------------------------------------------

  private resolved<T>(value: unknown, fallback: T): T {
    if (value === undefined) return fallback;
    const result = this.resolve(value);
    return (result === NO_VALUE ? fallback : result) as T;
  }

  private resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === "Ref" || key.startsWith("Fn::"))) {
      return this.intrinsic(key, arg);
    }
    return Object.fromEntries(
      entries.map(([k, v]) => [k, this.resolve(v)] as const).filter(([, v]) => v !== NO_VALUE),
    );
  }

  private intrinsic(name: string, arg: unknown): unknown {
    const str = (v: unknown): string => {
      const r = this.resolve(v);
      if (typeof r !== "string") throw new Error(`${name} expected a string, got ${JSON.stringify(r)}`);
      return r;
    };
    const list = (v: unknown): unknown[] => {
      const r = this.resolve(v);
      if (!Array.isArray(r)) throw new Error(`${name} expected a list, got ${JSON.stringify(r)}`);
      return r;
    };
    const args = Array.isArray(arg) ? arg : [arg];
    switch (name) {
      case "Ref":
        return this.refOf(str(arg));
      case "Fn::GetAtt": {
        const [id, attribute] = typeof arg === "string" ? arg.split(/\.(.*)/s) : args.map(str);
        return this.getAtt(id as string, attribute as string);
      }
      case "Fn::Join":
        return list(args[1]).map(str).join(str(args[0]));
      case "Fn::Sub": {
        const [text, vars] = [str(args[0]), (args[1] ?? {}) as Record<string, unknown>];
        return text.replace(/\$\{(!?)([^}]+)\}/g, (_, bang: string, v: string) => {
          if (bang) return `\${${v}}`;
          if (v in vars) return str(vars[v]);
          const [id, attribute] = v.split(/\.(.*)/s);
          return attribute ? this.getAtt(id as string, attribute) : (this.refOf(v) as string);
        });
      }
      case "Fn::Select":
        return list(args[1])[Number(this.resolve(args[0]))];
      case "Fn::Split":
        return str(args[1]).split(str(args[0]));
      case "Fn::If":
        return this.resolve(this.condition(str(args[0])) ? args[1] : args[2]);
      case "Fn::FindInMap":
        return this.resolve(this.template.Mappings?.[str(args[0])]?.[str(args[1])]?.[str(args[2])]);
      case "Fn::Equals":
        return JSON.stringify(this.resolve(args[0])) === JSON.stringify(this.resolve(args[1]));
      case "Fn::Not":
        return !this.resolve(args[0]);
      case "Fn::And":
        return args.every((a) => this.resolve(a) === true);
      case "Fn::Or":
        return args.some((a) => this.resolve(a) === true);
      default:
        throw new Error(`intrinsic ${name} is not supported by the policy proof`);
    }
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`no condition ${name} in the template`);
    return this.resolve(definition) === true;
  }

  private refOf(name: string): unknown {
    switch (name) {
      case "AWS::AccountId":
        return this.account;
      case "AWS::Region":
        return this.region;
      case "AWS::Partition":
        return this.partition;
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::StackName":
        return this.stackName;
      case "AWS::StackId":
        return `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/proof`;
      case "AWS::NoValue":
        return NO_VALUE;
    }
    if (this.resources[name] !== undefined) return this.ref(name);
    if (this.parameters[name] !== undefined) return this.parameters[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter?.Default !== undefined) return parameter.Default;
    throw new Error(`Ref ${name} names no resource or defaulted parameter`);
  }
}

/** Resolves a template's policies for proofs. */
export function loadPolicyProof(template: unknown, options?: ProofOptions): PolicyProof {
  return new PolicyProof(template as CfnTemplate, options);
}

/** A deep copy of the template with its policies weakened as named. */
export function weakenTemplate(template: unknown, weakening: Weakening): CfnTemplate {
  const copy = structuredClone(template) as CfnTemplate;
  for (const resource of Object.values(copy.Resources ?? {})) {
    const props = resource.Properties;
    if (props === undefined) continue;
    if (weakening === "drop-permissions-boundaries" && resource.Type === "AWS::IAM::Role") {
      delete props.PermissionsBoundary;
    }
    if (weakening === "drop-allow-conditions" && resource.Type === "AWS::Lambda::Permission") {
      for (const key of ["SourceArn", "SourceAccount", "PrincipalOrgID"]) delete props[key];
    }
    if (weakening === "drop-allow-conditions" && resource.Type === "AWS::Events::EventBusPolicy") {
      delete props.Condition;
    }
    forEachPolicyDocument(props, (doc) => {
      if (weakening === "drop-deny-statements")
        doc.Statement = doc.Statement.filter((s) => s.Effect !== "Deny");
      for (const s of doc.Statement) {
        if (s.Effect !== "Allow") continue;
        if (
          weakening === "widen-allow-resources" &&
          (s.Resource !== undefined || s.NotResource !== undefined)
        ) {
          delete s.NotResource;
          s.Resource = "*";
        }
        if (weakening === "drop-allow-conditions") delete s.Condition;
      }
    });
  }
  return copy;
}

/** Every policy document (an object with a Statement list of Effect statements) under a value. */
function forEachPolicyDocument(value: unknown, visit: (doc: PolicyDocument) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) forEachPolicyDocument(v, visit);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const statements = (value as { Statement?: unknown }).Statement;
  if (
    Array.isArray(statements) &&
    statements.every((s) => typeof s === "object" && s !== null && "Effect" in s)
  ) {
    visit(value as PolicyDocument);
    return;
  }
  for (const v of Object.values(value)) forEachPolicyDocument(v, visit);
}
