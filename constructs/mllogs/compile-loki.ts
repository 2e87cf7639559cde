/**
 * Compiles the catalog to Loki agent pipeline stages: one stage list (RE2 regexes in Go syntax,
 * Go templates, JMESPath), rendered as Alloy `loki.process` stage blocks and as Promtail
 * `pipeline_stages` objects. Stage order follows `engine.ts` step by step.
 *
 * Extracted-map names: each format's and extractor's captures are prefixed (`naming.ts`) and
 * wrapped in a marker group; templates then merge them by priority.
 */
import { ML_LOG_CATALOG } from './catalog';
import { JSON_LINE_START, NUMERIC_STRING } from './catalog/json';
import { eventRuleCapture, extractorPrefix, formatPrefix, markerName, markName } from './naming';
import { compileTemplate, templateCaptures } from './pattern';
import { LEVELS, type FieldName } from './schema';
import { prefilterSets, type JsonFieldMapping, type MlLogCatalog, type Rewrite } from './types';
import { renderReplacement } from './normalize';

/** One pipeline stage, independent of Alloy/Promtail syntax. */
export type LokiStage =
  | { readonly kind: 'regex'; readonly expression: string; readonly source?: string; readonly comment?: string }
  | { readonly kind: 'json'; readonly expressions: Readonly<Record<string, string>>; readonly source?: string; readonly comment?: string }
  | { readonly kind: 'template'; readonly source: string; readonly template: string; readonly comment?: string }
  | { readonly kind: 'labels'; readonly values: Readonly<Record<string, string>>; readonly comment?: string }
  | { readonly kind: 'static_labels'; readonly values: Readonly<Record<string, string>>; readonly comment?: string }
  | { readonly kind: 'replace'; readonly expression: string; readonly replace: string; readonly comment?: string }
  | { readonly kind: 'label_drop'; readonly values: readonly string[]; readonly comment?: string }
  | { readonly kind: 'match'; readonly selector: string; readonly stages: readonly LokiStage[]; readonly comment?: string };

export interface LokiPipelineOptions {
  /**
   * Extracted fields promoted to Loki labels. Keep to bounded values.
   * @default ['framework', 'level', 'event']
   */
  readonly labels?: readonly ('framework' | 'level' | 'event')[];
}

/**
 * Extracted-map key, and temporary label, set to `{` on a JSON object line (the engine's
 * `JSON_LINE_START`); absent on text lines, whose formats and extractors are gated on
 * `mlobs_json=""` (an absent label reads as the empty value).
 */
export const JSON_KEY = 'mlobs_json';
/**
 * Temporary label set from the marker of the first format that matched; every later format is
 * gated on `mlobs_fmt=""`, so no format runs after the first match (the engine's first match wins).
 */
export const FORMAT_LABEL = 'mlobs_fmt';
/**
 * Temporary label of the gates with several literals: set to the gate's id on a line holding none
 * of them (`!=` filters, ANDed), and the gated stages run where it is not that id. The agents'
 * LogQL has no `or` between `|=` filters, and `|~ "a|b"` is a Go regexp searched through the
 * whole line (no literal fast path in Alloy's logql copy: 3 to 9 us a line for the catalog's
 * alternations, against some 25 ns for each bytes.Contains; `npm run bench:pipeline`).
 */
export const SKIP_LABEL = 'mlobs_skip';
/**
 * Temporary label set on a JSON line (`{`) and on a text line whose format captured a JSON payload
 * (the payload): the JSON mapping's templates run only there. Template stages are the dearest of
 * the pipeline in Alloy (template.go copies the whole extracted map for each), so the groups of
 * them that would change nothing on a line are skipped by a label: this one, FORMAT_LABEL in a
 * format's gate for its captures, EXTRACTOR_LABEL in an extractor's gate for its fields, and
 * {@link presenceLabel} for the normalizations.
 */
export const JSON_VALUES_LABEL = 'mlobs_jv';
/** Temporary label set where an extractor matched, for its fields' merges; cleared before the next extractor. */
export const EXTRACTOR_LABEL = 'mlobs_xm';
/** Labels the stages use for control flow only, dropped again before the stage list ends (with the {@link presenceLabel}s). */
export const TEMPORARY_LABELS = [JSON_KEY, FORMAT_LABEL, SKIP_LABEL, JSON_VALUES_LABEL, EXTRACTOR_LABEL] as const;
/**
 * Temporary label set from an extracted field a normalization reads (a timestamp, the level, a
 * unit's source...): its templates run only where the field is (each one is dear in Alloy: see
 * {@link JSON_VALUES_LABEL}).
 */
