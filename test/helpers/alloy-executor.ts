/**
 * Executes the regex stages of a generated Alloy `loki.process` component the way the agent does:
 * stages in file order, `stage.match` gates honoured (label matchers on the entry's current
 * labels, then line filters `|=`, `!=`, `|~`, `!~` ANDed, as Alloy's internal/loki/logql reads
 * them), a `stage.regex` with a `source` skipped when the source is not in the extracted map, and
 * every named group of a match written to the extracted map ("" for a group that did not take
 * part, like Go's FindStringSubmatch). Regexes run on RE2 (the `re2` package, the family of Go's regexp).
 *
 * The label stages run too, as in Alloy's stages/labels.go, static_labels.go, label_drop.go and
 * label_keep.go: `stage.labels` sets a label from an extracted value whenever the key is in the
 * map (an empty value included; a value that is not valid UTF-8 is skipped), `stage.static_labels`
 * sets fixed values, `stage.label_drop` / `stage.label_keep` remove labels. A label set to "" reads
 * like an absent one in a matcher (`e.Labels[name]` is "" either way).
 *
 * As in Alloy's pipeline.go, the extracted map starts with the entry's labels. The volume stages
 * run too (contracts/log-volume.ts): a `stage.match` with `action = "drop"` drops the entry and
 * counts it under its `drop_counter_reason` (match.go); `stage.limit` is a token bucket per value
 * of its `by_label_name` label (limit.go, golang.org/x/time/rate: it starts full at `burst`
 * tokens, refills at `rate` per second, a line takes one token or is dropped as
 * `ratelimit_drop_stage`; time is the caller's clock, `run(line, labels, { at })`; the
 * generational reset at 10000 keys is not modelled); `stage.structured_metadata` takes each
 * name from the extracted map, then from a label of that name, which it removes
 * (structured_metadata.go).
 *
 * `stage.template` runs when its template is literal text and `{{ .key }}` actions only (a
 * missing key prints `<no value>`, as Go's text/template does on a map; an empty result deletes
 * the key, template.go); any other template, `stage.json` and the remaining stages are read but
 * not run (Go templates and JMESPath have no engine here); {@link catalogFields} merges the
 * extracted map the way the generated templates do, for the fields copied unchanged.
 *
 * Shared by the tests that hold the pipeline equal to the reference engine and by
 * `npm run bench:pipeline`.
 */
import { isUtf8 } from 'node:buffer';
import { ML_LOG_CATALOG } from '../../constructs/mllogs/catalog';
import { extractorPrefix, formatPrefix, markerName, markName, eventRuleCapture } from '../../constructs/mllogs/naming';
import type { MlLogCatalog } from '../../constructs/mllogs/types';

interface Re2Like {
  exec(s: Buffer): (Buffer | undefined)[] | null;
  test(s: Buffer): boolean;
}
type Re2Ctor = new (pattern: string, flags?: string) => Re2Like;
/** The re2 package's RegExp-like object with the `g` and `d` flags (indices of each group). */
interface Re2Global {
  lastIndex: number;
  exec(s: string): (RegExpExecArray & { indices: ([number, number] | undefined)[] }) | null;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RE2 = require('re2') as Re2Ctor;

// ---------------------------------------------------------------- River (Alloy syntax), the subset the generator writes

/** A River block: attributes (raw value text; strings decoded) and nested blocks in order. */
export interface RiverBlock {
  readonly name: string;
  readonly label?: string;
  readonly attrs: Map<string, string>;
  readonly blocks: RiverBlock[];
  /** The `//` comment lines right before the block. */
  readonly comments: string[];
}

class RiverReader {
  private i = 0;
  private pendingComments: string[] = [];
  constructor(private readonly text: string) {}

