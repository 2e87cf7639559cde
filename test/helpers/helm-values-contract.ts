/**
 * Helm values contract: every values key we set must exist in the pinned chart.
 *
 * `findUnknownValuesKeys(chart, values)` walks our values object and returns the path of every
 * key the pinned chart does not know; `assertValuesKeysExist` throws with all of them at once.
 * Versions come from `../shared/charts/pins.json` (the entry marked `alternative` is skipped
 * unless `opts.version` names it). Everything is read from `../shared/charts/<chart>/<version>/`.
 *
 * ## When is a key path allowed?
 * A key is allowed if ANY of these sources knows it (a union: a key documented in one place but
 * not another still passes, because charts are inconsistent about where they document keys):
 *
 * 1. **values.yaml**: the key exists in the chart's default values.
 * 2. **values.schema.json** (where the chart has one): the key is declared under `properties`
 *    or matches a `patternProperties` regex, following local `$ref`s and the branches of
 *    `allOf`/`anyOf`/`oneOf`. A schema object also accepts ANY key when it is a map:
 *    - it declares no `properties`/`patternProperties` and its `additionalProperties` is not
 *      `false` (absent, `true` or a schema) and its `type` allows `object` (or is absent);
 *    - it declares `properties` and ALSO `additionalProperties: true` or a schema; EXCEPT at
 *      the root of the values tree: Loki's root schema says `additionalProperties: true`, which
 *      would let any misspelled top-level key through. Top-level keys must be named somewhere.
 *    An object that declares `properties` with `additionalProperties` absent is treated as
 *    closed to other keys (JSON Schema would allow them; a typo check must not).
 * 3. **Free-form defaults**: below a key whose default is `{}`, `[]`, `null` or any list,
 *    every key is allowed (maps of labels, extra volumes, config passed through `toYaml`).
 * 4. **Keys the templates read**: a path `.Values.a.b` (also `$.Values…`, `$ctx.Values…`,
 *    `$root.Values…`, and `index .Values "a" "b"` with literal strings) found in any file under
 *    the chart's `chart/templates/` counts as existing, with all its prefixes. Many charts
 *    document such keys only in comments (dcgm-exporter `customMetrics`, Grafana
 *    `adminPassword`), so they are real keys. A path that only templates name (it is not in
 *    values.yaml) and that no template reads deeper is free-form below, since the template
 *    consumes it whole and we cannot know its shape. Commented-out keys in values.yaml are NOT
 *    read: comments go stale, templates do not. Known imprecision: a named template that is
 *    called with a custom `Values` context would add its paths at the root (rare; accepted).
 * 5. **Paths the templates pass through whole**: a values path given whole to `toYaml`,
 *    `toJson` (also inside `tpl (...)`), iterated with `range`, or opened with
 *    `{{ with .Values.x }}{{ toYaml . }}` is free-form below, even when its default is a
 *    non-empty map (`securityContext`, `alertmanager.config`, Grafana's `grafana.ini`): the
 *    chart copies whatever we put there.
 *
 * **Subcharts** (a key whose first segment is a dependency's name or alias in the parent's
 * Chart.yaml): the subtree resolves against the subchart's own values.yaml (for the subcharts
 * pins.json lists with `subchartOf`/`valuesPrefix`, the pinned copy
 * `../shared/charts/<sub>/<version>/values.yaml`; for other dependencies, the vendored
 * `chart/charts/<name>/values.yaml`), its schema and its templates, united with the parent's
 * own values under that key (overrides like `grafana.enabled` and `grafana.sidecar`).
 *
 * **Lists in our values** are not descended into: list items are free-form. Values-key checks
 * are about key names; types and shapes are checked by `helm template` (schema, `required`).
 *
 * All parsed files and assembled contracts are cached per process.
 */
import * as fs from 'node:fs';
import { CHARTS, type PinnedChart } from '../../constructs/versions';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { closestMatch } from '../../config/suggest';
import { sharedPath } from './paths';