export function presenceLabel(field: string): string {
  return `mlobs_has_${field}`;
}
/** The fields the normalizations of a catalog read, in the order they run. */
function normalizationSources(catalog: MlLogCatalog): string[] {
  return [
    ...new Set([
      ...catalog.timestampSources.map((s) => s.capture),
      'level',
      ...catalog.scales.map((s) => s.source),
      ...catalog.bytes.map((b) => b.amount),
      ...catalog.numberRewrites.map((r) => r.field),
      ...catalog.unitMaps.map((u) => u.source),
    ]),
  ];
}
/** Every temporary label of a catalog's stages: {@link TEMPORARY_LABELS} and the presence labels. */
export function temporaryLabels(catalog: MlLogCatalog = ML_LOG_CATALOG): string[] {
  return [...TEMPORARY_LABELS, ...normalizationSources(catalog).map(presenceLabel)];
}
/** Extracted-map key naming the format that matched. */
export const FORMAT_KEY = 'mlobs_format';

const DEFAULT_LABELS = ['framework', 'level', 'event'] as const;

/**
 * Label of the gates' stream selector. The agents' LogQL grammar needs one label matcher before
 * a line filter; no stage or source sets this label, so `=""` holds for every entry (an absent
 * label reads as the empty value) and only the line filter decides.
 */
export const GATE_LABEL = 'mlobs_gate';

/** A Go string literal (what the agents' LogQL lexer unquotes with strconv.Unquote). */
function goQuoted(text: string): string {
  return JSON.stringify(text);
}

/** A line filter of a gate: `|=` substring, `!=` no substring, `|~` Go regexp searched in the line. */
export interface GateFilter {
  readonly op: '|=' | '!=' | '|~';
  readonly text: string;
}

/**
 * A `stage.match` selector: label matchers `name="value"` (at least one: the agents' LogQL
 * grammar needs one before a line filter), then `name!="value"` ones, then line filters, all
 * ANDed in that order (Alloy's internal/loki/logql: the matchers first, then the filters left to right).
 */
export function matchSelector(matchers: Readonly<Record<string, string>>, filters: readonly GateFilter[] = [], unequal: Readonly<Record<string, string>> = {}): string {
  const m = [...Object.entries(matchers).map(([k, v]) => `${k}=${goQuoted(v)}`), ...Object.entries(unequal).map(([k, v]) => `${k}!=${goQuoted(v)}`)];
  if (m.length === 0) throw new Error('a selector needs at least one label matcher');
  return [`{${m.join(', ')}}`, ...filters.map((f) => `${f.op} ${goQuoted(f.text)}`)].join(' ');
}

/** The stream selector of a one-literal gate on any line (`mlobs_gate` is never set: only the line filter decides). */
export function gateSelector(literal: string): string {
  return matchSelector({ [GATE_LABEL]: '' }, [{ op: '|=', text: literal }]);
}

/** Where a gate applies, besides its literals. */
export interface GateScope {
  /** Label matchers `name="value"` the entry must meet first. @default { mlobs_gate: '' } (every entry) */
  readonly matchers?: Readonly<Record<string, string>>;
  /** Line filters after the literals (a line start). @default [] */
  readonly filters?: readonly GateFilter[];
  readonly comment?: string;
}

/**
 * The stages, run only on lines holding a literal of each set (the engine's prefilter and
 * `alsoRequires`; all lines when there is none). A one-literal set is a `|=` filter of the gate.
 * A set of several is a `stage.match` before the gate whose `!=` filters (each a bytes.Contains)
 * find none of them and set {@link SKIP_LABEL} to the gate's `id`; the gate requires
 * `mlobs_skip!="<id>"` (a stale value of an earlier gate differs from the id, so it never closes
 * this one). A `stage.match` whose selector fails passes the entry on unchanged, so a gated regex
 * that is skipped is a regex that did not match. `id` must be unique in the stage list.
 */
