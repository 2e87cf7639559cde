/**
 * Turns schema issues into messages a person can act on:
 *   config/staging.yaml: retention.prometheus.time: "30 days" is not a duration; use a number and unit, like "30d" or "720h" (line 12)
 * Every message names the file, the field path, what was received and what is allowed.
 */
import type { z } from 'zod';
import { closestMatch } from './suggest';
import { redactUrlCredentials } from './schema/urls';

/** One problem in one environment file. */
export interface ConfigProblem {
  readonly file: string;
  /** Dotted field path (`retention.prometheus.time`, `labels["a b"]`); empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file, where known. */
  readonly line?: number;
}

/** Thrown when one or more environment files are invalid; carries every problem found. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path ? `${p.file}: ${p.path}:` : `${p.file}:`;
  return `${where} ${p.message}${p.line !== undefined ? ` (line ${p.line})` : ''}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** A short, safe rendering of a received value. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    // Never repeat URL credentials (user:password@, ?token=...) in a message.
    const safe = redactUrlCredentials(value);
    return JSON.stringify(safe.length > 80 ? `${safe.slice(0, 77)}...` : safe);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'a mapping';
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = { record: 'a mapping', object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false' };

// ------------------------------------------------------------------ schema walking

interface ZodDefLike {
  readonly type: string;
  readonly shape?: Record<string, ZodLike>;
  readonly innerType?: ZodLike;
  readonly in?: ZodLike;
  readonly element?: ZodLike;
  readonly valueType?: ZodLike;
  readonly options?: readonly ZodLike[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
}
interface ZodLike {
  readonly _zod: { readonly def: ZodDefLike };
}

function unwrap(s: ZodLike): ZodLike {
  let cur = s;
  for (;;) {
    const d = cur._zod.def;
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'prefault' || d.type === 'nullable' || d.type === 'readonly') && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

/** Allowed values of a literal or enum schema. */
function literalValues(s: ZodLike): unknown[] {
  const d = unwrap(s)._zod.def;
  if (d.values) return [...d.values];
  if (d.entries) return Object.values(d.entries);
  return [];
}

/** The schema node at a data path (following the data to pick union branches). */
function schemaAt(root: ZodLike, path: readonly PropertyKey[], data: unknown): ZodLike | undefined {
  let node: ZodLike | undefined = root;
  let value: unknown = data;
  for (const seg of path) {
    if (!node) return undefined;
    node = pickBranch(unwrap(node), value);
    const d: ZodDefLike = node._zod.def;
    if (d.type === 'object' && d.shape) node = d.shape[String(seg)];
    else if (d.type === 'array' && d.element) node = d.element;
    else if (d.type === 'record' && d.valueType) node = d.valueType;
    else return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  return node ? pickBranch(unwrap(node), value) : undefined;
}

function pickBranch(node: ZodLike, value: unknown): ZodLike {
  const d = node._zod.def;
  if (d.type !== 'union' || !d.options || !d.discriminator) return node;
  const tag = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[d.discriminator] : undefined;
  for (const opt of d.options) {
    const shape = unwrap(opt)._zod.def.shape;
    const disc = shape?.[d.discriminator];
    if (disc && literalValues(disc).includes(tag)) return unwrap(opt);
  }
  return node;
}

/** A SecretRef-shaped node: an object of exactly `name` and `key`. */
function isSecretRefNode(node: ZodLike | undefined): boolean {
  const shape = node ? unwrap(node)._zod.def.shape : undefined;
  return shape !== undefined && Object.keys(shape).sort().join(',') === 'key,name';
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

const quoteList = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).join(', ');

/**
 * Converts zod issues (parsed with `reportInput: true`) into problems. Unknown keys become
 * one problem each, with a "did you mean" when a known key is close.
 */
export function issuesToProblems(file: string, schema: z.ZodType, data: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const root = schema as unknown as ZodLike;
  const out: ConfigProblem[] = [];
  for (const iss of issues) {
    const received = 'input' in iss ? iss.input : valueAt(data, iss.path);
    switch (iss.code) {
      case 'unrecognized_keys': {
        const node = schemaAt(root, iss.path, data);
        const allowed = node?._zod.def.shape ? Object.keys(node._zod.def.shape) : [];
        for (const key of iss.keys) {
          const hint = closestMatch(key, allowed);
          out.push({
            file,
            path: formatPath([...iss.path, key]),
            message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; allowed keys here: ${allowed.join(', ')}`,
          });
        }
        break;
      }
      case 'invalid_value':
        out.push({ file, path: formatPath(iss.path), message: `${show(received)} is not allowed; use one of ${quoteList(iss.values)}` });
        break;
      case 'invalid_union': {
        const u = iss as typeof iss & { discriminator?: string; options?: readonly unknown[] };
        if (u.discriminator && u.options) {
          // zod reports a bad discriminator at <path>.<discriminator> with the allowed tags.
          const tag = valueAt(data, iss.path);
          out.push({
            file,
            path: formatPath(iss.path),
            message: tag === undefined ? `is required; use one of ${quoteList(u.options)}` : `${show(tag)} is not allowed; use one of ${quoteList(u.options)}`,
          });
        } else {
          out.push({ file, path: formatPath(iss.path), message: `${show(received)} matches none of the allowed forms` });
        }
        break;
      }
      case 'invalid_type': {
        // A custom message from the schema wins (it knows what to suggest).
        const custom = iss.message && !iss.message.startsWith('Invalid input') ? iss.message : undefined;
        const expected = EXPECTED_NAMES[iss.expected] ?? iss.expected;
        if (received === undefined) {
          out.push({ file, path: formatPath(iss.path), message: custom ?? `is required (${expected})` });
        } else if (received !== null && typeof received !== 'object' && isSecretRefNode(schemaAt(root, iss.path, data))) {
          // Somebody wrote the credential itself: say so, and never repeat it in the message.
          out.push({
            file,
            path: formatPath(iss.path),
            message: `must reference an existing Secret, not hold the credential (the value is not shown); please set: { name: <secret>, key: <key> } and remove the literal from the file and its history`,
          });
        } else {
          const got = received !== null && typeof received === 'object' ? show(received) : `${typeName(received)} ${show(received)}`;
          out.push({ file, path: formatPath(iss.path), message: custom ? `${show(received)} ${custom}` : `expected ${expected}, received ${got}` });
        }
        break;
      }
      case 'too_small':
      case 'too_big': {
        const custom = iss.message && !/^Too (small|big)/.test(iss.message) ? iss.message : undefined;
        const bound = iss.code === 'too_small' ? `at least ${String(iss.minimum)}` : `at most ${String(iss.maximum)}`;
        out.push({ file, path: formatPath(iss.path), message: `${show(received)} ${custom ?? `must be ${bound}`}` });
        break;
      }
      case 'custom':
        // Cross-field checks write complete sentences that already quote what they compare.
        out.push({ file, path: formatPath(iss.path), message: iss.message.startsWith('"') || /^\d/.test(iss.message) || iss.message.startsWith('is ') ? iss.message : `${show(received)} ${iss.message}` });
        break;
      case 'invalid_key': {
        // A record key (a label key) failed: say why with the key's own check, not "Invalid key in record".
        const inner = (iss as typeof iss & { issues?: readonly { message: string }[] }).issues?.[0];
        const key = iss.path[iss.path.length - 1];
        out.push({ file, path: formatPath(iss.path), message: `${show(key)} ${inner?.message ?? iss.message}` });
        break;
      }
      default:
        out.push({ file, path: formatPath(iss.path), message: `${show(received)} ${iss.message}` });
    }
  }
  return out;
}