/** One entry of `../shared/charts/pins.json`. */
export interface ChartPin {
  readonly chart: string;
  readonly version: string;
  readonly path: string;
  readonly subchartOf?: string;
  readonly valuesPrefix?: string;
  readonly alternative?: boolean;
}

/** Options for the values contract functions. */
export interface ValuesContractOptions {
  /** Chart version to check against. @default - the pinned (non-alternative) version in pins.json */
  readonly version?: string;
}

// ---------------------------------------------------------------------------------------------
// Files and pins
// ---------------------------------------------------------------------------------------------

const fileCache = new Map<string, unknown>();

/** Reads and parses a YAML (1.2) or JSON file once per process. */
export function readDataFile(file: string): unknown {
  const cached = fileCache.get(file);
  if (cached !== undefined || fileCache.has(file)) return cached;
  const text = fs.readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: false });
  } catch (e) {
    throw new Error(`cannot parse ${file}: ${(e as Error).message}`);
  }
  fileCache.set(file, parsed);
  return parsed;
}

/** The entries of `../shared/charts/pins.json`. */
export function chartPins(): readonly ChartPin[] {
  const raw = readDataFile(sharedPath('charts', 'pins.json'));
  if (!Array.isArray(raw)) throw new Error('charts/pins.json: expected a JSON array');
  return raw as ChartPin[];
}

/** The pinned version of a chart (the entry not marked `alternative`, or an alternative the project adopts in versions.ts). Throws for an unknown chart. */
export function pinnedChartVersion(chart: string): string {
  const adopted = Object.values(CHARTS as Record<string, PinnedChart>).find((c) => c.chart === chart && c.adoptedAlternative);
  const pins = chartPins().filter((p) => p.chart === chart && (p.alternative !== true || p.version === adopted?.version));
  if (pins.length === 0) {
    const known = [...new Set(chartPins().map((p) => p.chart))].sort().join(', ');
    throw new Error(`chart "${chart}" is not in charts/pins.json; pinned charts: ${known}`);
  }
  return pins[0].version;
}

/** Resolves the version to use: the given one (which must exist on disk) or the pinned one. */
function resolveVersion(chart: string, version: string | undefined): string {
  if (version === undefined) return pinnedChartVersion(chart);
  const dir = path.join(sharedPath('charts'), chart, version);
  if (!fs.existsSync(dir)) {
    const chartDir = path.join(sharedPath('charts'), chart);
    const have = fs.existsSync(chartDir) ? fs.readdirSync(chartDir).join(', ') : 'none';
    throw new Error(`chart ${chart}@${version} is not in ../shared/charts (versions there: ${have})`);
  }
  return version;
}

// ---------------------------------------------------------------------------------------------
// Key trees from values.yaml and templates
// ---------------------------------------------------------------------------------------------

/** What values.yaml and the templates say about one key path. */
interface KeyTree {
  /** Any key below is allowed. */
  free: boolean;
  /** Created only from a template read (not in values.yaml). */
  fromTemplate: boolean;
  readonly children: Map<string, KeyTree>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A key tree from a default value: `{}`, `[]`, `null` and lists are free-form. */
function treeFromDefaults(value: unknown): KeyTree {
  const node: KeyTree = { free: false, fromTemplate: false, children: new Map() };
  if (value === null || value === undefined || Array.isArray(value)) {
    node.free = true;
  } else if (isPlainObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) node.free = true;
    for (const [k, v] of entries) node.children.set(k, treeFromDefaults(v));
  }
  return node;
}

