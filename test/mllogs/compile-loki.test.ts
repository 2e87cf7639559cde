/** The generated Alloy and Promtail stages: golden text, RE2 validity, and behaviour of the emitted regexes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { ML_LOG_CATALOG } from '../../constructs/mllogs/catalog';
import { buildLokiStages, compileAlloyStages, compilePromtailStages, flattenLokiStages, FORMAT_KEY, type LokiStage, type PromtailStage } from '../../constructs/mllogs/compile-loki';
import { templateCaptures } from '../../constructs/mllogs/pattern';
import { CATALOG_LABELS, LOKI_LABEL_ALLOWLIST } from '../../constructs/loki/labels';
import { assertGolden, parserFor, re2Engine, trainingLogs } from './helpers';

const ALLOY = compileAlloyStages();
const PROMTAIL = compilePromtailStages();

function alloyValues(text: string, attr: string): string[] {
  const re = new RegExp(`^\\s*${attr}\\s*= ("(?:[^"\\\\]|\\\\.)*")$`, 'gm');
  return [...text.matchAll(re)].map((m) => JSON.parse(m[1]) as string);
}

test('the Alloy stages match their golden file', () => {
  assertGolden('alloy-stages.alloy', ALLOY);
});

test('the Promtail stages match their golden file', () => {
  assertGolden('promtail-stages.yaml', stringify({ pipeline_stages: PROMTAIL }, { lineWidth: 0 }));
});

test('every regex expression in the Alloy text compiles on RE2', () => {
  const engine = re2Engine();
  const expressions = alloyValues(ALLOY, 'expression');
  assert.ok(expressions.length > ML_LOG_CATALOG.formats.length + ML_LOG_CATALOG.extractors.length);
  for (const e of expressions) assert.doesNotThrow(() => engine.compilePlain(e), e);
});

/** Promtail stages in execution order, the gates' nested stages in place. */
function flatPromtail(stages: readonly PromtailStage[]): PromtailStage[] {
  return stages.flatMap((s) => ('match' in s ? flatPromtail(s.match.stages as PromtailStage[]) : [s]));
}

test('Alloy and Promtail carry the same regexes, templates and gates in the same order', () => {
  const flat = flatPromtail(PROMTAIL);
  const fromPromtail = flat.flatMap((s) => ('regex' in s ? [String(s.regex.expression)] : []));
  assert.deepEqual(alloyValues(ALLOY, 'expression'), fromPromtail);
  const selectors = (list: readonly PromtailStage[]): string[] => list.flatMap((s) => ('match' in s ? [s.match.selector, ...selectors(s.match.stages)] : []));
  assert.deepEqual(alloyValues(ALLOY, 'selector'), selectors(PROMTAIL));
  const templatesPromtail = flat.flatMap((s) => ('template' in s ? [String(s.template.template)] : []));
  assert.deepEqual(alloyValues(ALLOY, 'template'), templatesPromtail);
});