export function prefilterGate(id: string, literalSets: readonly (readonly string[])[], stages: readonly LokiStage[], scope: GateScope = {}): LokiStage[] {
  const matchers = scope.matchers ?? { [GATE_LABEL]: '' };
  const filters = scope.filters ?? [];
  const comment = scope.comment !== undefined ? { comment: scope.comment } : {};
  const sets = literalSets.filter((set) => set.length > 0);
  if (sets.length === 0) {
    return filters.length === 0 && scope.matchers === undefined ? [...stages] : [{ kind: 'match', ...comment, selector: matchSelector(matchers, filters), stages }];
  }
  const single = sets.filter((set) => set.length === 1).map((set): GateFilter => ({ op: '|=', text: set[0]! }));
  const several = sets.filter((set) => set.length > 1);
  if (several.length === 0) return [{ kind: 'match', ...comment, selector: matchSelector(matchers, [...single, ...filters]), stages }];
  return [
    // a later skip stage is passed over once an earlier one has decided
    ...several.map(
      (set, i): LokiStage => ({
        kind: 'match',
        ...(scope.comment !== undefined && i === 0 ? { comment: `${scope.comment} (none of a set of its literals: skip)` } : {}),
        selector: matchSelector(matchers, set.map((text) => ({ op: '!=' as const, text })), i === 0 ? {} : { [SKIP_LABEL]: id }),
        stages: [{ kind: 'static_labels', values: { [SKIP_LABEL]: id } }],
      }),
    ),
    { kind: 'match', selector: matchSelector(scope.matchers ?? {}, [...single, ...filters], { [SKIP_LABEL]: id }), stages },
  ];
}

/**
 * Sets a control label from an extracted value that exists where a regex matched (a marker, the
 * JSON payload). Not from the value itself: Alloy's `stage.labels` skips a value that is not
 * UTF-8, and a match holds any byte of the line (Go's regexp reads a bad byte as U+FFFD); so a
 * `stage.regex` on the value first copies its first ASCII character from space to `~` into `mark` (every
 * match of the catalog's patterns holds one: `test/loki/go-stages.test.ts`), and the label is
 * set from that. Where the value is absent the regex stage does nothing and the label stays as it was.
 */
function labelWhereSet(label: string, key: string, mark: string, comment?: string): LokiStage[] {
  return [
    { kind: 'regex', ...(comment !== undefined ? { comment } : {}), source: key, expression: `(?P<${mark}>[ -~])` },
    { kind: 'labels', values: { [label]: mark } },
  ];
}

/** The stages, run on an entry whose temporary `label` is set (not empty). */
function whereSet(label: string, stages: readonly LokiStage[], comment?: string): LokiStage {
  return { kind: 'match', ...(comment !== undefined ? { comment } : {}), selector: matchSelector({}, [], { [label]: '' }), stages };
}

/** The line-start filter of a catalog pattern. */
function startFilters(p: { readonly start?: string }): GateFilter[] {
  return p.start ? [{ op: '|~', text: `^(?:${p.start})` }] : [];
}

/** The stages in execution order with the gates' nested stages in place (for readers of the stage list). */
export function flattenLokiStages(stages: readonly LokiStage[]): LokiStage[] {
  return stages.flatMap((s) => (s.kind === 'match' ? flattenLokiStages(s.stages) : [s]));
}

/** A Go template raw string literal (backquotes); the text must not contain a backquote. */
function goRaw(text: string): string {
  if (text.includes('`')) throw new Error(`cannot put ${JSON.stringify(text)} in a Go raw string`);
  return '`' + text + '`';
}

/**
 * The rewrites of `.Value` in order as template statements: each one runs only on a value holding
 * its required literal (`contains`, no regex), since Alloy's and sprig's regex functions compile
 * the pattern on every call; a value without it is one the pattern cannot match. Prints the result.
 */
function rewriteSteps(rewrites: readonly Rewrite[]): string {
  const steps = rewrites.map((rw) => {
    const run = `{{ $v = regexReplaceAll ${goRaw(rw.pattern)} $v ${goRaw(renderReplacement(rw.replacement, 'go'))} }}`;
    return rw.requires ? `{{ if contains ${goRaw(rw.requires)} $v }}${run}{{ end }}` : run;
  });
  return `{{ $v := .Value }}${steps.join('')}{{ $v }}`;
}

function jsonKey(m: JsonFieldMapping, i: number): string {
  return `mlobs_j_${m.target}_${m.kind}_${i}`;
}

function jmesPath(path: string): string {
  return path
    .split('.')
    .map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `"${k.replace(/"/g, '\\"')}"`))
    .join('.');
}