  private skip(): void {
    for (;;) {
      const c = this.text[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.i++;
      else if (c === '/' && this.text[this.i + 1] === '/') {
        const end = this.text.indexOf('\n', this.i);
        const stop = end < 0 ? this.text.length : end;
        this.pendingComments.push(this.text.slice(this.i + 2, stop).trim());
        this.i = stop;
      } else return;
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.text[this.i] !== '"') this.i += this.text[this.i] === '\\' ? 2 : 1;
    this.i++;
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }

  /** A value's raw text up to the end of the attribute (strings decoded when the value is one string). */
  private value(): string {
    const start = this.i;
    let depth = 0;
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '"') {
        this.string();
        continue;
      }
      if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === '\n' && depth === 0) break;
      this.i++;
    }
    const raw = this.text.slice(start, this.i).trim();
    return /^"(?:[^"\\]|\\.)*"$/.test(raw) ? (JSON.parse(raw) as string) : raw;
  }

  body(): { attrs: Map<string, string>; blocks: RiverBlock[] } {
    const attrs = new Map<string, string>();
    const blocks: RiverBlock[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.text.length || this.text[this.i] === '}') return { attrs, blocks };
      const m = /^[A-Za-z_][\w.]*/.exec(this.text.slice(this.i, this.i + 200));
      if (!m) throw new Error(`River: unexpected ${JSON.stringify(this.text.slice(this.i, this.i + 40))}`);
      const name = m[0];
      this.i += name.length;
      const comments = this.pendingComments;
      this.pendingComments = [];
      this.skip();
      if (this.text[this.i] === '=') {
        this.i++;
        this.skip();
        attrs.set(name, this.value());
        continue;
      }
      let label: string | undefined;
      if (this.text[this.i] === '"') {
        label = this.string();
        this.skip();
      }
      if (this.text[this.i] !== '{') throw new Error(`River: expected { after ${name}`);
      this.i++;
      const inner = this.body();
      this.i++; // }
      blocks.push({ name, ...(label !== undefined ? { label } : {}), attrs: inner.attrs, blocks: inner.blocks, comments });
    }
  }
}

/** The top-level blocks of a River text. */
export function parseRiver(text: string): RiverBlock[] {
  return new RiverReader(text).body().blocks;
}

// ---------------------------------------------------------------- LogQL selector of stage.match (Alloy's internal/loki/logql grammar)

interface LabelMatcher {
  readonly name: string;
  test(value: string): boolean;
}
interface LineFilter {
  readonly op: '|=' | '!=' | '|~' | '!~';
  readonly text: string;
  readonly re?: Re2Like;
}

/** A label matcher of a selector, as text. */
export interface MatcherData {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}
/** A line filter of a selector, as text. */
export interface FilterData {
  readonly op: LineFilter['op'];
  readonly text: string;
}

/** `{a="b", c=~"d"} |= "x" |~ "y"` read as text: label matchers (at least one) and line filters, all ANDed. */
export function selectorData(selector: string): { matchers: MatcherData[]; filters: FilterData[] } {
  const tok = /\s*(?:("(?:[^"\\]|\\.)*")|(=~|!~|!=|\|=|\|~|=|\{|\}|,)|([A-Za-z_]\w*))/y;
  const tokens: string[] = [];
  for (let m = tok.exec(selector); m; m = tok.exec(selector)) tokens.push(m[0].trim());
  if (tok.lastIndex !== 0 && selector.slice(tok.lastIndex).trim() !== '') throw new Error(`selector: cannot read ${selector}`);
  let i = 0;
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`selector: unexpected end of ${selector}`);
    return t;
  };
  const str = (): string => {
    const t = next();
    if (!t.startsWith('"')) throw new Error(`selector: expected a string in ${selector}`);
    return JSON.parse(t) as string;
  };
  if (next() !== '{') throw new Error(`selector: must start with {: ${selector}`);
  const matchers: MatcherData[] = [];
  for (;;) {
    const name = next();
    const op = next();
    const value = str();
    if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') throw new Error(`selector: bad matcher ${op}`);
    matchers.push({ name, op, value });
    const sep = next();
    if (sep === '}') break;
    if (sep !== ',') throw new Error(`selector: expected , or } in ${selector}`);
  }
  const filters: FilterData[] = [];
  while (i < tokens.length) {
    const op = next();
    if (op !== '|=' && op !== '!=' && op !== '|~' && op !== '!~') throw new Error(`selector: bad line filter ${op} in ${selector}`);
    filters.push({ op, text: str() });
  }
  return { matchers, filters };
}

/** `{a="b", c=~"d"} |= "x" |~ "y"`: label matchers (at least one) and line filters, all ANDed. */
export function parseSelector(selector: string): { matchers: LabelMatcher[]; filters: LineFilter[] } {
  const data = selectorData(selector);
  const matchers = data.matchers.map(({ name, op, value }): LabelMatcher => {
    const re = op === '=~' || op === '!~' ? new RE2(`^(?:${value})$`, 'u') : undefined;
    // a regex matcher's answer per label value is remembered: label values repeat, and Prometheus'
    // FastRegexMatcher answers `.+`-like matchers without a regex run, where an RE2 call from JS
    // would cost a native round trip per entry
    const seen = new Map<string, boolean>();
    const reTest = (v: string): boolean => {
      let hit = seen.get(v);
      if (hit === undefined) {
        hit = re!.test(Buffer.from(v));
        if (seen.size < 1024) seen.set(v, hit);
      }
      return hit;
    };
    const test = op === '=' ? (v: string) => v === value : op === '!=' ? (v: string) => v !== value : op === '=~' ? reTest : (v: string) => !reTest(v);
    return { name, test };
  });
  const filters = data.filters.map(({ op, text }): LineFilter => (op === '|~' || op === '!~' ? { op, text, re: new RE2(text, 'u') } : { op, text }));
  return { matchers, filters };
}

