/**
 * CRD contract: a custom resource we emit must validate against the `openAPIV3Schema` of its
 * pinned CustomResourceDefinition in `../shared/crds/<group>/<lowercase kind>.yaml`.
 *
 * `validateCustomResource(obj)` returns error strings (empty when valid);
 * `assertValidCustomResource(obj)` throws one Error listing them all.
 *
 * How the CRD schema is checked (stricter than the API server on purpose):
 * - The version is the one in the object's `apiVersion`; it must exist in the CRD and be
 *   `served` (an unserved or unknown version is an error naming the served ones).
 * - **Unknown fields are errors.** Every object schema that declares `properties` and is not
 *   marked `x-kubernetes-preserve-unknown-fields: true` gets `additionalProperties: false`. The
 *   API server would silently prune such a field, so a typo would deploy and do nothing.
 *   Only the structural skeleton (`properties`, `items`, `additionalProperties`) is closed;
 *   `allOf`/`anyOf`/`oneOf`/`not` branches are value validations and are left as they are.
 * - `metadata` is checked as ObjectMeta: `name` required (a DNS subdomain), known fields only,
 *   `labels`/`annotations` string maps. `apiVersion` and `kind` must match the CRD exactly.
 *   A cluster-scoped kind (ClusterIssuer) must not set `metadata.namespace`.
 * - Kubernetes extensions: `x-kubernetes-int-or-string` (integer or string),
 *   `x-kubernetes-list-type: set` (unique items) and `map` (unique `x-kubernetes-list-map-keys`),
 *   `x-kubernetes-preserve-unknown-fields` (open object). `x-kubernetes-validations` (CEL rules)
 *   are NOT evaluated: those checks need a real API server.
 * - Formats: `int32`/`int64` ranges, `date-time` (RFC 3339), `byte` (base64), `quantity`
 *   (Kubernetes resource quantity); any other format is accepted as is.
 * - Go regular expressions in `pattern`: the inline flag `(?i)` is turned into a
 *   case-insensitive JavaScript RegExp; a pattern JavaScript cannot compile is not checked.
 *
 * Parsed CRDs and compiled validators are cached per process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { closestMatch } from '../../config/suggest';
import { sharedPath } from './paths';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Locating CRDs
// ---------------------------------------------------------------------------------------------

/** The parts of a CustomResourceDefinition this helper uses. */
export interface CrdInfo {
  readonly file: string;
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly versions: readonly { name: string; served: boolean; storage: boolean; schema: unknown }[];
}

const crdCache = new Map<string, CrdInfo>();

/** Reads and summarizes one CRD file. */
function readCrd(file: string): CrdInfo {
  const doc = parseYaml(fs.readFileSync(file, 'utf8'), { uniqueKeys: false });
  const spec = isObject(doc) && isObject(doc.spec) ? doc.spec : undefined;
  const names = spec && isObject(spec.names) ? spec.names : undefined;
  if (!spec || !names || !Array.isArray(spec.versions)) throw new Error(`${file}: not a CustomResourceDefinition`);
  return {
    file,
    group: String(spec.group),
    kind: String(names.kind),
    plural: String(names.plural),
    scope: spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced',
    versions: spec.versions.filter(isObject).map((v) => ({
      name: String(v.name),
      served: v.served === true,
      storage: v.storage === true,
      schema: isObject(v.schema) ? v.schema.openAPIV3Schema : undefined,
    })),
  };
}

/**
 * The pinned CRD for `group` + `kind`, from `../shared/crds/<group>/<kind>.yaml` (falling back
 * to scanning the group's folder). Throws, naming the known groups or kinds, if there is none.
 */
export function findCrd(group: string, kind: string): CrdInfo {
  const key = `${group}/${kind}`;
  const cached = crdCache.get(key);
  if (cached) return cached;
  const root = sharedPath('crds');
  const groupDir = path.join(root, group);
  if (!fs.existsSync(groupDir)) {
    const groups = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    throw new Error(`no pinned CRDs for API group "${group}" in ../shared/crds (groups: ${groups.join(', ')})`);
  }
  const files = fs.readdirSync(groupDir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(groupDir, f));
  const direct = path.join(groupDir, `${kind.toLowerCase()}.yaml`);
  const file = fs.existsSync(direct) ? direct : files.find((f) => declaredKind(f) === kind);
  const info = file ? readCrd(file) : undefined;
  if (!info || info.kind !== kind || info.group !== group) {
    const kinds = files.map(declaredKind).filter((k): k is string => k !== undefined);
    throw new Error(`no pinned CRD for kind "${kind}" in API group "${group}" (kinds: ${kinds.sort().join(', ')})`);
  }
  crdCache.set(key, info);
  return info;
}