function jmesTyped(path: string, kind: JsonFieldMapping['kind']): string {
  const p = jmesPath(path);
  // a `number` mapping also takes a string; the JSON -> field template keeps it only when it is numeric
  if (kind === 'number') return `(type(${p}) == 'number' || type(${p}) == 'string') && ${p} || ''`;
  const type = kind === 'string' ? 'string' : 'number';
  return `type(${p}) == '${type}' && ${p} || ''`;
}

function ifChain(branches: readonly (readonly [string, string])[], otherwise = ''): string {
  if (branches.length === 0) return otherwise;
  const parts = branches.map(([cond, out], i) => `{{ ${i === 0 ? 'if' : 'else if'} ${cond} }}${out}`);
  return parts.join('') + (otherwise ? `{{ else }}${otherwise}` : '') + '{{ end }}';
}

/**
 * The level map as a Go template: the first rule whose pattern matches the whole value, case
 * insensitively, gives the level; else the value stays. A rule's literal words are compared with
 * `eq` on the value lower-cased, made to fold as Go's `(?i)` does on ASCII letters: `ſ` becomes `s`
 * first (a fold lower-casing misses; the Kelvin sign it lowers to `k`, as `(?i)` folds it) and `İ`
 * becomes U+FFFD (Go lowers it to `i`, which `(?i)` does not fold it onto). `\w+word` is checked
 * with `hasSuffix` before a regex, anything else with `regexMatch`. Alloy's and sprig's regex
 * functions compile their pattern on every call, so a chain of `regexReplaceAll`, one per rule,
 * cost 90 us a line here (tools/alloy-stages).
 */
function levelMapTemplate(rules: MlLogCatalog['levelRules']): string {
  const cond = (pattern: string): string => {
    const literal: string[] = [];
    const other: string[] = [];
    for (const alt of pattern.split('|')) {
      const suffix = /^\\w\+([a-z]+)$/.exec(alt);
      if (/^[A-Za-z]+$/.test(alt)) literal.push(alt.toLowerCase());
      else if (suffix) other.push(`(and (hasSuffix ${goRaw(suffix[1]!)} $l) (regexMatch ${goRaw(`^\\w+${suffix[1]}$`)} $l))`);
      else other.push(`(regexMatch ${goRaw(`(?i)^(?:${alt})$`)} .Value)`);
    }
    const parts = [...(literal.length > 0 ? [`(eq $l ${literal.map((l) => goRaw(l)).join(' ')})`] : []), ...other];
    return parts.length === 1 ? parts[0]!.slice(1, -1) : `or ${parts.join(' ')}`;
  };
  if (rules.some((r) => r.pattern.includes('(') || r.pattern.includes('['))) throw new Error('level rules are alternations of words and \\w+word');
  const outside = rules.filter((r) => !(LEVELS as readonly string[]).includes(r.level));
  if (outside.length > 0) throw new Error(`level rules give ${outside.map((r) => r.level).join(', ')}, outside the schema's levels`);
  // a value no rule names stays only if it is a level of the schema (what the schema check after
  // the map did, in the same template: one map copy less in Alloy)
  const keep = ifChain([[`or ${LEVELS.map((l) => `(eq .Value "${l}")`).join(' ')}`, '{{ .Value }}']]);
  return `{{ if .Value }}{{ $l := lower (Replace (Replace .Value "\u017f" "s" -1) "\u0130" "\ufffd" -1) }}${ifChain(rules.map((r) => [cond(r.pattern), r.level]), keep)}{{ end }}`;
}

/** Formats per block of format gates (48 formats: 6 blocks; about 15 fewer stages entered a text line on the corpus than one block). */
const FORMAT_BLOCK = 8;