const VALUES_DOT_RE = /\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;
const VALUES_INDEX_RE = /\bindex\s+\$?\.Values((?:\s+"[^"]+")+)/g;
/** `range $k, $v := `, the prefix of a loop over a values map. */
const RANGE = String.raw`range\s+(?:\$[A-Za-z_]\w*\s*(?:,\s*\$[A-Za-z_]\w*\s*)?:=\s*)?`;
/** A values path handed whole to `toYaml`/`toJson` (also inside `tpl (...)`) or to `range`. */
const SINK_RE = new RegExp(
  String.raw`(?:toYaml|toJson|toPrettyJson|${RANGE})\s*\(?\s*(?:\$?[A-Za-z]*\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)|index\s+\$?\.Values((?:\s+"[^"]+")+))`,
  'g',
);
/**
 * The idiom `{{- with .Values.x }}{{- toYaml . | nindent 4 }}`, also with the YAML key between
 * (`{{- with .Values.x }}\n securityContext:\n {{- toYaml . | nindent 6 }}`).
 */
const WITH_SINK_RE =
  /with\s+\$?[A-Za-z]*\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*-?\}\}\s*(?:[A-Za-z_][A-Za-z0-9_-]*:\s*)?\{\{-?\s*(?:tpl\s*\(\s*)?(?:toYaml|toJson)\s+\.\s*[|)}]/g;

/** What a chart's templates do with values paths. */
interface TemplateUse {
  /** Every path read (`.Values.a.b`, `index .Values "a" "b"`), as segment lists. */
  readonly reads: string[][];
  /** Paths passed whole to toYaml/toJson/range: free-form below. */
  readonly sinks: string[][];
}

function quotedSegments(s: string): string[] {
  return [...s.matchAll(/"([^"]+)"/g)].map((x) => x[1]);
}

/** Scans every file under `templatesDir` for values reads and sinks. */
function scanTemplates(templatesDir: string): TemplateUse {
  const use: TemplateUse = { reads: [], sinks: [] };
  if (!fs.existsSync(templatesDir)) return use;
  for (const file of listFiles(templatesDir)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(VALUES_DOT_RE)) use.reads.push(m[1].slice(1).split('.'));
    for (const m of text.matchAll(VALUES_INDEX_RE)) use.reads.push(quotedSegments(m[1]));
    for (const m of text.matchAll(SINK_RE)) use.sinks.push(m[1] ? m[1].slice(1).split('.') : quotedSegments(m[2]));
    for (const m of text.matchAll(WITH_SINK_RE)) use.sinks.push(m[1].slice(1).split('.'));
  }
  return use;
}

/** All regular files below a directory, recursively. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** Finds or creates the node at `segs` (created nodes are marked as template-only). */
function ensurePath(tree: KeyTree, segs: readonly string[]): KeyTree {
  let node = tree;
  for (const seg of segs) {
    let child = node.children.get(seg);
    if (!child) {
      child = { free: false, fromTemplate: true, children: new Map() };
      node.children.set(seg, child);
    }
    node = child;
  }
  return node;
}

/** Adds template reads and sinks to a tree (rules 4 and 5 in the file header). */
function addTemplateUse(tree: KeyTree, use: TemplateUse): void {
  for (const segs of use.reads) if (segs.length > 0) ensurePath(tree, segs);
  markTemplateLeavesFree(tree);
  for (const segs of use.sinks) if (segs.length > 0) ensurePath(tree, segs).free = true;
}

function markTemplateLeavesFree(node: KeyTree): void {
  if (node.fromTemplate && node.children.size === 0) node.free = true;
  for (const child of node.children.values()) markTemplateLeavesFree(child);
}

// ---------------------------------------------------------------------------------------------
// Schema cursors
// ---------------------------------------------------------------------------------------------

/** A position in a values.schema.json document. */
interface SchemaCursor {
  readonly doc: unknown;
  readonly node: unknown;
  readonly isRoot: boolean;
}

/** What a schema says about one child key. */
type SchemaVerdict = { kind: 'free' } | { kind: 'declared'; next: SchemaCursor[] } | { kind: 'unknown' };

/** Resolves a local JSON pointer `$ref` (`#/$defs/a/b`). Returns undefined if it cannot. */
function resolveRef(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(1).split('/').filter((s) => s !== '')) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isPlainObject(node) || !(seg in node)) return undefined;
    node = node[seg];
  }
  return node;
}