// ---------------------------------------------------------------- the executable stage tree

/** A stage.regex (or the regex of a stage.replace: it runs, but writes nothing we read). */
interface RegexStage {
  readonly kind: 'regex';
  readonly what: string;
  readonly expression: string;
  readonly source?: string;
  readonly re: Re2Like;
  readonly names: readonly (string | undefined)[];
  /** A stage.replace's template (a literal: the generator writes no template actions). */
  readonly replace?: string;
  /** The same expression, global with indices, for the replacement. */
  readonly all?: Re2Global;
}
interface MatchStage {
  readonly kind: 'match';
  readonly selector: string;
  readonly data: ReturnType<typeof selectorData>;
  readonly matchers: readonly LabelMatcher[];
  readonly filters: readonly LineFilter[];
  readonly stages: readonly Stage[];
}
/** A stage that changes the entry's labels. */
interface LabelStage {
  readonly kind: 'labels';
  readonly op: 'from_extracted' | 'static' | 'drop' | 'keep';
  /** Label -> extracted key (from_extracted) or value (static); names (drop, keep). */
  readonly values: ReadonlyMap<string, string>;
}
/** stage.json with top-level keys (the generator's subset of JMESPath): extracted key -> JSON key. */
interface JsonStage {
  readonly kind: 'json';
  readonly expressions: ReadonlyMap<string, string>;
}
interface OtherStage {
  readonly kind: 'other';
  readonly name: string;
  /** A stage.template this executor does not run: its source and Go template text. */
  readonly template?: { readonly source: string; readonly text: string };
  /** A stage.json this executor does not run: its JMESPath expressions and source. */
  readonly json?: { readonly expressions: ReadonlyMap<string, string>; readonly source?: string };
  /** A stage.metrics (this executor does not run it): its metric blocks. */
  readonly metrics?: readonly MetricData[];
}
/** One metric block of a stage.metrics, as metric.go reads it. */
export interface MetricData {
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** prefix + name. */
  readonly name: string;
  readonly source?: string;
  readonly action?: string;
  readonly matchAll: boolean;
  readonly value?: string;
}
/** A stage.template whose template is literal text and `{{ .key }}` actions. */
interface TemplateStage {
  readonly kind: 'template';
  readonly source: string;
  /** Literal text and keys, in order. */
  readonly parts: readonly ({ readonly text: string } | { readonly key: string })[];
  /** The Go template text. */
  readonly text: string;
}
/** A stage.match with `action = "drop"`. */
interface DropStage {
  readonly kind: 'drop';
  readonly data: ReturnType<typeof selectorData>;
  readonly matchers: readonly LabelMatcher[];
  readonly filters: readonly LineFilter[];
  readonly reason: string;
}
/** A stage.limit (drop mode, by label). */
interface LimitStage {
  readonly kind: 'limit';
  readonly rate: number;
  readonly burst: number;
  readonly byLabel?: string;
  /** Token buckets by label value (a single one under "" without by_label_name). */
  readonly buckets: Map<string, { tokens: number; last: number }>;
}
/** A stage.structured_metadata: metadata name -> extracted key / label name. */
interface MetadataStage {
  readonly kind: 'metadata';
  readonly values: ReadonlyMap<string, string>;
}
type Stage = RegexStage | MatchStage | LabelStage | JsonStage | OtherStage | TemplateStage | DropStage | LimitStage | MetadataStage;

/** `{ a = "x", b = "" }` or `["a", "b"]` as River writes them (the generator's subset). */
function riverStrings(raw: string | undefined, what: string): Map<string, string> {
  if (raw === undefined) throw new Error(`${what} without values`);
  const out = new Map<string, string>();
  if (raw.startsWith('[')) {
    for (const m of raw.matchAll(/"((?:[^"\\]|\\.)*)"/g)) out.set(JSON.parse(`"${m[1]}"`) as string, '');
    return out;
  }
  for (const m of raw.matchAll(/([A-Za-z_]\w*|"(?:[^"\\]|\\.)*")\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
    out.set(m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!, JSON.parse(`"${m[2]}"`) as string);
  }
  return out;
}

