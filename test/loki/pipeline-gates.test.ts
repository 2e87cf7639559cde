/**
 * The generated Alloy pipeline executed as the agent executes it (test/helpers/alloy-executor:
 * stages in order, stage.match gates honoured, RE2): the same format, event and fields as the
 * reference engine on every corpus line, and a line without any prefilter literal runs only the
 * regexes that have no prefilter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ML_LOG_CATALOG } from '../../constructs/mllogs';
import { applyJsonMapping } from '../../constructs/mllogs/engine';
import { alloyBlocks, GATE_LABEL, gateSelector, prefilterGate, SKIP_LABEL } from '../../constructs/mllogs/compile-loki';
import { FIELD_NAMES, isNumberField } from '../../constructs/mllogs/schema';
import type { CaptureName } from '../../constructs/mllogs/types';
import { renderAlloyConfig } from '../../constructs/loki';
import { loadAlloyPipeline, mergeExtracted, parseSelector } from '../helpers/alloy-executor';
import { parserFor, trainingLogs, trainingQuality } from '../mllogs/helpers';

const CONFIG = renderAlloyConfig({
  common: { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} },
  loki: { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false },
});
const PIPELINE = loadAlloyPipeline(CONFIG);
const POD = { namespace: 'team-a', pod: 'train-0', container: 'trainer', app: 'trainer' };
const KERNEL = { app: 'kernel', node: 'gpu-1' };

/** Fields the stages copy unchanged from a capture (no timestamp/level/unit normalization). */
const PASS_THROUGH = FIELD_NAMES.filter(
  (f) =>
    !['level', 'timestamp', 'event', 'framework'].includes(f) &&
    !ML_LOG_CATALOG.scales.some((s) => s.target === f) &&
    !ML_LOG_CATALOG.bytes.some((b) => b.target === f) &&
    !ML_LOG_CATALOG.unitMaps.some((u) => u.target === f) &&
    !ML_LOG_CATALOG.numberRewrites.some((r) => r.field === f),
);