/** Flattens `$ref` and `allOf`/`anyOf`/`oneOf` into the list of schema objects that apply. */
function expandSchema(doc: unknown, node: unknown, depth = 0): Record<string, unknown>[] | 'free' {
  if (node === true) return 'free';
  if (!isPlainObject(node)) return [];
  if (depth > 32) return 'free';
  const out: Record<string, unknown>[] = [node];
  if (typeof node.$ref === 'string') {
    const target = resolveRef(doc, node.$ref);
    if (target === undefined) return 'free'; // unresolvable: cannot judge, do not block
    const sub = expandSchema(doc, target, depth + 1);
    if (sub === 'free') return 'free';
    out.push(...sub);
  }
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    const branches = node[k];
    if (!Array.isArray(branches)) continue;
    for (const b of branches) {
      const sub = expandSchema(doc, b, depth + 1);
      if (sub === 'free') return 'free';
      out.push(...sub);
    }
  }
  return out;
}

function typeAllowsObject(t: unknown): boolean {
  if (t === undefined) return true;
  if (typeof t === 'string') return t === 'object';
  return Array.isArray(t) && t.includes('object');
}

/** Classifies `key` under the schema positions `cursors` (see rule 2 in the file header). */
function schemaChild(cursors: readonly SchemaCursor[], key: string): SchemaVerdict {
  const next: SchemaCursor[] = [];
  let free = false;
  for (const cursor of cursors) {
    const expanded = expandSchema(cursor.doc, cursor.node);
    if (expanded === 'free') return { kind: 'free' };
    const hasStructure = expanded.some((n) => isPlainObject(n.properties) || isPlainObject(n.patternProperties));
    for (const n of expanded) {
      const props = n.properties;
      if (isPlainObject(props) && Object.prototype.hasOwnProperty.call(props, key)) {
        next.push({ doc: cursor.doc, node: props[key], isRoot: false });
      }
      const patterns = n.patternProperties;
      if (isPlainObject(patterns)) {
        for (const [re, sub] of Object.entries(patterns)) {
          if (safeRegExp(re)?.test(key)) next.push({ doc: cursor.doc, node: sub, isRoot: false });
        }
      }
    }
    if (next.length > 0) continue;
    // Not declared by name: is this schema position an open map?
    const allObjectish = expanded.length > 0 && expanded.every((n) => typeAllowsObject(n.type));
    const additional = expanded.map((n) => n.additionalProperties);
    if (additional.includes(false) || !allObjectish) continue;
    if (!hasStructure) {
      const schemaAdditional = additional.filter(isPlainObject);
      if (schemaAdditional.length > 0) {
        next.push(...schemaAdditional.map((node) => ({ doc: cursor.doc, node, isRoot: false })));
      } else {
        free = true;
      }
    } else if (!cursor.isRoot) {
      if (additional.includes(true)) free = true;
      else {
        const schemaAdditional = additional.filter(isPlainObject);
        next.push(...schemaAdditional.map((node) => ({ doc: cursor.doc, node, isRoot: false })));
      }
    }
  }
  if (free) return { kind: 'free' };
  return next.length > 0 ? { kind: 'declared', next } : { kind: 'unknown' };
}

const regexCache = new Map<string, RegExp | undefined>();
function safeRegExp(source: string): RegExp | undefined {
  if (!regexCache.has(source)) {
    try {
      regexCache.set(source, new RegExp(source, 'u'));
    } catch {
      regexCache.set(source, undefined);
    }
  }
  return regexCache.get(source);
}

// ---------------------------------------------------------------------------------------------
// The contract of one chart@version
// ---------------------------------------------------------------------------------------------

/** Everything the checker knows about one chart version (or one subchart inside it). */
interface ValuesContract {
  readonly label: string;
  readonly tree: KeyTree;
  readonly schemas: SchemaCursor[];
  /** Dependencies by values key (name or alias). */
  readonly subcharts: Map<string, ValuesContract>;
}

const contractCache = new Map<string, ValuesContract>();