const LABEL_STAGES: Readonly<Record<string, LabelStage['op']>> = {
  'stage.labels': 'from_extracted',
  'stage.static_labels': 'static',
  'stage.label_drop': 'drop',
  'stage.label_keep': 'keep',
};

function groupNames(expression: string): (string | undefined)[] {
  // RE2 (Go) syntax: capture groups are `(` not followed by `?`, and `(?P<name>`; escapes and classes skipped
  const names: (string | undefined)[] = [];
  let inClass = false;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') {
      inClass = true;
      if (expression[i + 1] === '^') i++;
      if (expression[i + 1] === ']') i++;
    } else if (c === '(') {
      const named = /^\(\?P?<(\w+)>/.exec(expression.slice(i));
      if (named) names.push(named[1]);
      else if (expression[i + 1] !== '?') names.push(undefined);
    }
  }
  return names;
}

function toStages(blocks: readonly RiverBlock[]): Stage[] {
  return blocks
    .filter((b) => b.name.startsWith('stage.'))
    .map((b): Stage => {
      const what = b.comments.at(-1) ?? b.name;
      if (b.name === 'stage.regex' || b.name === 'stage.replace') {
        const expression = b.attrs.get('expression');
        if (expression === undefined) throw new Error(`${b.name} without expression`);
        const source = b.attrs.get('source');
        // the re2 package reads JavaScript-style named groups; (?P<n>...) is the same group
        const re = new RE2(expression, 'u');
        return {
          kind: 'regex',
          what: b.name === 'stage.replace' ? `replace: ${what}` : what,
          expression,
          ...(source !== undefined ? { source } : {}),
          re,
          names: b.name === 'stage.regex' ? groupNames(expression) : [],
          ...(b.name === 'stage.replace' ? replaceOf(b, expression) : {}),
        };
      }
      const labelOp = LABEL_STAGES[b.name];
      if (labelOp) {
        const values = riverStrings(b.attrs.get('values'), b.name);
        // stage.labels: an empty source names the extracted key of the label's own name
        if (labelOp === 'from_extracted') for (const [k, v] of values) if (v === '') values.set(k, k);
        return { kind: 'labels', op: labelOp, values };
      }
      if (b.name === 'stage.json') {
        // stage.json on an extracted value (the catalog's nested JSON) is not executed here
        const jsonSource = b.attrs.get('source');
        const raw = riverStrings(b.attrs.get('expressions'), b.name);
        for (const [k, v] of raw) if (v === '') raw.set(k, k);
        const json = { expressions: raw, ...(jsonSource !== undefined ? { source: jsonSource } : {}) };
        if (jsonSource !== undefined) return { kind: 'other', name: b.name, json };
        const expressions = riverStrings(b.attrs.get('expressions'), b.name);
        for (const [k, v] of expressions) if (v === '') expressions.set(k, k);
        // top-level keys are executed; the catalog's JMESPath mappings are not (their result is
        // compared through the reference engine's JSON mapping instead, as before)
        if (![...expressions.values()].every((v) => /^[A-Za-z_]\w*$/.test(v))) return { kind: 'other', name: b.name, json };
        return { kind: 'json', expressions };
      }
      if (b.name === 'stage.match') {
        const selector = b.attrs.get('selector');
        if (selector === undefined) throw new Error('stage.match without selector');
        const action = b.attrs.get('action') ?? 'keep';
        if (action === 'drop') {
          if (b.blocks.length > 0) throw new Error('stage.match: a drop action cannot hold stages (match.go)');
          return { kind: 'drop', ...parseSelector(selector), data: selectorData(selector), reason: b.attrs.get('drop_counter_reason') ?? 'match_stage' };
        }
        if (action !== 'keep') throw new Error(`stage.match: action "${action}" is not keep or drop`);
        return { kind: 'match', selector, ...parseSelector(selector), data: selectorData(selector), stages: toStages(b.blocks) };
      }
      if (b.name === 'stage.template') {
        const source = b.attrs.get('source');
        const template = b.attrs.get('template');
        if (!source || template === undefined) throw new Error('stage.template without source or template');
        const parts = simpleTemplate(template);
        return parts ? { kind: 'template', source, parts, text: template } : { kind: 'other', name: b.name, template: { source, text: template } };
      }
      if (b.name === 'stage.limit') {
        const rate = Number(b.attrs.get('rate'));
        const burst = Number(b.attrs.get('burst'));
        if (!(rate > 0) || !(burst > 0) || !Number.isInteger(burst)) throw new Error('stage.limit: rate and burst must be positive (limit.go)');
        const byLabel = b.attrs.get('by_label_name');
        if (b.attrs.get('drop') !== 'true') throw new Error('stage.limit: only drop = true is executed here (without it the stage waits, and by label it must drop)');
        return { kind: 'limit', rate, burst, ...(byLabel ? { byLabel } : {}), buckets: new Map() };
      }
      if (b.name === 'stage.structured_metadata') {
        if (b.attrs.has('regex')) throw new Error('stage.structured_metadata: regex is not executed here');
        const values = riverStrings(b.attrs.get('values'), b.name);
        for (const [k, v] of values) if (v === '') values.set(k, k);
        return { kind: 'metadata', values };
      }
      if (b.name === 'stage.metrics') {
        const metrics = b.blocks.map((m): MetricData => {
          const type = m.name.replace(/^metric\./, '');
          if (type !== 'counter' && type !== 'gauge' && type !== 'histogram') throw new Error(`stage.metrics: ${m.name}`);
          const attr = (k: string): string | undefined => m.attrs.get(k);
          return {
            type,
            name: `${attr('prefix') ?? 'loki_process_custom_'}${attr('name') ?? ''}`,
            ...(attr('source') !== undefined ? { source: attr('source')! } : {}),
            ...(attr('action') !== undefined ? { action: attr('action')! } : {}),
            matchAll: attr('match_all') === 'true',
            ...(attr('value') !== undefined ? { value: attr('value')! } : {}),
          };
        });
        return { kind: 'other', name: b.name, metrics };
      }
      return { kind: 'other', name: b.name };
    });
}

