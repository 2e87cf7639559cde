/** The generated Logstash filter: golden text, Logstash pattern names, and behaviour of its grok text on Oniguruma. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ML_LOG_CATALOG } from '../../constructs/mllogs/catalog';
import { compileLogstashFilter } from '../../constructs/mllogs/compile-logstash';
import { expandGrok } from '../../constructs/mllogs/pattern';
import { assertGolden, grokDefinitions, grokEngine, parserFor, trainingLogs, trainingQuality } from './helpers';
import { loadLogstashFilter } from '../helpers/logstash-executor';
import { prefilterSets } from '../../constructs/mllogs/types';

const TEXT = compileLogstashFilter();

/** `id => "mlobs_<id>"` followed by `match => { "message" => "<grok>" }`, in file order. */
function grokMatches(text: string): { id: string; grok: string }[] {
  const out: { id: string; grok: string }[] = [];
  const re = /id => "mlobs_([\w]+)"\n\s*match => \{ "message" => "(.*)" \}\n/g;
  for (const m of text.matchAll(re)) out.push({ id: m[1], grok: m[2] });
  return out;
}

test('the Logstash filter matches its golden file', () => {
  assertGolden('logstash-filter.conf', TEXT);
});

test('grok uses Logstash pattern names from the legacy set', () => {
  assert.match(TEXT, /%\{TIMESTAMP_ISO8601:hydra__timestamp\}/);
  assert.match(TEXT, /%\{LOGLEVEL:deepspeed__level\}/);
  assert.match(TEXT, /%\{GREEDYDATA:torch_glog__message\}/);
  const defs = grokDefinitions();
  const used = new Set([...TEXT.matchAll(/%\{(\w+)(?::[\w@\[\]]+)?\}/g)].map((m) => m[1]));
  const undefinedNames = [...used].filter((n) => !defs.has(n));
  assert.deepEqual(undefinedNames, [], 'the filter references patterns Logstash does not ship');
});

test('the filter has one grok per format and extractor, formats in catalog order', () => {
  const ids = grokMatches(TEXT).map((m) => m.id);
  assert.deepEqual(ids, [...ML_LOG_CATALOG.formats.map((f) => f.id), ...ML_LOG_CATALOG.extractors.map((x) => `x_${x.id}`)]);
});

test('format greps are guarded so the first match wins and prefilters run first', () => {
  assert.match(TEXT, /if !\[@metadata\]\[mlobs_format\] and \("NCCL " in \[message\]\) \{/);
  assert.match(TEXT, /add_field => \{ "\[@metadata\]\[mlobs_format\]" => "nccl_debug" "\[ml\]\[framework\]" => "nccl" \}/);
});

test('JSON lines go through the json filter, not grok', () => {
  assert.match(TEXT, /^if \[message\] =~ \/\^\\\{\\s\*"\/ \{\n\s+json \{ source => "message" target => "\[@metadata\]\[mlobs_json\]"/m);
});

test('normalizations are emitted from the catalog data (timestamp, level, units)', () => {
  assert.match(TEXT, /gsub => \[ "\[@metadata\]\[mlobs_raw\]\[ts_mdy\]", "\^\(\\d\{1,2\}\)\[\/-\]\(\\d\{1,2\}\)\[\/-\]\(\\d\{4\}\)\[- \]", "\\3-\\1-\\2T"/);
  assert.match(TEXT, /"\[ml\]\[level\]", "\(\?i\)\^\(\?:w\|warn\|warning\|\\w\+warning\)\$", "warning"/);
  assert.match(TEXT, /event\.set\("\[ml\]\[step_time_s\]", v\.to_f \/ 1000\)/);
  assert.match(TEXT, /"GiB" => 1073741824/);
  assert.match(TEXT, /"\[ml\]\[step\]" => "integer"/);
});

test('the grok text of the config, run on Oniguruma, picks the same format as the engine for every corpus line', async () => {
  const engine = await grokEngine();
  const defs = grokDefinitions();
  const formatIds = new Set(ML_LOG_CATALOG.formats.map((f) => f.id));
  const compiled = grokMatches(TEXT)
    .filter((m) => formatIds.has(m.id))
    .map((m) => ({ id: m.id, re: engine.compilePlain(expandGrok(m.grok, defs)) }));
  const parser = await parserFor('grok');
  for (const rec of trainingLogs()) {
    if (/^\{\s*"/.test(rec.line)) continue;
    const input = engine.prepare(rec.line);
    try {
      const first = compiled.find((c) => c.re.exec(input) !== null)?.id;
      assert.equal(first, parser.parse(rec.line).formatId, `${rec.id}: config grok and engine disagree`);
    } finally {
      input.dispose();
    }
  }
});

test('the target field is configurable', () => {
  const text = compileLogstashFilter(ML_LOG_CATALOG, { target: 'gpu_job' });
  assert.match(text, /"\[gpu_job\]\[level\]"/);
  assert.doesNotMatch(text, /\[ml\]\[/);
});

test('the filter executed (guards with every literal set, groks, event conditionals) picks the engine\'s format and event on every corpus line', async () => {
  const filter = loadLogstashFilter(TEXT, await grokEngine(), grokDefinitions());
  assert.equal(filter.groks, ML_LOG_CATALOG.formats.length + ML_LOG_CATALOG.extractors.length);
  assert.equal(filter.rules, ML_LOG_CATALOG.eventRules.length, 'every event conditional read, guarded ones included');
  const parser = await parserFor('grok');
  let lines = 0;
  for (const rec of [...trainingLogs(), ...trainingQuality()]) {
    if (/^\{\s*"/.test(rec.line)) continue;
    const run = filter.run(rec.line);
    assert.equal(run.formatId, parser.parse(rec.line).formatId, rec.id);
    lines++;
  }
  assert.ok(lines > 300, `${lines} lines`);
  // a line with `inf` (in INFO) and no loss word runs no nan_loss regex: its second literal set guards it
  const unguarded = ML_LOG_CATALOG.eventRules.filter((r) => prefilterSets(r).length === 0).length;
  assert.equal(filter.run('qqqq').ruleRuns, unguarded);
  assert.equal(filter.run('INFO starting epoch').ruleRuns, unguarded);
  assert.ok(filter.run('INFO loss: nan').ruleRuns > unguarded);
  assert.match(TEXT, /\("oss" in \[message\] or "OSS" in \[message\] or [^\n]*\) and \[message\] =~ /);
});