/** `spec.names.kind` of a CRD file, read without parsing the (possibly large) YAML. */
function declaredKind(file: string): string | undefined {
  const m = /^\s+kind:\s*([A-Za-z0-9]+)\s*\n\s+listKind:/m.exec(fs.readFileSync(file, 'utf8'));
  return m ? m[1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Schema preparation
// ---------------------------------------------------------------------------------------------

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };

/** ObjectMeta as a client may send it. */
const OBJECT_META_SCHEMA: JsonObject = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN },
    generateName: { type: 'string' },
    namespace: { type: 'string', maxLength: 63, pattern: DNS_LABEL },
    labels: STRING_MAP,
    annotations: STRING_MAP,
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: { type: 'array', items: { type: 'object' } },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: { type: ['string', 'null'] },
    deletionTimestamp: { type: 'string' },
    deletionGracePeriodSeconds: { type: 'integer' },
    managedFields: { type: 'array' },
    selfLink: { type: 'string' },
  },
};

/** Applies the closing and Kubernetes-extension rules (file header) to a structural schema node. */
function prepareNode(node: unknown): unknown {
  if (!isObject(node)) return node;
  const out: JsonObject = { ...node };
  if (isObject(out.properties)) {
    const props: JsonObject = {};
    for (const [k, v] of Object.entries(out.properties)) props[k] = prepareNode(v);
    out.properties = props;
    if (out['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) {
      out.additionalProperties = false;
    }
  }
  if (isObject(out.additionalProperties)) out.additionalProperties = prepareNode(out.additionalProperties);
  if (isObject(out.items)) out.items = prepareNode(out.items);
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined && out.anyOf === undefined) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  return out;
}

/** The schema ajv compiles for one CRD version. */
function prepareSchema(crd: CrdInfo, version: string, openAPIV3Schema: unknown): JsonObject {
  const root = prepareNode(openAPIV3Schema);
  if (!isObject(root)) throw new Error(`${crd.file}: version ${version} has no openAPIV3Schema`);
  const props = isObject(root.properties) ? { ...root.properties } : {};
  props.apiVersion = { type: 'string', const: `${crd.group}/${version}` };
  props.kind = { type: 'string', const: crd.kind };
  props.metadata = OBJECT_META_SCHEMA;
  const required = new Set([...(Array.isArray(root.required) ? root.required.map(String) : []), 'apiVersion', 'kind', 'metadata']);
  return { ...root, type: 'object', properties: props, required: [...required], additionalProperties: false };
}

// ---------------------------------------------------------------------------------------------
// Ajv setup
// ---------------------------------------------------------------------------------------------

/** Go's `(?i)` inline flag becomes the JavaScript `i` flag; other patterns compile as usual. */
const goRegExp = Object.assign(
  (pattern: string, u: string): { test: (s: string) => boolean } => {
    const insensitive = pattern.includes('(?i)');
    const source = pattern.replace(/\(\?i\)/g, '');
    try {
      return new RegExp(source, u + (insensitive ? 'i' : ''));
    } catch {
      return { test: () => true }; // not expressible in JavaScript: not checked (see header)
    }
  },
  { code: 'goRegExp' },
);

const INT32 = 2 ** 31;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

let ajvInstance: Ajv | undefined;

function ajv(): Ajv {
  if (ajvInstance) return ajvInstance;
  // optimize: false roughly halves compile time of the large prometheus-operator schemas.
  const a = new Ajv({ strict: false, allErrors: true, verbose: true, code: { regExp: goRegExp, optimize: false } });
  a.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
  a.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  a.addFormat('date-time', RFC3339);
  a.addFormat('byte', BASE64);
  a.addFormat('quantity', QUANTITY);
  for (const k of ['preserve-unknown-fields', 'int-or-string', 'list-type', 'map-type', 'validations', 'embedded-resource']) {
    a.addKeyword(`x-kubernetes-${k}`);
  }
  a.addKeyword({
    keyword: 'x-kubernetes-list-map-keys',
    type: 'array',
    schemaType: 'array',
    errors: true,
    validate: function listMapKeysUnique(keys: string[], data: unknown[]): boolean {
      const seen = new Set<string>();
      for (const item of data) {
        const id = JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
        if (seen.has(id)) {
          (listMapKeysUnique as unknown as { errors: Partial<ErrorObject>[] }).errors = [
            { keyword: 'x-kubernetes-list-map-keys', message: `duplicate list-map key ${keys.join('/')}=${id}`, params: { keys } },
          ];
          return false;
        }
        seen.add(id);
      }
      return true;
    },
  });
  ajvInstance = a;
  return a;
}

