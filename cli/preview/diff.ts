/**
 * The semantic differ behind `mlobs preview`: two synthesized outputs in, per environment the
 * resources added, removed, changed and replaced, out. Pure: no cdktf, no file system, no git.
 *
 * - Resources are keyed by Terraform address (`type.name`); a construct ID change shows as an
 *   address removed while one of the same type appears, which Terraform plans as destroy and
 *   create: reported as a replacement, loudly when the resource holds data.
 * - A `helm_release`'s `values` documents are parsed (YAML 1.1, as Helm reads them) and merged,
 *   and the result compared as key paths; chart version bumps are named; a changed `name`,
 *   `namespace` or `chart` forces replacement.
 * - Objects of the generated custom-resource chart are keyed by kind/namespace/name and their
 *   changed fields listed; a stateful object renamed is a replacement.
 * - Values under a key path matching password/token/secret/key are redacted unless they are a
 *   reference (`*_file`, `secretKeyRef`, `existingSecret`, `{name, key}`); Secret data and
 *   `set_sensitive` are always redacted.
 */
import { parse } from 'yaml';
import { unescapeTemplateText } from '../../constructs/core/terraform-literal';
import { isPlainObject } from '../../constructs/core/values';
import { declaredStateful, STATEFUL_KINDS } from '../../constructs/core/stateful';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

/** A rendered Kubernetes object of the generated chart. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [key: string]: Json | undefined | { readonly name: string; readonly namespace?: string };
}

/** One environment's synthesized output. */
export interface SynthesizedEnvironment {
  /** The Terraform JSON (`cdk.tf.json`). */
  readonly stack: JsonObject;
  /** Objects of the generated custom-resource chart. */
  readonly manifests: readonly ManifestObject[];
}

/** Every environment of one ref, by name. */
export type SynthesizedOutput = Readonly<Record<string, SynthesizedEnvironment>>;

export interface FieldChange {
  /** Dotted key path; list items by `[name=...]` (or `[alert=...]`, `[record=...]`) when they carry one, else `[index]`. */
  readonly path: string;
  /** Absent when the key was added. */
  readonly old?: Json;
  /** Absent when the key was removed. */
  readonly new?: Json;
  /** The values are not shown. */
  readonly redacted: boolean;
}

export interface ChartBump {
  readonly chart: string;
  readonly from: string;
  readonly to: string;
}

export type ResourceAction = 'add' | 'remove' | 'change' | 'replace';

export interface ResourceChange {
  /** Terraform address, `type.name`. */
  readonly address: string;
  readonly type: string;
  readonly action: ResourceAction;
  /** For a helm_release, its chart (head side, or base when removed). */
  readonly chart?: string;
  /** Holds data that a destroy loses (volumes, Elasticsearch, Loki, Prometheus). */
  readonly stateful: boolean;
  /** Why, as the resource declares it (constructs/core/stateful.ts). */
  readonly statefulReason?: string;
  /** Changed attributes other than Helm values. */
  readonly fields: readonly FieldChange[];
  /** Changed Helm values, as key paths. */
  readonly values: readonly FieldChange[];
  readonly chartBump?: ChartBump;
  /** Why a `replace` is forced. */
  readonly replaceReasons: readonly string[];
}

export interface ManifestChange {
  /** `Kind namespace/name`. */
  readonly id: string;
  readonly kind: string;
  readonly action: 'add' | 'remove' | 'change';
  readonly stateful: boolean;
  readonly fields: readonly FieldChange[];
}

/** A destroy-and-recreate, one line each. */
export interface Replacement {
  readonly stateful: boolean;
  readonly message: string;
}

export interface EnvironmentDiff {
  readonly name: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly resources: readonly ResourceChange[];
  readonly manifests: readonly ManifestChange[];
  readonly replacements: readonly Replacement[];
}

export interface PreviewDiff {
  readonly base: string;
  readonly head: string;
  readonly environments: readonly EnvironmentDiff[];
}

// ---------------------------------------------------------------------------------------------
// Structural diff of JSON values
// ---------------------------------------------------------------------------------------------

const SENSITIVE = /password|token|secret|key/i;
const REFERENCE_SEGMENT = /(_file|File)$|secretKeyRef|existingSecret|secretName|secretRef|keyRef/i;

const isObject = (v: Json | undefined): v is JsonObject => isPlainObject(v);