/** `{{ .key }}` actions and literal text, or undefined for any other template. */
function simpleTemplate(t: string): ({ text: string } | { key: string })[] | undefined {
  const parts: ({ text: string } | { key: string })[] = [];
  let rest = t;
  while (rest.length > 0) {
    const at = rest.indexOf('{{');
    if (at < 0) {
      if (rest.includes('}}')) return undefined;
      parts.push({ text: rest });
      break;
    }
    if (at > 0) parts.push({ text: rest.slice(0, at) });
    const m = /^\{\{ ?\.([A-Za-z_]\w*) ?\}\}/.exec(rest.slice(at));
    if (!m) return undefined;
    parts.push({ key: m[1]! });
    rest = rest.slice(at + m[0].length);
  }
  return parts;
}

/** Why the pipeline dropped a line. */
export interface LineDrop {
  /** The `reason` of `loki_process_dropped_lines_total`. */
  readonly reason: string;
  /** A stage.limit by label: the label's name and value (`loki_process_dropped_lines_by_label_total`). */
  readonly byLabel?: { readonly name: string; readonly value: string };
}

/** What one line did in the pipeline. */
export interface LineRun {
  /** The extracted map after the regex stages. */
  readonly extracted: Map<string, string>;
  /** Regex evaluations of `stage.regex` stages (each `what` once per run), in order. */
  readonly regexRuns: string[];
  /** Regex evaluations of `stage.replace` stages (the multiline marks: they run on every line). */
  readonly replaceRuns: number;
  /** Gates evaluated, and how many of them let the line through. */
  readonly gates: number;
  readonly gatesPassed: number;
  /** The entry's labels after the stages. */
  readonly labels: Readonly<Record<string, string>>;
  /** The line as stored, after the stages (stage.replace changes it). */
  readonly line: string;
  /** Structured metadata the stages attached. */
  readonly structuredMetadata: Readonly<Record<string, string>>;
  /** Set when a stage dropped the line (nothing after it ran). */
  readonly dropped?: LineDrop;
}

/** Options of one run. */
export interface RunOptions {
  /** The processing time in seconds, for stage.limit (Alloy uses the wall clock). @default 0 */
  readonly at?: number;
}

export interface AlloyPipeline {
  /** Stage count by kind, nested stages included. */
  readonly counts: { readonly regex: number; readonly match: number; readonly labels: number; readonly json: number; readonly other: number; readonly template: number; readonly drop: number; readonly limit: number; readonly metadata: number };
  run(line: string, labels?: Readonly<Record<string, string>>, options?: RunOptions): LineRun;
  /** Same work as {@link run}, without recording it (for the benchmark). */
  runQuiet(line: string, labels?: Readonly<Record<string, string>>): void;
}