/** Builds the stage list for a catalog. */
export function buildLokiStages(catalog: MlLogCatalog = ML_LOG_CATALOG, options: LokiPipelineOptions = {}): LokiStage[] {
  const stages: LokiStage[] = [];

  // 0. JSON object lines are told apart once; the label gates everything that reads text lines only
  if (JSON_LINE_START !== '^\\{\\s*"') throw new Error('the JSON_KEY expression must be JSON_LINE_START');
  stages.push({ kind: 'regex', comment: 'JSON object lines (`{"`) are decoded, never regex-parsed; every other line is text', expression: `^(?P<${JSON_KEY}>\\{)\\s*"` });
  stages.push({ kind: 'labels', values: { [JSON_KEY]: '' } });
  const textOnly = { [JSON_KEY]: '' };

  // 1. JSON lines
  const jsonExpressions: Record<string, string> = {};
  catalog.json.forEach((m, i) => m.paths.forEach((p, j) => (jsonExpressions[`${jsonKey(m, i)}_${j}`] = jmesTyped(p, m.kind))));
  stages.push({
    kind: 'match',
    comment: 'JSON object lines (zap, logrus, python-json-logger, loguru, Ray)',
    selector: matchSelector({ [JSON_KEY]: '{' }),
    stages: [{ kind: 'json', expressions: jsonExpressions }, { kind: 'static_labels', values: { [JSON_VALUES_LABEL]: '{' } }, { kind: 'template', comment: 'family of a JSON line (bounded)', source: 'framework', template: 'json' }],
  });

  // 2. formats, in order, each on a text line that no earlier format matched (first match wins):
  //    a match sets the format label from the format's marker, which closes every later gate. In the
  //    gate, where the label is now set (so this format matched), its name, family and captures
  //    are copied into the fields: only the matched format's templates run (each one is dear in
  //    Alloy: see JSON_VALUES_LABEL). A capture another format has and this one lacks is absent
  //    here, since no earlier stage sets it on a text line (no stream label has such a name).
  const formatGates: LokiStage[][] = [];
  catalog.formats.forEach((f, i) => {
    const prefix = formatPrefix(f);
    const regex: LokiStage = { kind: 'regex', comment: `format ${f.id}: ${f.summary}`, expression: `(?P<${markerName(prefix)}>${compileTemplate(f.pattern, 're2', prefix)})` };
    const merges: LokiStage[] = [
      { kind: 'template', source: FORMAT_KEY, template: f.id },
      { kind: 'template', comment: 'family of the format (bounded)', source: 'framework', template: f.family },
      ...templateCaptures(f.pattern).map((c): LokiStage => ({ kind: 'template', source: c, template: `{{ with .${prefix}${c} }}{{ . }}{{ end }}` })),
    ];
    formatGates.push(
      prefilterGate(`f${i}`, prefilterSets(f), [regex, ...labelWhereSet(FORMAT_LABEL, markerName(prefix), 'mlobs_fmark'), whereSet(FORMAT_LABEL, merges)], {
        matchers: { ...textOnly, [FORMAT_LABEL]: '' },
        filters: startFilters(f),
        comment: `format ${f.id}: a text line no earlier format matched${f.prefilter?.length ? ', holding its prefilter' : ''}${f.start ? ', starting as it does' : ''}`,
      }),
    );
  });
  // the formats' gates in blocks, each entered by a text line no format has matched yet: a line
  // that a format matched, and a JSON line, enter one stage for each later block instead of every
  // gate in it (each stage an entry enters is a goroutine hand-off in Alloy); each gate inside still
  // requires the same labels itself
  for (let i = 0; i < formatGates.length; i += FORMAT_BLOCK) {
    const last = Math.min(i + FORMAT_BLOCK, formatGates.length) - 1;
    stages.push({ kind: 'match', comment: `formats ${i + 1}-${last + 1}: text lines no earlier format matched`, selector: matchSelector({ ...textOnly, [FORMAT_LABEL]: '' }), stages: formatGates.slice(i, last + 1).flat() });
  }
  stages.push(...labelWhereSet(JSON_VALUES_LABEL, 'json_payload', 'mlobs_jmark', 'a JSON payload was captured'));

  // 3. JSON payload after a text prefix: same mapping, then fill empty fields from JSON values
  //    (on a JSON line or a line with a payload: elsewhere no JSON value exists and each template keeps its field)
  const jsonTemplates: LokiStage[] = [{ kind: 'json', comment: 'JSON payload after a text prefix', source: 'json_payload', expressions: jsonExpressions }];
  const targets = [...new Set(catalog.json.map((m) => m.target))];
  for (const target of targets) {
    const branches: [string, string][] = [[`.${target}`, `{{ .${target} }}`]];
    catalog.json.forEach((m, i) => {
      if (m.target !== target) return;
      m.paths.forEach((_p, j) => {
        const key = `.${jsonKey(m, i)}_${j}`;
        const out =
          m.kind === 'epoch'
            ? `{{ dateInZone "2006-01-02T15:04:05" (int64 (float64 ${key})) "UTC" }}{{ regexReplaceAll ${goRaw('^[0-9]+')} (toString ${key}) "" }}Z`
            : `{{ ${key} }}`;
        branches.push([m.kind === 'number' ? `and ${key} (regexMatch ${goRaw(NUMERIC_STRING)} (toString ${key}))` : key, out]);
      });
    });
    jsonTemplates.push({ kind: 'template', comment: `JSON -> ${target}`, source: target, template: ifChain(branches) });
  }
  stages.push(whereSet(JSON_VALUES_LABEL, jsonTemplates, 'a JSON line or payload'));

  // 4. extractors, on text lines, in order. Where one matches (the label of its marker, cleared
  //    again before the next), its fields are merged at once: a field already set (by an earlier
  //    extractor, a format or JSON) is kept, so earlier extractors win. Only the matched
  //    extractors' templates run (each one is dear in Alloy: see JSON_VALUES_LABEL).
  const extractorGates: LokiStage[] = [];
  catalog.extractors.forEach((x, i) => {
    const prefix = extractorPrefix(x);
    const captures = templateCaptures(x.pattern);
    if (captures.some((c) => `${prefix}${c}` === markName(prefix))) throw new Error(`extractor ${x.id}: a capture cannot be named as its mark ${markName(prefix)}`);
    const merges: LokiStage[] = captures.map((c) => ({ kind: 'template', source: c, template: `{{ if .${c} }}{{ .${c} }}{{ else }}{{ with .${prefix}${c} }}{{ . }}{{ end }}{{ end }}` }));
    if (x.event) merges.push({ kind: 'template', comment: 'event of the first matching extractor that has one', source: 'mlobs_extractor_event', template: `{{ if .mlobs_extractor_event }}{{ .mlobs_extractor_event }}{{ else }}${x.event}{{ end }}` });
    const regex: LokiStage = { kind: 'regex', comment: `extractor ${x.id}: ${x.summary}`, expression: `(?P<${markerName(prefix)}>${compileTemplate(x.pattern, 're2', prefix)})` };
    const matched: LokiStage[] = merges.length === 0 ? [] : [...labelWhereSet(EXTRACTOR_LABEL, markerName(prefix), markName(prefix)), whereSet(EXTRACTOR_LABEL, merges), { kind: 'label_drop', values: [EXTRACTOR_LABEL] }];
    extractorGates.push(
      ...prefilterGate(`x${i}`, prefilterSets(x), [regex, ...matched], {
        matchers: textOnly,
        filters: startFilters(x),
        comment: `extractor ${x.id}: text lines${x.prefilter?.length ? ' holding its prefilter' : ''}${x.start ? ', starting as it does' : ''}`,
      }),
    );
  });

  stages.push({ kind: 'match', comment: 'extractors: text lines', selector: matchSelector(textOnly), stages: extractorGates });

  // 5. normalizations, each on a line holding the field it reads: a label per field (set from the
  //    extracted map, so present where the field is) gates its templates. A field is never the
  //    empty text (its templates delete it instead), and each of these templates, where its field
  //    is absent, would print nothing for a key no stage has set: skipping it changes nothing.
  // a raw timestamp capture other than `timestamp` is a format's only (never an extractor's or a
  // JSON mapping's)
  const extractorCaptures = new Set(catalog.extractors.flatMap((x) => templateCaptures(x.pattern)));
  const jsonTargets = new Set(catalog.json.map((m) => m.target as string));
  const normalized = normalizationSources(catalog);
  stages.push({ kind: 'labels', comment: 'the fields the normalizations read, where they are set', values: Object.fromEntries(normalized.map((f) => [presenceLabel(f), f])) });
  // the labels are set once, before the groups: a group must not read a field an earlier group writes
  const written = new Set<string>();
  const whereField = (field: string, group: readonly LokiStage[]): LokiStage => {
    if (written.has(field)) throw new Error(`normalizations: ${field} is written by an earlier normalization, so its label, set before them, would be stale`);
    for (const t of group) if (t.kind === 'template' && t.source !== field) written.add(t.source);
    return whereSet(presenceLabel(field), group);
  };
  for (const s of catalog.timestampSources) {
    const rewrite: LokiStage = { kind: 'template', comment: `timestamp rewrite (${s.capture}, written as ${s.goLayout})`, source: s.capture, template: `{{ if .Value }}${rewriteSteps(s.rewrites)}{{ end }}` };
    if (s.capture === 'timestamp') {
      stages.push(whereField(s.capture, [rewrite]));
      continue;
    }
    if (extractorCaptures.has(s.capture) || jsonTargets.has(s.capture)) throw new Error(`${s.capture}: a raw timestamp capture must come from formats only`);
    const copy: LokiStage = { kind: 'template', source: 'timestamp', template: ifChain([['.timestamp', '{{ .timestamp }}'], [`.${s.capture}`, `{{ .${s.capture} }}`]]) };
    stages.push(whereField(s.capture, [rewrite, copy]));
  }
  stages.push(
    whereField('level', [{ kind: 'template', comment: 'level map (a value no rule names stays only if it is a level of the schema)', source: 'level', template: levelMapTemplate(catalog.levelRules) }]),
  );
  for (const s of catalog.scales) {
    stages.push(whereField(s.source, [{ kind: 'template', comment: `${s.source} / ${s.divisor} -> ${s.target}`, source: s.target, template: ifChain([[`.${s.target}`, `{{ .${s.target} }}`], [`.${s.source}`, `{{ divf .${s.source} ${s.divisor} }}`]]) }]));
  }
  for (const b of catalog.bytes) {
    const branches: [string, string][] = [[`.${b.target}`, `{{ .${b.target} }}`]];
    for (const [unit, mult] of Object.entries(b.multipliers)) {
      branches.push([`and .${b.amount} (eq .${b.unit} "${unit}")`, `{{ int64 (round (mulf .${b.amount} ${mult}) 0) }}`]);
    }
    stages.push(whereField(b.amount, [{ kind: 'template', comment: `${b.amount} ${b.unit} -> ${b.target} (x1024^n, half-up)`, source: b.target, template: ifChain(branches) }]));
  }
  for (const r of catalog.numberRewrites) {
    stages.push(whereField(r.field, [{ kind: 'template', comment: `${r.field} written for people (thousands separators, K) -> digits`, source: r.field, template: `{{ if .Value }}${rewriteSteps(r.rewrites)}{{ end }}` }]));
  }
  for (const u of catalog.unitMaps) {
    const branches: [string, string][] = [[`.${u.target}`, `{{ .${u.target} }}`]];
    for (const [from, to] of Object.entries(u.map)) branches.push([`and .${u.source} (eq .${u.source} "${from}")`, to]);
    stages.push(whereField(u.source, [{ kind: 'template', source: u.target, template: ifChain(branches) }]));
  }

  // 6. events
  catalog.eventRules.forEach((r, i) => {
    const regex: LokiStage = { kind: 'regex', comment: `event rule ${r.id} -> ${r.event ?? 'none'}`, expression: `(?P<${eventRuleCapture(r)}>${r.pattern})` };
    stages.push(...prefilterGate(`e${i}`, prefilterSets(r), [regex], { comment: `prefilter of event rule ${r.id}` }));
  });
  const eventBranches: [string, string][] = catalog.eventRules.map((r) => [`.${eventRuleCapture(r)}`, r.event ?? '']);
  for (const f of catalog.formats) if (f.event) eventBranches.push([`.${markerName(formatPrefix(f))}`, f.event]);
  stages.push({ kind: 'template', comment: 'first rule found, else the format\'s event, else the first extractor\'s', source: 'event', template: ifChain(eventBranches, '{{ with .mlobs_extractor_event }}{{ . }}{{ end }}') });
  // (`with`: a key the map lacks prints `<no value>` in Go's text/template, which would become the event label)
  stages.push({ kind: 'label_drop', comment: 'the control-flow labels never leave the stage list', values: temporaryLabels(catalog) });
  const labels = options.labels ?? DEFAULT_LABELS;
  if (labels.length > 0) stages.push({ kind: 'labels', values: Object.fromEntries(labels.map((l) => [l, ''])) });
  return stages;
}