/** A `{name, key}` (optionally `optional`) object is a Secret reference. */
function isNameKeyRef(v: Json | undefined): boolean {
  if (!isObject(v)) return false;
  const keys = Object.keys(v);
  return keys.includes('name') && keys.includes('key') && keys.every((k) => k === 'name' || k === 'key' || k === 'optional');
}

function equal(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && equal(ao[k], bo[k]));
}

function join(prefix: string, key: string): string {
  if (prefix === '') return /^[A-Za-z_][\w-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return /^[A-Za-z_][\w-]*$/.test(key) ? `${prefix}.${key}` : `${prefix}[${JSON.stringify(key)}]`;
}

/** Keys that identify a list item, in order: `name`, then a rule's `alert` or `record`. */
const ITEM_IDENTITY_KEYS = ['name', 'alert', 'record'] as const;

/** The items of a list keyed by `<key>=<value>` when every item carries the same unique identity key. */
function namedItems(list: readonly Json[]): Map<string, Json> | undefined {
  for (const key of ITEM_IDENTITY_KEYS) {
    const map = new Map<string, Json>();
    let ok = list.length > 0;
    for (const item of list) {
      const id = isObject(item) ? item[key] : undefined;
      if (typeof id !== 'string' || map.has(`${key}=${id}`)) {
        ok = false;
        break;
      }
      map.set(`${key}=${id}`, item);
    }
    if (ok) return map;
  }
  return undefined;
}

interface DiffContext {
  /** A segment on the way was sensitive (and no reference since). */
  readonly sensitive: boolean;
  /** A segment on the way marks a reference. */
  readonly reference: boolean;
  /** Redact everything below (Secret data, set_sensitive). */
  readonly forceRedact: boolean;
}

const ROOT_CONTEXT: DiffContext = { sensitive: false, reference: false, forceRedact: false };

function childContext(ctx: DiffContext, key: string, parentOld: Json | undefined, parentNew: Json | undefined): DiffContext {
  const reference = ctx.reference || REFERENCE_SEGMENT.test(key) || isNameKeyRef(parentOld) || isNameKeyRef(parentNew);
  return { sensitive: ctx.sensitive || SENSITIVE.test(key), reference, forceRedact: ctx.forceRedact };
}

function leaf(path: string, ctx: DiffContext, old: Json | undefined, next: Json | undefined): FieldChange {
  const redacted = ctx.forceRedact || (ctx.sensitive && !ctx.reference);
  const change: { path: string; old?: Json; new?: Json; redacted: boolean } = { path, redacted };
  if (old !== undefined) change.old = redacted ? '(redacted)' : old;
  if (next !== undefined) change.new = redacted ? '(redacted)' : next;
  return change;
}

/** Key-path differences between two JSON values. */
export function diffValues(old: Json | undefined, next: Json | undefined, prefix = '', ctx: DiffContext = ROOT_CONTEXT): FieldChange[] {
  if (equal(old, next)) return [];
  if (isObject(old) && isObject(next)) {
    const out: FieldChange[] = [];
    const keys = [...Object.keys(old), ...Object.keys(next).filter((k) => !(k in old))];
    for (const k of keys) out.push(...diffValues(old[k], next[k], join(prefix, k), childContext(ctx, k, old, next)));
    return out;
  }
  if (Array.isArray(old) && Array.isArray(next)) {
    const a = namedItems(old);
    const b = namedItems(next);
    if (a && b) {
      const out: FieldChange[] = [];
      const names = [...a.keys(), ...[...b.keys()].filter((n) => !a.has(n))];
      for (const n of names) out.push(...diffValues(a.get(n), b.get(n), `${prefix}[${n}]`, ctx));
      return out;
    }
    if (old.length === next.length) {
      const out: FieldChange[] = [];
      old.forEach((x, i) => out.push(...diffValues(x, next[i], `${prefix}[${i}]`, ctx)));
      return out;
    }
  }
  return [leaf(prefix, ctx, old, next)];
}

// ---------------------------------------------------------------------------------------------
// Terraform resources
// ---------------------------------------------------------------------------------------------

interface Resource {
  readonly address: string;
  readonly type: string;
  readonly body: JsonObject;
}

function resourcesOf(stack: JsonObject): Map<string, Resource> {
  const out = new Map<string, Resource>();
  const byType = stack.resource;
  if (!isObject(byType)) return out;
  for (const [type, named] of Object.entries(byType)) {
    if (!isObject(named)) continue;
    for (const [name, body] of Object.entries(named)) {
      if (isObject(body)) out.set(`${type}.${name}`, { address: `${type}.${name}`, type, body });
    }
  }
  return out;
}

/** Helm merges its values files in order; later keys win, maps merge, lists replace. */
function mergeValues(a: Json, b: Json): Json {
  if (!isObject(a) || !isObject(b)) return b;
  const out: Record<string, Json> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeValues(out[k] as Json, v) : v;
  return out;
}

/** The merged values of a helm_release (`values` is a list of YAML documents). */
export function helmValues(body: JsonObject): Json {
  const docs = body.values;
  if (!Array.isArray(docs)) return {};
  let merged: Json = {};
  for (const doc of docs) {
    if (typeof doc !== 'string') continue;
    // As Helm receives it: Terraform turns the escapes `$${` / `%%{` back into `${` / `%{`.
    const parsed = parse(unescapeTemplateText(doc), { version: '1.1' }) as Json | undefined;
    if (parsed !== undefined && parsed !== null) merged = mergeValues(merged, parsed);
  }
  return merged;
}

/** A chart from a local directory (the generated chart) carries a content hash in its path. */
function isLocalChart(chart: Json | undefined): boolean {
  return typeof chart === 'string' && (chart.startsWith('./') || chart.startsWith('/'));
}

function chartIdentity(chart: Json | undefined): string {
  if (typeof chart !== 'string') return '';
  return isLocalChart(chart) ? chart.replace(/-[0-9a-f]{8,}$/, '') : chart;
}

// For refs synthesized before resources declared what holds data: the old heuristics.
const STATEFUL_CHART = /loki|prometheus|elasticsearch|eck-stack|opensearch|postgres|mysql|redis|kafka|minio/i;
const STATEFUL_TYPE = /^kubernetes_(persistent_volume_claim|persistent_volume|stateful_set|namespace)/;

function isStatefulResource(r: Resource): boolean {
  // The resource's own declaration (constructs/core/stateful.ts) is the source of truth.
  if (declaredStateful(r.body) !== undefined) return true;
  if (STATEFUL_TYPE.test(r.type)) return true;
  if (r.type !== 'helm_release') return false;
  if (STATEFUL_CHART.test(String(r.body.chart ?? ''))) return true;
  const values = JSON.stringify(r.body.values ?? '');
  return /persistence|volumeClaimTemplate|storageSpec/.test(values);
}

const IGNORED_FIELDS = new Set(['//', 'values', 'depends_on', 'set_sensitive']);

function diffResource(address: string, a: Resource, b: Resource): ResourceChange | undefined {
  const helm = a.type === 'helm_release';
  const fields: FieldChange[] = [];
  const replaceReasons: string[] = [];
  let chartBump: ChartBump | undefined;
  const keys = [...Object.keys(a.body), ...Object.keys(b.body).filter((k) => !(k in a.body))];
  for (const k of keys) {
    if (IGNORED_FIELDS.has(k)) continue;
    const old = a.body[k];
    const next = b.body[k];
    if (helm && k === 'chart' && chartIdentity(old) === chartIdentity(next)) continue;
    // A generated chart's version carries its content hash: Terraform updates the release in
    // place when the content changes (the changed objects are listed as custom resources).
    if (helm && k === 'version' && isLocalChart(b.body.chart)) {
      if (old !== next) fields.push({ path: 'version', old: old ?? null, new: next ?? null, redacted: false });
      continue;
    }
    if (helm && k === 'version' && typeof old === 'string' && typeof next === 'string' && old !== next) {
      chartBump = { chart: String(b.body.chart ?? ''), from: old, to: next };
      continue;
    }
    const changes = diffValues(old, next, k);
    if (changes.length === 0) continue;
    fields.push(...changes);
    if (helm && (k === 'name' || k === 'namespace' || k === 'chart')) {
      replaceReasons.push(`${k} ${show(old)} → ${show(next)} forces replacement`);
    }
  }
  const sensitive = diffValues(a.body.set_sensitive, b.body.set_sensitive, 'set_sensitive', { ...ROOT_CONTEXT, forceRedact: true });
  fields.push(...sensitive);
  const values = helm ? diffValues(helmValues(a.body), helmValues(b.body)) : [];
  if (fields.length === 0 && values.length === 0 && !chartBump) return undefined;
  const change: ResourceChange = {
    address,
    type: a.type,
    action: replaceReasons.length > 0 ? 'replace' : 'change',
    stateful: isStatefulResource(a) || isStatefulResource(b),
    ...(declaredStateful(a.body) ?? declaredStateful(b.body) ? { statefulReason: (declaredStateful(a.body) ?? declaredStateful(b.body)) as string } : {}),
    fields,
    values,
    replaceReasons,
    ...(helm ? { chart: String(b.body.chart ?? '') } : {}),
    ...(chartBump ? { chartBump } : {}),
  };
  return change;
}

// ---------------------------------------------------------------------------------------------
// Generated custom resources
// ---------------------------------------------------------------------------------------------

const isStatefulKind = (kind: string): boolean => Object.hasOwn(STATEFUL_KINDS, kind);

function manifestId(o: ManifestObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

function diffManifests(base: readonly ManifestObject[], head: readonly ManifestObject[]): ManifestChange[] {
  const a = new Map(base.map((o) => [manifestId(o), o]));
  const b = new Map(head.map((o) => [manifestId(o), o]));
  const out: ManifestChange[] = [];
  const ctxFor = (o: ManifestObject): DiffContext => ({ ...ROOT_CONTEXT, forceRedact: o.kind === 'Secret' });
  for (const [id, o] of a) {
    const n = b.get(id);
    const stateful = isStatefulKind(o.kind);
    if (!n) {
      out.push({ id, kind: o.kind, action: 'remove', stateful, fields: [] });
      continue;
    }
    const { metadata: om, ...orest } = o;
    const { metadata: nm, ...nrest } = n;
    const fields = [
      ...diffValues(om as unknown as Json, nm as unknown as Json, 'metadata'),
      ...diffValues(orest as unknown as Json, nrest as unknown as Json, '', ctxFor(o)),
    ];
    if (fields.length > 0) out.push({ id, kind: o.kind, action: 'change', stateful, fields });
  }
  for (const [id, n] of b) {
    if (!a.has(id)) out.push({ id, kind: n.kind, action: 'add', stateful: isStatefulKind(n.kind), fields: [] });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Environments
// ---------------------------------------------------------------------------------------------

function show(v: Json | undefined): string {
  return v === undefined ? '(none)' : JSON.stringify(v);
}

/** Compares one environment's two outputs; either side may be absent. */
export function diffEnvironment(name: string, base: SynthesizedEnvironment | undefined, head: SynthesizedEnvironment | undefined): EnvironmentDiff {
  const a = base ? resourcesOf(base.stack) : new Map<string, Resource>();
  const b = head ? resourcesOf(head.stack) : new Map<string, Resource>();
  const resources: ResourceChange[] = [];
  const addOrRemove = (r: Resource, action: 'add' | 'remove'): ResourceChange => ({
    address: r.address,
    type: r.type,
    action,
    stateful: isStatefulResource(r),
    ...(declaredStateful(r.body) ? { statefulReason: declaredStateful(r.body) as string } : {}),
    fields: [],
    values: [],
    replaceReasons: [],
    ...(r.type === 'helm_release' ? { chart: String(r.body.chart ?? '') } : {}),
  });
  for (const [address, r] of a) {
    const n = b.get(address);
    if (!n) resources.push(addOrRemove(r, 'remove'));
    else {
      const change = diffResource(address, r, n);
      if (change) resources.push(change);
    }
  }
  for (const [address, r] of b) if (!a.has(address)) resources.push(addOrRemove(r, 'add'));

  const manifests = diffManifests(base?.manifests ?? [], head?.manifests ?? []);
  const replacements: Replacement[] = [];
  if (base && head) {
    for (const removed of resources.filter((r) => r.action === 'remove')) {
      const added = resources.filter((r) => r.action === 'add' && r.type === removed.type && (removed.chart === undefined || chartIdentity(r.chart) === chartIdentity(removed.chart)));
      if (added.length === 0) continue;
      const stateful = removed.stateful || added.some((r) => r.stateful);
      replacements.push({
        stateful,
        message: `${removed.address} is destroyed and ${added.map((r) => r.address).join(', ')} created (a changed construct ID?)${stateful ? ': its data is lost; add a `moved` block' : ''}`,
      });
    }
    for (const r of resources.filter((x) => x.action === 'replace')) {
      replacements.push({ stateful: r.stateful, message: `${r.address} is replaced: ${r.replaceReasons.join('; ')}` });
    }
    for (const removed of manifests.filter((m) => m.action === 'remove' && m.stateful)) {
      const added = manifests.filter((m) => m.action === 'add' && m.kind === removed.kind);
      if (added.length === 0) continue;
      replacements.push({ stateful: true, message: `${removed.id} is deleted and ${added.map((m) => m.id).join(', ')} created: its data is lost` });
    }
  }
  const status = !base ? 'added' : !head ? 'removed' : resources.length + manifests.length === 0 ? 'unchanged' : 'changed';
  return { name, status, resources, manifests, replacements };
}

/** Compares every environment of two refs. */
export function diffOutputs(base: SynthesizedOutput, head: SynthesizedOutput, refs: { readonly base: string; readonly head: string }, only?: readonly string[]): PreviewDiff {
  const names = [...new Set([...Object.keys(base), ...Object.keys(head)])].filter((n) => !only || only.length === 0 || only.includes(n)).sort();
  return { base: refs.base, head: refs.head, environments: names.map((n) => diffEnvironment(n, base[n], head[n])) };
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

const MAX_FIELD_LINES = 20;

function inline(v: Json | undefined): string {
  if (v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s.length > 80 || s.includes('\n')) {
    const lines = s.split('\n').length;
    return lines > 1 ? `(${lines} lines)` : `(${s.length} chars)`;
  }
  return '`' + s.replace(/`/g, "'") + '`';
}

function fieldLine(f: FieldChange): string {
  if (f.old === undefined) return `  - \`${f.path}\`: added ${inline(f.new)}`;
  if (f.new === undefined) return `  - \`${f.path}\`: removed (was ${inline(f.old)})`;
  return `  - \`${f.path}\`: ${inline(f.old)} → ${inline(f.new)}`;
}

function fieldLines(fields: readonly FieldChange[]): string[] {
  const lines = fields.slice(0, MAX_FIELD_LINES).map(fieldLine);
  if (fields.length > MAX_FIELD_LINES) lines.push(`  - … and ${fields.length - MAX_FIELD_LINES} more`);
  return lines;
}

const SIGN: Readonly<Record<ResourceAction, string>> = { add: '+', remove: '-', change: '~', replace: '-/+' };

/** One environment's section. */
export function environmentMarkdown(env: EnvironmentDiff): string[] {
  if (env.status === 'unchanged') return [`### ${env.name}: no changes`];
  if (env.status === 'added' || env.status === 'removed') {
    return [`### ${env.name}: environment ${env.status} (${env.resources.length} resources)`];
  }
  const count = (a: ResourceAction): number => env.resources.filter((r) => r.action === a).length;
  const summary = [`${count('add')} to add`, `${count('change')} to change`, `${count('replace')} to replace`, `${count('remove')} to destroy`];
  if (env.manifests.length > 0) summary.push(`${env.manifests.length} custom resource${env.manifests.length === 1 ? '' : 's'} changed`);
  const lines = [`### ${env.name}: ${summary.join(', ')}`];
  for (const r of env.replacements) {
    lines.push(r.stateful ? `> **⚠️ DESTROY AND RECREATE, DATA LOSS**: ${r.message}` : `> **⚠️ destroy and recreate**: ${r.message}`);
  }
  for (const r of env.resources) {
    const chart = r.chart && !isLocalChart(r.chart) ? ` (${r.chart})` : '';
    const loss = r.stateful && (r.action === 'remove' || r.action === 'replace') ? ` **DATA LOSS**${r.statefulReason ? `: ${r.statefulReason}` : ''}` : '';
    lines.push(`- ${SIGN[r.action]} \`${r.address}\`${chart}${loss}`);
    if (r.chartBump) lines.push(`  - **chart bump** ${r.chartBump.chart}: \`${r.chartBump.from}\` → \`${r.chartBump.to}\``);
    lines.push(...fieldLines([...r.fields, ...r.values]));
  }
  for (const m of env.manifests) {
    const sign = m.action === 'add' ? '+' : m.action === 'remove' ? '-' : '~';
    lines.push(`- ${sign} custom resource \`${m.id}\``);
    lines.push(...fieldLines(m.fields));
  }
  return lines;
}

/** The whole preview as a pull-request comment. */
export function renderMarkdown(diff: PreviewDiff): string {
  const lines = [`## mlobs plan preview: \`${diff.base}\` → \`${diff.head}\``, ''];
  for (const env of diff.environments) lines.push(...environmentMarkdown(env), '');
  return lines.join('\n');
}