/** Registers every format used by `schema` that ajv does not know yet as "accept anything". */
function registerUnknownFormats(a: Ajv, schema: unknown): void {
  const seen = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (isObject(n)) {
      if (typeof n.format === 'string') seen.add(n.format);
      Object.values(n).forEach(walk);
    }
  };
  walk(schema);
  for (const f of seen) if (!a.formats[f]) a.addFormat(f, true);
}

const validatorCache = new Map<string, ValidateFunction>();

/** The compiled validator for one CRD version (cached). */
function validatorFor(crd: CrdInfo, version: string, openAPIV3Schema: unknown): ValidateFunction {
  const key = `${crd.group}/${version}/${crd.kind}`;
  let v = validatorCache.get(key);
  if (!v) {
    const schema = prepareSchema(crd, version, openAPIV3Schema);
    const a = ajv();
    registerUnknownFormats(a, schema);
    v = a.compile(schema);
    validatorCache.set(key, v);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/** `/spec/dnsNames/0` → `spec.dnsNames[0]`; odd keys in brackets: `metadata.labels["a/b"]`. */
function formatInstancePath(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$-]*$/.test(seg) ? (i === 0 ? seg : `.${seg}`) : `["${seg}"]`))
    .join('');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (isObject(v)) return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** One readable problem per ajv error. */
function problem(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const known = isObject(e.parentSchema) && isObject(e.parentSchema.properties) ? Object.keys(e.parentSchema.properties) : [];
      const field = String(p.additionalProperty);
      const hint = closestMatch(field, known);
      return `unknown field "${field}"${hint ? ` (did you mean "${hint}"?)` : known.length > 0 && known.length <= 12 ? ` (allowed: ${known.join(', ')})` : ''}`;
    }
    case 'required':
      return `missing required field "${String(p.missingProperty)}"`;
    case 'type':
      return `must be ${String(p.type)}, got ${describe(e.data)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}, got ${describe(e.data)}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}, got ${describe(e.data)}`;
    case 'anyOf':
    case 'oneOf':
      return `${e.message ?? 'is invalid'} (got ${describe(e.data)})`;
    default:
      return `${e.message ?? 'is invalid'}${e.data !== undefined && !isObject(e.data) && !Array.isArray(e.data) ? ` (got ${describe(e.data)})` : ''}`;
  }
}

/** Drops errors from inside an anyOf/oneOf that is itself reported (one message per failure). */
function dedupe(errors: readonly ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  return errors.filter(
    (e) => !combinators.some((c) => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`) && e.instancePath.startsWith(c.instancePath)),
  );
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Validates a custom resource against its pinned CRD. Returns one message per problem, each
 * naming the kind, the object's name, the field path and what is wrong, e.g.
 * `Certificate "web" (cert-manager.io/v1): spec.dnsName: unknown field "dnsName" (did you mean "dnsNames"?)`.
 * Returns `[]` when the object is valid.
 */
export function validateCustomResource(obj: unknown): string[] {
  if (!isObject(obj)) return [`custom resource must be an object, got ${describe(obj)}`];
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const name = isObject(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '<no name>';
  const label = `${kind || '<no kind>'} "${name}" (${apiVersion || '<no apiVersion>'})`;
  const slash = apiVersion.lastIndexOf('/');
  if (!kind || slash <= 0) {
    return [`${label}: apiVersion must be "<group>/<version>" and kind must be set to find the CRD`];
  }
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  let crd: CrdInfo;
  try {
    crd = findCrd(group, kind);
  } catch (e) {
    return [`${label}: ${(e as Error).message}`];
  }
  const served = crd.versions.filter((v) => v.served).map((v) => v.name);
  const entry = crd.versions.find((v) => v.name === version);
  if (!entry || !entry.served) {
    const what = entry ? 'exists but is not served' : 'does not exist';
    return [`${label}: version "${version}" of ${crd.plural}.${crd.group} ${what} in the pinned CRD; served versions: ${served.join(', ')}`];
  }
  const validate = validatorFor(crd, version, entry.schema);
  const errors: string[] = [];
  if (!validate(obj)) {
    for (const e of dedupe(validate.errors ?? [])) {
      errors.push(`${label}: ${formatInstancePath(e.instancePath)}: ${problem(e)}`);
    }
  }
  if (crd.scope === 'Cluster' && isObject(obj.metadata) && obj.metadata.namespace !== undefined) {
    errors.push(`${label}: metadata.namespace: ${kind} is cluster-scoped; remove metadata.namespace`);
  }
  return errors;
}

/** Throws one Error listing every problem `validateCustomResource` finds. */
export function assertValidCustomResource(obj: unknown): void {
  const errors = validateCustomResource(obj);
  if (errors.length > 0) {
    throw new Error(`custom resource does not match its pinned CRD (../shared/crds):\n  ${errors.join('\n  ')}`);
  }
}