const isJsonLine = (line: string): boolean => /^\{\s*"/.test(line);

test('the gated Alloy pipeline, executed stage by stage, gives the engine\'s format, event and fields on every corpus line', async () => {
  const parser = await parserFor('re2');
  let lines = 0;
  let compared = 0;
  for (const rec of [...trainingLogs(), ...trainingQuality()]) {
    for (const labels of [POD, KERNEL]) {
      const run = PIPELINE.run(rec.line, labels);
      const merged = mergeExtracted(run.extracted);
      const expected = parser.parse(rec.line);
      const fields = expected.fields as Readonly<Record<string, string | number>>;
      assert.equal(merged.event ?? undefined, fields.event, `${rec.id}: event`);
      if (isJsonLine(rec.line)) {
        assert.equal(run.extracted.get('mlobs_json'), '{', `${rec.id}: a JSON line is told apart`);
        assert.equal(merged.formatId, undefined, `${rec.id}: no format runs on a JSON line`);
        continue;
      }
      assert.equal(merged.formatId, expected.formatId, `${rec.id}: format`);
      const raw = new Map(merged.raw) as Map<CaptureName, string>;
      const payload = raw.get('json_payload');
      if (payload !== undefined) {
        raw.delete('json_payload');
        try {
          applyJsonMapping(JSON.parse(payload) as unknown, ML_LOG_CATALOG.json, raw);
        } catch {
          // stage.json on a payload that is not JSON extracts nothing
        }
      }
      for (const field of PASS_THROUGH) {
        const v = raw.get(field as CaptureName);
        const got = v !== undefined && isNumberField(field) ? (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined) : v;
        assert.equal(got, fields[field], `${rec.id}: ${field}`);
        if (got !== undefined) compared++;
      }
    }
    lines++;
  }
  assert.ok(lines > 350, `${lines} corpus lines`);
  assert.ok(compared > 1000, `compared ${compared} field values`);
});

/** Every literal of every gate in the config (`|=` of one-literal gates, `!=` of the skip stages of the others). */
function gateLiterals(): string[] {
  return [...CONFIG.matchAll(/^\s*selector = ("(?:[^"\\]|\\.)*")$/gm)]
    .map((m) => JSON.parse(m[1]!) as string)
    .filter((s) => s.startsWith(`{${GATE_LABEL}=`) || s.startsWith('{mlobs_json=""'))
    .flatMap((s) => parseSelector(s).filters.flatMap((f) => (f.op === '|=' || f.op === '!=' ? [f.text] : [])));
}

/** The regex stages no line filter gates: the JSON/text split, patterns with neither a prefilter nor a line start, event rules without a prefilter. */
function ungatedStages(): string[] {
  return [
    'JSON object lines (`{"`) are decoded, never regex-parsed; every other line is text',
    ...ML_LOG_CATALOG.formats.filter((f) => !f.prefilter?.length && !f.start).map((f) => `format ${f.id}: ${f.summary}`),
    ...ML_LOG_CATALOG.extractors.filter((x) => !x.prefilter?.length && !x.start).map((x) => `extractor ${x.id}: ${x.summary}`),
    ...ML_LOG_CATALOG.eventRules.filter((r) => !r.prefilter?.length).map((r) => `event rule ${r.id} -> ${r.event ?? 'none'}`),
  ];
}

test('a line holding none of the prefilter literals runs no gated regex stage; one literal opens its gate', () => {
  const literals = gateLiterals();
  assert.ok(literals.length > 80, `${literals.length} literals read from the gates`);
  const line = 'qqqq';
  assert.deepEqual(literals.filter((l) => line.includes(l)), [], 'the probe line holds no literal');
  const run = PIPELINE.run(line, POD);
  assert.deepEqual(run.regexRuns, ungatedStages().map((s) => s.replace(/\n/g, ' ')));
  // only the gates of text-line patterns without any line filter open (their regexes are in ungatedStages)
  const unfiltered = [...ML_LOG_CATALOG.formats, ...ML_LOG_CATALOG.extractors].filter((p) => !p.prefilter?.length && !p.start).length;
  // and the skip stages of the gates with several literals, which the line holds none of
  // (the first of each gate: a later one is passed over once the first has skipped)
  const skipStages = [...CONFIG.matchAll(/selector = "\{(?:(?!mlobs_skip)[^}\n])*\} != /g)].length;
  assert.ok(skipStages > 30, `${skipStages} gates with several literals`);
  // and the groups that hold the formats' gates (6 blocks) and the extractors' gates, open on a text line no format matched
  assert.equal(run.gatesPassed, unfiltered + skipStages + 6 + 1);
  // a JSON line passes neither group, and no gate inside them is evaluated
  const json = PIPELINE.run('{"msg": "qqqq"}', POD);
  assert.ok(json.gates < run.gates - 100, `${json.gates} gates evaluated on a JSON line, ${run.gates} on a text line`);
  // every gate but the merge groups inside the formats' and extractors' gates (entered where the pattern matched)
  const merges = CONFIG.split('selector = "{mlobs_xm!=\\"\\"}"').length - 1 + CONFIG.split('selector = "{mlobs_fmt!=\\"\\"}"').length - 1;
  assert.ok(merges > 80, `${merges} merge groups`);
  assert.ok(run.gates >= PIPELINE.counts.match - merges - 4, `${run.gates} gates evaluated`);
  const gatedTotal = PIPELINE.counts.regex - 2 /* multiline marks */ - run.regexRuns.length;
  assert.ok(gatedTotal > 60, `${gatedTotal} regex stages are gated`);
  // the same line with the NCCL literal runs the nccl_debug format's regex, and only the gates that literal opens
  const nccl = PIPELINE.run(`${line} NCCL x`, POD);
  assert.ok(nccl.regexRuns.some((w) => w.startsWith('format nccl_debug:')), nccl.regexRuns.join('\n'));
  const opened = nccl.regexRuns.length - run.regexRuns.length;
  assert.ok(opened >= 1 && opened <= 3, `${opened} more regex stages ran: ${nccl.regexRuns.join(', ')}`);
});

test('gate selectors: one literal is a substring filter, as the agents\' LogQL reads it', () => {
  assert.equal(gateSelector('NCCL '), '{mlobs_gate=""} |= "NCCL "');
  assert.equal(gateSelector('\t'), '{mlobs_gate=""} |= "\\t"');
  const { matchers, filters } = parseSelector(gateSelector('(ms)'));
  assert.equal(matchers.length, 1);
  assert.equal(matchers[0]!.test(''), true, 'the gate label is absent on every entry');
  assert.deepEqual(filters, [{ op: '|=', text: '(ms)' }]);
});

test('a gate with several literals is substring tests and a label, no regex: it opens on a line holding any one of them, and never for a later gate by an earlier skip', () => {
  const regex = (name: string): { kind: 'regex'; expression: string } => ({ kind: 'regex', expression: `(?P<${name}>\\d+)` });
  const stages = [
    ...prefilterGate('g1', [['(ms)', '[rank: ']], [regex('a')]),
    ...prefilterGate('g2', [['zz', 'yy']], [regex('b')]),
    ...prefilterGate('g3', [['(ms)']], [regex('c')], { matchers: { mlobs_json: '' } }),
  ];
  const text = alloyBlocks(stages).join('\n');
  assert.ok(!/\|~|!~/.test(text), 'no regex line filter');
  assert.match(text, /selector = "\{mlobs_gate=\\"\\"\} != \\"\(ms\)\\" != \\"\[rank: \\""/);
  assert.match(text, new RegExp(`selector = "\\{${SKIP_LABEL}!=\\\\"g1\\\\"\\}"`));
  const pipeline = loadAlloyPipeline(text);
  const got = (line: string): string[] => [...pipeline.run(line).extracted.keys()].sort();
  assert.deepEqual(got('took 3 (ms)'), ['a', 'c']);
  assert.deepEqual(got('[rank: 1] 7'), ['a']);
  assert.deepEqual(got('yy 5'), ['b'], 'the stale skip value of g1 does not close g2');
  assert.deepEqual(got('took 3 ms'), []);
  assert.equal(pipeline.run('qq').labels[SKIP_LABEL], 'g2', 'the label holds the last skip (dropped by the catalog stages at their end)');
});

test('a gate with several literal sets opens only on a line holding a literal of each', () => {
  const stages = prefilterGate('g', [['nan', 'inf'], ['loss', 'norm'], ['=']], [{ kind: 'regex', expression: '(?P<v>\\w+=\\w+)' }]);
  const text = alloyBlocks(stages).join('\n');
  assert.equal((text.match(/static_labels/g) ?? []).length, 2, 'one skip stage per set of several');
  assert.match(text, /selector = "\{mlobs_gate=\\"\\", mlobs_skip!=\\"g\\"\} != \\"loss\\" != \\"norm\\""/, 'the second skip stage is passed over once the first skipped');
  assert.match(text, /selector = "\{mlobs_skip!=\\"g\\"\} \|= \\"=\\""/);
  const pipeline = loadAlloyPipeline(text);
  const got = (line: string): string | undefined => pipeline.run(line).extracted.get('v');
  assert.equal(got('loss=nan'), 'loss=nan');
  assert.equal(got('norm=inf'), 'norm=inf');
  assert.equal(got('INFO loss=2.3'), undefined, 'no nan/inf');
  assert.equal(got('x=nan'), undefined, 'no loss/norm');
  assert.equal(got('loss nan'), undefined, 'no =');
});

test('no gate of the catalog stages searches the line with a regex: every `|~` filter of loki.process "ml" is an anchored line start', () => {
  const ml = CONFIG.slice(CONFIG.indexOf('loki.process "ml"'), CONFIG.indexOf('loki.process "volume"'));
  const filters = [...ml.matchAll(/^\s*selector = ("(?:[^"\\]|\\.)*")$/gm)].flatMap((m) => parseSelector(JSON.parse(m[1]!) as string).filters);
  const regex = filters.filter((f) => f.op === '|~' || f.op === '!~');
  assert.ok(filters.length > 150 && regex.length > 15, `${filters.length} line filters, ${regex.length} regex ones`);
  assert.deepEqual(regex.filter((f) => !f.text.startsWith('^(?:')).map((f) => f.text), []);
});