/** Builds (once) the contract of `chart@version` from ../shared/charts. */
function loadContract(chart: string, version: string): ValuesContract {
  const cacheKey = `${chart}@${version}`;
  const cached = contractCache.get(cacheKey);
  if (cached) return cached;
  const base = sharedPath('charts', chart, version);
  const chartDir = path.join(base, 'chart');
  const valuesFile = fs.existsSync(path.join(base, 'values.yaml'))
    ? path.join(base, 'values.yaml')
    : path.join(chartDir, 'values.yaml');
  const schemaFile = [path.join(base, 'values.schema.json'), path.join(chartDir, 'values.schema.json')].find((f) =>
    fs.existsSync(f),
  );
  const contract = buildContract(cacheKey, valuesFile, schemaFile, path.join(chartDir, 'templates'));

  // Subcharts: pinned ones (pins.json subchartOf/valuesPrefix) first, then other vendored dependencies.
  for (const pin of chartPins()) {
    if (pin.subchartOf !== chart || pin.alternative === true) continue;
    const prefix = pin.valuesPrefix ?? pin.chart;
    const subDir = path.join(chartDir, 'charts', pin.chart);
    const subBase = sharedPath('charts', pin.chart, pin.version);
    const subSchema = [path.join(subBase, 'values.schema.json'), path.join(subDir, 'values.schema.json')].find((f) =>
      fs.existsSync(f),
    );
    contract.subcharts.set(
      prefix,
      buildContract(`${pin.chart}@${pin.version}`, path.join(subBase, 'values.yaml'), subSchema, path.join(subDir, 'templates')),
    );
  }
  for (const dep of chartDependencies(chartDir)) {
    if (contract.subcharts.has(dep.key)) continue;
    const subDir = path.join(chartDir, 'charts', dep.name);
    if (!fs.existsSync(subDir)) continue;
    const subSchema = path.join(subDir, 'values.schema.json');
    contract.subcharts.set(
      dep.key,
      buildContract(
        `${dep.name} (subchart of ${chart})`,
        path.join(subDir, 'values.yaml'),
        fs.existsSync(subSchema) ? subSchema : undefined,
        path.join(subDir, 'templates'),
      ),
    );
  }
  contractCache.set(cacheKey, contract);
  return contract;
}

function buildContract(label: string, valuesFile: string, schemaFile: string | undefined, templatesDir: string): ValuesContract {
  const tree = treeFromDefaults(fs.existsSync(valuesFile) ? (readDataFile(valuesFile) ?? {}) : {});
  tree.free = false; // an empty values.yaml does not make the whole chart free-form
  addTemplateUse(tree, scanTemplates(templatesDir));
  const schemas: SchemaCursor[] = [];
  if (schemaFile) {
    const doc = readDataFile(schemaFile);
    schemas.push({ doc, node: doc, isRoot: true });
  }
  return { label, tree, schemas, subcharts: new Map() };
}