/** The output fields the stages leave in the extracted map (for `stage.structured_metadata` or `pack`). */
export const LOKI_OUTPUT_FIELDS: readonly FieldName[] = [
  'level', 'timestamp', 'event', 'epoch', 'epochs_total', 'step', 'steps_total', 'loss', 'eval_loss', 'accuracy', 'learning_rate',
  'grad_norm', 'throughput', 'throughput_unit', 'step_time_s', 'gpu', 'rank', 'pid', 'xid', 'pci_bus', 'oom_requested_bytes',
  'uptime_s', 'host', 'logger', 'message', 'framework',
];

// ---------------------------------------------------------------- Alloy

function riverString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t') + '"';
}

function riverKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : riverString(k);
}

/**
 * Alloy: the stage blocks to place inside a `loki.process` component, unchanged.
 * @see https://grafana.com/docs/alloy/latest/reference/components/loki/loki.process/
 */
export function compileAlloyStages(catalog: MlLogCatalog = ML_LOG_CATALOG, options: LokiPipelineOptions = {}): string {
  return ['// Generated by mlobs from the ML log-format catalog (constructs/mllogs). Do not edit.', ...alloyBlocks(buildLokiStages(catalog, options))].join('\n') + '\n';
}

/** Alloy stage blocks of a stage list (unindented lines). */
export function alloyBlocks(stages: readonly LokiStage[]): string[] {
  const out: string[] = [];
  for (const s of stages) {
    if (s.comment) out.push(`// ${s.comment.replace(/\n/g, ' ')}`);
    switch (s.kind) {
      case 'match':
        out.push('stage.match {', `  selector = ${riverString(s.selector)}`, ...alloyBlocks(s.stages).map((l) => `  ${l}`), '}');
        break;
      case 'regex':
        out.push('stage.regex {', `  expression = ${riverString(s.expression)}`);
        if (s.source) out.push(`  source     = ${riverString(s.source)}`);
        out.push('}');
        break;
      case 'json': {
        out.push('stage.json {', '  expressions = {');
        for (const [k, v] of Object.entries(s.expressions)) out.push(`    ${riverKey(k)} = ${riverString(v)},`);
        out.push('  }');
        if (s.source) out.push(`  source = ${riverString(s.source)}`);
        out.push('}');
        break;
      }
      case 'template':
        out.push('stage.template {', `  source   = ${riverString(s.source)}`, `  template = ${riverString(s.template)}`, '}');
        break;
      case 'labels':
      case 'static_labels':
        out.push(`stage.${s.kind} {`, '  values = {');
        for (const [k, v] of Object.entries(s.values)) out.push(`    ${riverKey(k)} = ${riverString(v)},`);
        out.push('  }', '}');
        break;
      case 'replace':
        out.push('stage.replace {', `  expression = ${riverString(s.expression)}`, `  replace    = ${riverString(s.replace)}`, '}');
        break;
      case 'label_drop':
        out.push('stage.label_drop {', `  values = [${s.values.map(riverString).join(', ')}]`, '}');
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- Promtail

/** A Promtail pipeline stage as a plain object (the caller serializes it to YAML). */
export type PromtailStage =
  | { readonly match: { readonly selector: string; readonly stages: readonly PromtailStage[] } }
  | { readonly regex: { readonly expression: string; readonly source?: string } }
  | { readonly json: { readonly expressions: Readonly<Record<string, string>>; readonly source?: string } }
  | { readonly template: { readonly source: string; readonly template: string } }
  | { readonly labels: Readonly<Record<string, string>> }
  | { readonly static_labels: Readonly<Record<string, string>> }
  | { readonly replace: { readonly expression: string; readonly replace: string } }
  | { readonly labeldrop: readonly string[] };

/**
 * Promtail: `pipeline_stages` entries, unchanged.
 * @see https://grafana.com/docs/loki/latest/send-data/promtail/stages/
 */
export function compilePromtailStages(catalog: MlLogCatalog = ML_LOG_CATALOG, options: LokiPipelineOptions = {}): PromtailStage[] {
  return promtailStages(buildLokiStages(catalog, options));
}

/** Promtail stages of a stage list. */
export function promtailStages(stages: readonly LokiStage[]): PromtailStage[] {
  return stages.map((s): PromtailStage => {
    switch (s.kind) {
      case 'match':
        return { match: { selector: s.selector, stages: promtailStages(s.stages) } };
      case 'regex':
        return { regex: s.source ? { expression: s.expression, source: s.source } : { expression: s.expression } };
      case 'json':
        return { json: s.source ? { expressions: s.expressions, source: s.source } : { expressions: s.expressions } };
      case 'template':
        return { template: { source: s.source, template: s.template } };
      case 'labels':
        return { labels: s.values };
      case 'static_labels':
        return { static_labels: s.values };
      case 'replace':
        return { replace: { expression: s.expression, replace: s.replace } };
      case 'label_drop':
        return { labeldrop: [...s.values] };
    }
  });
}