test('Go templates are balanced and use raw strings for regexes', () => {
  for (const t of alloyValues(ALLOY, 'template')) {
    const opens = (t.match(/\{\{ (?:if|with|range) /g) ?? []).length;
    const ends = (t.match(/\{\{ end \}\}/g) ?? []).length;
    assert.equal(opens, ends, t.slice(0, 120));
  }
  assert.match(ALLOY, /regexMatch `\^\\\\w\+warning\$` \$l/);
  assert.doesNotMatch(ALLOY, /regexReplaceAll `\(\?i\)/, 'the level map compiles no regex per rule');
});

/** The stage list with the formats' and the extractors' gates in place of the two text-line groups that hold them. */
function unwrapTextGroups(): LokiStage[] {
  return buildLokiStages().flatMap((s) => (s.kind === 'match' && /^(?:formats \d+-\d+: text lines no earlier format matched|extractors: text lines)$/.test(s.comment ?? '') ? s.stages : [s]));
}

test('JSON lines are decoded by stage.json and text formats read only non-JSON lines', () => {
  assert.match(ALLOY, /stage\.match \{\n  selector = "\{mlobs_json=\\"\{\\"\}"\n  stage\.json \{\n    expressions = \{\n      mlobs_j_level_string_0_0 = "type\(level\.name\) == 'string' && level\.name \|\| ''",/);
  // the formats' gates sit in blocks of 8 that a line enters while no format has matched; a JSON line
  // enters each block and one stage for all the extractors' gates
  const blocks = buildLokiStages().filter((s) => s.kind === 'match' && s.selector === '{mlobs_json="", mlobs_fmt=""}');
  assert.deepEqual(blocks.map((g) => g.comment), ['formats 1-8', 'formats 9-16', 'formats 17-24', 'formats 25-32', 'formats 33-40', 'formats 41-48'].map((r) => `${r}: text lines no earlier format matched`));
  assert.equal(ML_LOG_CATALOG.formats.length, 48);
  const groups = buildLokiStages().filter((s) => s.kind === 'match' && s.selector === '{mlobs_json=""}');
  assert.deepEqual(groups.map((g) => g.comment), ['extractors: text lines']);
  const stages = unwrapTextGroups();
  const formatGates = stages.filter((s) => s.kind === 'match' && s.stages[0]?.kind === 'regex' && s.stages[0].comment?.startsWith('format '));
  assert.equal(formatGates.length, ML_LOG_CATALOG.formats.length);
  for (const g of formatGates) assert.match(g.kind === 'match' ? g.selector : '', /^\{mlobs_json="", mlobs_fmt=""(?:, mlobs_skip!="f\d+")?\}/);
  const extractorGates = stages.filter((s) => s.kind === 'match' && s.stages[0]?.kind === 'regex' && s.stages[0].comment?.startsWith('extractor '));
  assert.equal(extractorGates.length, ML_LOG_CATALOG.extractors.length);
  for (const g of extractorGates) assert.match(g.kind === 'match' ? g.selector : '', /^\{mlobs_json=""(?:, mlobs_skip!="x\d+")?\}/);
  // the skip stage of a gate with several literals reads text lines (and no format yet) too
  const skips = stages.filter((s) => s.kind === 'match' && s.stages[0]?.kind === 'static_labels');
  assert.ok(skips.length > 20, `${skips.length} skip stages`);
  for (const g of skips) assert.match(g.kind === 'match' ? g.selector : '', /^\{(?:mlobs_json="", mlobs_fmt=""|mlobs_json=""|mlobs_gate="")(?:, mlobs_skip!="[fxe]\d+")?\}(?: != "[^"]+"){2,}$/);
});

test('first match wins: each format sets the format label from its marker, every format gate requires it empty, and the control labels are dropped', () => {
  const stages = unwrapTextGroups();
  const formatGates = stages.flatMap((s) => (s.kind === 'match' && s.stages[0]?.kind === 'regex' && s.stages[0].comment?.startsWith('format ') ? [s] : []));
  formatGates.forEach((g, i) => {
    const f = ML_LOG_CATALOG.formats[i]!;
    // the last one too: the format captures' templates run where a format matched; the label is set
    // from the marker's first ASCII character, as a value that is not UTF-8 sets no label in Alloy
    assert.deepEqual(g.stages.slice(1, 3), [{ kind: 'regex', source: `${f.id}__m`, expression: '(?P<mlobs_fmark>[ -~])' }, { kind: 'labels', values: { mlobs_fmt: 'mlobs_fmark' } }], f.id);
    // where it matched (the label is set: the gate required it empty), its name, family and captures become fields
    const merges = g.stages[3];
    assert.ok(merges?.kind === 'match' && merges.selector === '{mlobs_fmt!=""}', f.id);
    assert.deepEqual(
      merges.stages.map((t) => (t.kind === 'template' ? [t.source, t.template] : t.kind)),
      [[FORMAT_KEY, f.id], ['framework', f.family], ...templateCaptures(f.pattern).map((c) => [c, `{{ with .${f.id}__${c} }}{{ . }}{{ end }}`])],
      f.id,
    );
  });
  const drop = stages.findIndex((s) => s.kind === 'label_drop');
  const presence = ['timestamp', 'ts_mdy', 'ts_underscore', 'ts_ymd_slash', 'ts_ctime', 'level', 'step_time_ms', 'step_time_us', 'oom_amount', 'throughput', 'throughput_unit_raw'].map((f) => `mlobs_has_${f}`);
  const dropped = ['mlobs_json', 'mlobs_fmt', 'mlobs_skip', 'mlobs_jv', 'mlobs_xm', ...presence];
  assert.deepEqual(stages[drop], { kind: 'label_drop', comment: 'the control-flow labels never leave the stage list', values: dropped });
  assert.ok(stages.slice(drop + 1).every((s) => s.kind === 'labels'), 'only the catalog labels follow the drop');
  assert.ok(ALLOY.includes(`stage.label_drop {\n  values = [${dropped.map((l) => `"${l}"`).join(', ')}]\n}`));
  assert.ok(flatPromtail(PROMTAIL).some((s) => 'labeldrop' in s && s.labeldrop.join() === dropped.join()));
  // the JSON mapping runs where its input can exist: a JSON line or payload
  const group = stages.find((s) => s.kind === 'match' && s.selector === '{mlobs_jv!=""}');
  assert.ok(group?.kind === 'match');
  assert.equal(group.stages[0]!.kind === 'json' ? group.stages[0].source : undefined, 'json_payload');
  // no capture of a format is a label the collectors give a stream before these stages (so it is absent
  // on a text line until the format that has it matches), nor is the format's name or family
  const streamLabels = [...LOKI_LABEL_ALLOWLIST.filter((l) => !(CATALOG_LABELS as readonly string[]).includes(l)), 'filename', 'stream'];
  const formatFields = new Set([FORMAT_KEY, 'framework', ...ML_LOG_CATALOG.formats.flatMap((f) => templateCaptures(f.pattern))]);
  assert.deepEqual(streamLabels.filter((l) => formatFields.has(l)), []);
  assert.ok(streamLabels.includes('namespace') && formatFields.has('level'));
  // an extractor's fields are merged in its gate where it matched, and the label is cleared for the next one
  const loss = stages.find((s) => s.kind === 'match' && s.stages[0]?.comment?.startsWith('extractor loss:'));
  assert.ok(loss?.kind === 'match');
  assert.deepEqual(loss.stages.slice(1), [
    { kind: 'regex', source: 'x_loss__m', expression: '(?P<x_loss__mark>[ -~])' },
    { kind: 'labels', values: { mlobs_xm: 'x_loss__mark' } },
    {
      kind: 'match',
      selector: '{mlobs_xm!=""}',
      stages: [
        { kind: 'template', source: 'loss', template: '{{ if .loss }}{{ .loss }}{{ else }}{{ with .x_loss__loss }}{{ . }}{{ end }}{{ end }}' },
        { kind: 'template', comment: 'event of the first matching extractor that has one', source: 'mlobs_extractor_event', template: '{{ if .mlobs_extractor_event }}{{ .mlobs_extractor_event }}{{ else }}train_progress{{ end }}' },
      ],
    },
    { kind: 'label_drop', values: ['mlobs_xm'] },
  ]);
});

test('a format with a line start is gated by it after its prefilter', () => {
  const gate = (id: string): string => {
    const s = unwrapTextGroups().find((x) => x.kind === 'match' && x.stages[0]?.comment?.startsWith(`format ${id}:`));
    return s?.kind === 'match' ? s.selector : '';
  };
  assert.equal(gate('kernel_dmesg'), '{mlobs_json="", mlobs_fmt=""} |~ "^(?:\\\\[ *\\\\d)"');
  assert.equal(gate('tf_glog'), `{mlobs_json="", mlobs_fmt=""} |= ": " |~ ${JSON.stringify(`^(?:${ML_LOG_CATALOG.formats.find((f) => f.id === 'tf_glog')?.start})`)}`);
  assert.equal(gate('nccl_debug'), '{mlobs_json="", mlobs_fmt=""} |= "NCCL "');
  // several literals: the skip stage's substring tests, then the line start on the gate
  const i = ML_LOG_CATALOG.formats.findIndex((f) => f.id === 'c10d_bracket');
  assert.equal(gate('c10d_bracket'), `{mlobs_json="", mlobs_fmt="", mlobs_skip!="f${i}"}`);
});

test('only bounded fields become labels', () => {
  assert.match(ALLOY, /stage\.labels \{\n  values = \{\n    framework = "",\n    level = "",\n    event = "",\n  \}\n\}/);
  const custom = compileAlloyStages(ML_LOG_CATALOG, { labels: ['level'] });
  assert.match(custom, /values = \{\n    level = "",\n  \}/);
});

test('the emitted format regexes, run on RE2 in order, pick the same format as the engine for every corpus line', async () => {
  const engine = re2Engine();
  const formatRegexes = flattenLokiStages(buildLokiStages())
    .filter((s) => s.kind === 'regex' && s.comment?.startsWith('format '))
    .map((s) => ({ id: /^format (\w+):/.exec(s.comment ?? '')?.[1], re: engine.compilePlain(s.kind === 'regex' ? s.expression : '') }));
  const parser = await parserFor('re2');
  for (const rec of trainingLogs()) {
    if (/^\{\s*"/.test(rec.line)) continue;
    const input = engine.prepare(rec.line);
    const first = formatRegexes.find((f) => f.re.exec(input) !== null)?.id;
    assert.equal(first, parser.parse(rec.line).formatId, `${rec.id}: Alloy regex and engine disagree`);
  }
});

test('a normalization that would read a field an earlier one writes is refused (its presence label is set before them all)', () => {
  // a scale into `throughput` would run before the number rewrite of `throughput`, whose gate was decided earlier
  const catalog = { ...ML_LOG_CATALOG, scales: [...ML_LOG_CATALOG.scales, { source: 'tokens_ms', target: 'throughput', divisor: 1000 }] } as typeof ML_LOG_CATALOG;
  assert.throws(() => buildLokiStages(catalog), /normalizations: throughput is written by an earlier normalization/);
  assert.doesNotThrow(() => buildLokiStages());
});