/** The dependencies in `chartDir/Chart.yaml`, keyed by the values key (alias or name). */
function chartDependencies(chartDir: string): { key: string; name: string }[] {
  const file = path.join(chartDir, 'Chart.yaml');
  if (!fs.existsSync(file)) return [];
  const meta = readDataFile(file);
  const deps = isPlainObject(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : [];
  return deps.filter(isPlainObject).flatMap((d) => {
    const name = typeof d.name === 'string' ? d.name : undefined;
    if (!name) return [];
    return [{ key: typeof d.alias === 'string' ? d.alias : name, name }];
  });
}

// ---------------------------------------------------------------------------------------------
// Walking our values
// ---------------------------------------------------------------------------------------------

/** Formats a key path for messages: `a.b`, with odd segments quoted: `grafana['grafana.ini'].x`. */
function formatPath(segs: readonly string[]): string {
  return segs
    .map((s, i) => (/^[A-Za-z0-9_-]+$/.test(s) ? (i === 0 ? s : `.${s}`) : `['${s}']`))
    .join('');
}

/** An unknown key, with a close known sibling if there is one. */
interface UnknownKey {
  readonly path: string;
  readonly suggestion?: string;
}

/** Walks `values` under the given sources and collects unknown keys. */
function walkValues(
  values: Record<string, unknown>,
  trees: readonly KeyTree[],
  schemas: readonly SchemaCursor[],
  segs: readonly string[],
  out: UnknownKey[],
): void {
  for (const [key, child] of Object.entries(values)) {
    const here = [...segs, key];
    let free = false;
    const nextTrees: KeyTree[] = [];
    for (const t of trees) {
      const c = t.children.get(key);
      if (!c) continue;
      if (c.free) free = true;
      nextTrees.push(c);
    }
    let nextSchemas: SchemaCursor[] = [];
    if (schemas.length > 0) {
      const verdict = schemaChild(schemas, key);
      if (verdict.kind === 'free') free = true;
      else if (verdict.kind === 'declared') nextSchemas = verdict.next;
    }
    if (!free && nextTrees.length === 0 && nextSchemas.length === 0) {
      out.push({ path: formatPath(here), suggestion: closestMatch(key, knownKeys(trees, schemas)) });
      continue;
    }
    if (!free && isPlainObject(child)) walkValues(child, nextTrees, nextSchemas, here, out);
  }
}

/** Walks the top level, routing subchart keys to their contracts. */
function walkRoot(contract: ValuesContract, values: Record<string, unknown>): UnknownKey[] {
  const out: UnknownKey[] = [];
  const own: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(values)) {
    const sub = contract.subcharts.get(key);
    if (!sub) {
      own[key] = child;
      continue;
    }
    if (!isPlainObject(child)) continue; // e.g. `grafana: null`; helm reports shape errors
    const parentTree = contract.tree.children.get(key);
    if (parentTree?.free) continue;
    const parentSchema = contract.schemas.length > 0 ? schemaChild(contract.schemas, key) : { kind: 'unknown' as const };
    if (parentSchema.kind === 'free') continue;
    const trees = parentTree ? [sub.tree, parentTree] : [sub.tree];
    const schemas = [...sub.schemas, ...(parentSchema.kind === 'declared' ? parentSchema.next : [])];
    walkValues(child, trees, schemas, [key], out);
  }
  walkValues(own, [contract.tree], contract.schemas, [], out);
  return out;
}

/** Names known at one position (for "did you mean"). */
function knownKeys(trees: readonly KeyTree[], schemas: readonly SchemaCursor[]): string[] {
  const keys = new Set<string>();
  for (const t of trees) for (const k of t.children.keys()) keys.add(k);
  for (const c of schemas) {
    const expanded = expandSchema(c.doc, c.node);
    if (expanded === 'free') continue;
    for (const n of expanded) if (isPlainObject(n.properties)) for (const k of Object.keys(n.properties)) keys.add(k);
  }
  return [...keys];
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

function checkValues(chart: string, values: unknown, opts?: ValuesContractOptions): { label: string; unknown: UnknownKey[] } {
  const version = resolveVersion(chart, opts?.version);
  const label = `${chart}@${version}`;
  if (values === undefined || values === null) return { label, unknown: [] };
  if (!isPlainObject(values)) {
    throw new Error(`${label}: values must be a map of keys, received ${Array.isArray(values) ? 'a list' : typeof values}`);
  }
  return { label, unknown: walkRoot(loadContract(chart, version), values) };
}

/**
 * The key paths in `values` that the pinned chart does not know (rules in the file header),
 * e.g. `['prometheus.prometheusSpec.retentionn']`. Empty when every key exists.
 */
export function findUnknownValuesKeys(chart: string, values: unknown, opts?: ValuesContractOptions): string[] {
  return checkValues(chart, values, opts).unknown.map((u) => u.path);
}

/**
 * Throws if any key in `values` is unknown to the chart. The message names `chart@version` and
 * every offending path, one per line, e.g.
 * `kube-prometheus-stack@88.5.3: unknown values key "prometheus.prometheusSpec.retentionn" (did you mean "retention"?)`.
 */
export function assertValuesKeysExist(chart: string, values: unknown, opts?: ValuesContractOptions): void {
  const { label, unknown } = checkValues(chart, values, opts);
  if (unknown.length === 0) return;
  const lines = unknown.map(
    (u) => `${label}: unknown values key "${u.path}"${u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ''}`,
  );
  throw new Error(
    `${lines.join('\n')}\n(checked against ../shared/charts/${label.replace('@', '/')}: values.yaml, values.schema.json, subcharts and keys read by templates)`,
  );
}