/** The stages of `loki.process "<component>"` in a generated Alloy config (or of bare stage blocks). */
export function loadAlloyPipeline(configText: string, component = 'ml'): AlloyPipeline {
  const top = parseRiver(configText);
  const proc = top.find((b) => b.name === 'loki.process' && b.label === component);
  const stages = toStages(proc ? proc.blocks : top);
  const counts = { regex: 0, match: 0, labels: 0, json: 0, other: 0, template: 0, drop: 0, limit: 0, metadata: 0 };
  const count = (list: readonly Stage[]): void => {
    for (const s of list) {
      counts[s.kind]++;
      if (s.kind === 'match') count(s.stages);
    }
  };
  count(stages);

  // Go's regexp reads the bytes of the string and a submatch is a slice of it: the line is encoded
  // once, extracted values stay bytes (re2's Buffer in, Buffer out) and become text only for the record.
  const exec = (list: readonly Stage[], entry: Entry, labels: Map<string, string>, extracted: Map<string, Buffer>, rec: LineRunMutable | undefined): void => {
    for (const s of list) {
      if (entry.dropped) return;
      if (s.kind === 'regex') {
        if (s.all && s.replace !== undefined && s.source === undefined) {
          // stage.replace on the line: every capture group of every match becomes the template's text
          if (rec) rec.replaceRuns++;
          const out = replaceGroups(s.all, entry.line, s.replace);
          if (out !== entry.line) {
            entry.line = out;
            entry.bytes = Buffer.from(out, 'utf8');
          }
          continue;
        }
        let input = entry.bytes;
        if (s.source !== undefined) {
          const v = extracted.get(s.source);
          if (v === undefined) continue;
          input = v;
        }
        if (rec) {
          if (s.names.length === 0) rec.replaceRuns++;
          else rec.regexRuns.push(s.what);
        }
        if (s.names.length === 0) {
          s.re.test(input);
          continue;
        }
        const m = s.re.exec(input);
        if (!m) continue;
        for (let i = 0; i < s.names.length; i++) {
          const name = s.names[i];
          if (name) extracted.set(name, m[i + 1] ?? EMPTY);
        }
      } else if (s.kind === 'match') {
        if (rec) rec.gates++;
        if (!s.matchers.every((mt) => mt.test(labels.get(mt.name) ?? ''))) continue;
        let pass = true;
        for (const f of s.filters) {
          const hit = f.re ? f.re.test(entry.bytes) : entry.line.includes(f.text);
          if (hit !== (f.op === '|=' || f.op === '|~')) {
            pass = false;
            break;
          }
        }
        if (!pass) continue;
        if (rec) rec.gatesPassed++;
        exec(s.stages, entry, labels, extracted, rec);
      } else if (s.kind === 'json') {
        // Alloy's json stage: a line that is not JSON leaves the extracted map as it was; a string
        // value is taken as is, any other value as its JSON text
        let doc: unknown;
        try {
          doc = JSON.parse(entry.line) as unknown;
        } catch {
          continue;
        }
        if (typeof doc !== 'object' || doc === null) continue;
        for (const [key, field] of s.expressions) {
          const v = (doc as Record<string, unknown>)[field];
          if (v === undefined || v === null) continue;
          extracted.set(key, Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8'));
        }
      } else if (s.kind === 'drop') {
        if (!s.matchers.every((mt) => mt.test(labels.get(mt.name) ?? ''))) continue;
        if (!s.filters.every((f) => (f.re ? f.re.test(entry.bytes) : entry.line.includes(f.text)) === (f.op === '|=' || f.op === '|~'))) continue;
        entry.dropped = { reason: s.reason };
      } else if (s.kind === 'template') {
        const out = s.parts.map((p) => ('text' in p ? p.text : (extracted.get(p.key)?.toString('utf8') ?? '<no value>'))).join('');
        if (out === '') extracted.delete(s.source);
        else extracted.set(s.source, Buffer.from(out, 'utf8'));
      } else if (s.kind === 'limit') {
        const key = s.byLabel === undefined ? '' : labels.get(s.byLabel);
        if (key === undefined) continue; // no label: not limited (limit.go)
        let b = s.buckets.get(key);
        if (!b) {
          b = { tokens: s.burst, last: entry.at };
          s.buckets.set(key, b);
        }
        b.tokens = Math.min(s.burst, b.tokens + Math.max(0, entry.at - b.last) * s.rate);
        b.last = Math.max(b.last, entry.at);
        if (b.tokens >= 1) b.tokens -= 1;
        else entry.dropped = { reason: 'ratelimit_drop_stage', ...(s.byLabel !== undefined ? { byLabel: { name: s.byLabel, value: key } } : {}) };
      } else if (s.kind === 'metadata') {
        for (const [name, key] of s.values) {
          const v = extracted.get(key);
          if (v !== undefined && isUtf8(v)) entry.metadata.set(name, v.toString('utf8'));
        }
        for (const [name, key] of s.values) {
          const v = labels.get(key);
          if (v !== undefined) {
            entry.metadata.set(name, v);
            labels.delete(key);
          }
        }
      } else if (s.kind === 'labels') {
        if (s.op === 'from_extracted') {
          for (const [name, key] of s.values) {
            const v = extracted.get(key);
            if (v !== undefined && isUtf8(v)) labels.set(name, v.toString('utf8'));
          }
        } else if (s.op === 'static') {
          for (const [name, value] of s.values) labels.set(name, value);
        } else if (s.op === 'drop') {
          for (const name of s.values.keys()) labels.delete(name);
        } else {
          for (const name of [...labels.keys()]) if (!s.values.has(name)) labels.delete(name);
        }
      }
    }
  };

  return {
    counts,
    run(line, labels = {}, options = {}) {
      const rec: LineRunMutable = { extracted: new Map(), regexRuns: [], replaceRuns: 0, gates: 0, gatesPassed: 0, labels: {}, line, structuredMetadata: {} };
      const extracted = seeded(labels);
      const entryLabels = new Map(Object.entries(labels));
      const entry: Entry = { line, bytes: Buffer.from(line, 'utf8'), at: options.at ?? 0, metadata: new Map() };
      exec(stages, entry, entryLabels, extracted, rec);
      for (const [k, v] of extracted) rec.extracted.set(k, v.toString('utf8'));
      rec.labels = Object.fromEntries(entryLabels);
      rec.line = entry.line;
      rec.structuredMetadata = Object.fromEntries(entry.metadata);
      if (entry.dropped) rec.dropped = entry.dropped;
      return rec;
    },
    runQuiet(line, labels = {}) {
      exec(stages, { line, bytes: Buffer.from(line, 'utf8'), at: 0, metadata: new Map() }, new Map(Object.entries(labels)), seeded(labels), undefined);
    },
  };
}

const EMPTY = Buffer.alloc(0);

/** The extracted map a pipeline starts with: the entry's labels (pipeline.go). */
function seeded(labels: Readonly<Record<string, string>>): Map<string, Buffer> {
  return new Map(Object.entries(labels).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

/** The entry a stage list reads and a stage.replace rewrites. */
interface Entry {
  line: string;
  bytes: Buffer;
  /** Processing time, seconds (stage.limit). */
  at: number;
  metadata: Map<string, string>;
  dropped?: LineDrop;
}

function replaceOf(b: RiverBlock, expression: string): { replace: string; all: Re2Global } {
  const replace = b.attrs.get('replace') ?? '';
  if (replace.includes('{{')) throw new Error(`stage.replace: template actions are not executed here (${replace})`);
  return { replace, all: new RE2(expression, 'gud') as unknown as Re2Global };
}

/**
 * Alloy's stage.replace on a line (internal/component/loki/process/stages/replace.go, read at
 * grafana/alloy 095d0f0): for every match left to right, each participating capture group is
 * replaced by the template's output; a group starting before the previous one's end is skipped.
 */
export function replaceGroups(all: Re2Global, input: string, replacement: string): string {
  all.lastIndex = 0;
  let result = '';
  let previousEnd = 0;
  let any = false;
  for (let m = all.exec(input); m !== null; m = all.exec(input)) {
    any = true;
    const indices = m.indices;
    for (let g = 1; g < indices.length; g++) {
      const span = indices[g];
      if (!span) continue;
      if (previousEnd === 0 || previousEnd <= span[0]) {
        result += input.slice(previousEnd, span[0]) + replacement;
        previousEnd = span[1];
      }
    }
    // (Go skips an empty match abutting the previous one; the generated expressions never match empty but the multiline mark at ^)
    if (m[0] === '') all.lastIndex++;
  }
  return any ? result + input.slice(previousEnd) : input;
}

type LineRunMutable = { -readonly [K in keyof LineRun]: LineRun[K] };

// ---------------------------------------------------------------- the templates' merge, for fields copied unchanged

/** Format, event and raw captures as the generated templates merge them from the extracted map. */
export interface MergedCaptures {
  readonly formatId?: string;
  /** Capture name -> value (format first, then extractors filling empty ones), before normalization. */
  readonly raw: Map<string, string>;
  readonly event?: string | null;
}

/**
 * The template stages' logic on the extracted map of a text line: the first format whose marker is
 * set wins (`mlobs_format`), its captures are copied, extractors fill empty fields in order, and
 * the event is the first event rule found, else the format's, else the first matching extractor's.
 */
export function mergeExtracted(extracted: ReadonlyMap<string, string>, catalog: MlLogCatalog = ML_LOG_CATALOG): MergedCaptures {
  const set = (k: string): string | undefined => {
    const v = extracted.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  const raw = new Map<string, string>();
  const format = catalog.formats.find((f) => set(markerName(formatPrefix(f))) !== undefined);
  if (format) {
    const prefix = formatPrefix(format);
    for (const [k, v] of extracted) if (k.startsWith(prefix) && k !== markerName(prefix) && v !== '') raw.set(k.slice(prefix.length), v);
  }
  let extractorEvent: string | undefined;
  for (const x of catalog.extractors) {
    const prefix = extractorPrefix(x);
    if (set(markerName(prefix)) === undefined) continue;
    for (const [k, v] of extracted) if (k.startsWith(prefix) && k !== markerName(prefix) && k !== markName(prefix) && v !== '' && !raw.has(k.slice(prefix.length))) raw.set(k.slice(prefix.length), v);
    extractorEvent ??= x.event;
  }
  const rule = catalog.eventRules.find((r) => set(eventRuleCapture(r)) !== undefined);
  const event = rule ? rule.event : (format?.event ?? extractorEvent);
  return { ...(format ? { formatId: format.id } : {}), raw, ...(event !== undefined ? { event } : {}) };
}

// ---------------------------------------------------------------- the stage tree as data, for the Go executor (tools/alloy-stages)

/** One stage as tools/alloy-stages reads it (JSON). */
export type StageData =
  | { readonly kind: 'regex'; readonly what: string; readonly expression: string; readonly source?: string }
  | { readonly kind: 'replace'; readonly what: string; readonly expression: string; readonly replace: string; readonly source?: string }
  | { readonly kind: 'match'; readonly matchers: readonly MatcherData[]; readonly filters: readonly FilterData[]; readonly drop: boolean; readonly reason: string; readonly stages: readonly StageData[] }
  | { readonly kind: 'labels'; readonly op: LabelStage['op']; readonly values: readonly (readonly [string, string])[] }
  | { readonly kind: 'json'; readonly expressions: readonly (readonly [string, string])[]; readonly source?: string; readonly simple: boolean }
  | { readonly kind: 'template'; readonly source: string; readonly template: string; readonly parts: readonly ({ readonly text: string } | { readonly key: string })[] | null }
  | { readonly kind: 'limit'; readonly rate: number; readonly burst: number; readonly byLabel?: string }
  | { readonly kind: 'metadata'; readonly values: readonly (readonly [string, string])[] }
  | { readonly kind: 'metrics'; readonly metrics: readonly MetricData[] }
  | { readonly kind: 'other'; readonly name: string };

/**
 * The stages of `loki.process "<component>"` as data: the same reading of the River text as
 * {@link loadAlloyPipeline} (the same stages run, the same are left out), for the Go executor.
 */
export function alloyStageData(configText: string, component = 'ml'): StageData[] {
  const top = parseRiver(configText);
  const proc = top.find((b) => b.name === 'loki.process' && b.label === component);
  if (!proc) throw new Error(`no loki.process "${component}" in the config`);
  const data = (list: readonly Stage[]): StageData[] =>
    list.map((s): StageData => {
      switch (s.kind) {
        case 'regex':
          if (s.replace !== undefined) return { kind: 'replace', what: s.what, expression: s.expression, replace: s.replace, ...(s.source !== undefined ? { source: s.source } : {}) };
          return { kind: 'regex', what: s.what, expression: s.expression, ...(s.source !== undefined ? { source: s.source } : {}) };
        case 'match':
          return { kind: 'match', ...s.data, drop: false, reason: '', stages: data(s.stages) };
        case 'drop':
          return { kind: 'match', ...s.data, drop: true, reason: s.reason, stages: [] };
        case 'labels':
          return { kind: 'labels', op: s.op, values: [...s.values] };
        case 'json':
          return { kind: 'json', expressions: [...s.expressions], simple: true };
        case 'template':
          return { kind: 'template', source: s.source, template: s.text, parts: s.parts };
        case 'limit':
          return { kind: 'limit', rate: s.rate, burst: s.burst, ...(s.byLabel !== undefined ? { byLabel: s.byLabel } : {}) };
        case 'metadata':
          return { kind: 'metadata', values: [...s.values] };
        case 'other':
          // run by the Go executor with Alloy's own libraries (text/template with sprig, JMESPath) in its full mode
          if (s.template) return { kind: 'template', source: s.template.source, template: s.template.text, parts: null };
          if (s.json) return { kind: 'json', expressions: [...s.json.expressions], ...(s.json.source !== undefined ? { source: s.json.source } : {}), simple: false };
          if (s.metrics) return { kind: 'metrics', metrics: s.metrics };
          return { kind: 'other', name: s.name };
      }
    });
  return data(toStages(proc.blocks));
}
