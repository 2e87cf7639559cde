/**
 * The generated Alloy pipeline on Go's regexp, the library Alloy itself compiles every
 * stage.regex, stage.replace and `|~` filter with: tools/alloy-stages (a second executor, in Go,
 * fed the stage tree the TypeScript executor reads) gives the same extracted map, labels, stored
 * line, structured metadata, drops and regex runs as test/helpers/alloy-executor (RE2 in C++) on
 * every corpus line, planted secrets included. A regex Go reads differently from RE2 (a class,
 * `\b`, leftmost-first choice, UTF-8 handling) would show here.
 */
import { test } from 'node:test';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RE2 = require('re2') as new (pattern: string, flags?: string) => { test(s: Buffer): boolean };
import assert from 'node:assert/strict';
import { renderAlloyConfig } from '../../constructs/loki';
import { LOKI_LABEL_ALLOWLIST } from '../../constructs/loki/labels';
import { DEFAULT_LOG_VOLUME, DROP_REASONS } from '../../constructs/contracts/log-volume';
import { alloyStageData, loadAlloyPipeline, type StageData } from '../helpers/alloy-executor';
import { benchGoAlloy, necessaryLiterals, runGoAlloy, runGoAlloyBytes, type GoLineRun } from '../helpers/go-alloy';
import { ML_LOG_CATALOG, prefilterSets } from '../../constructs/mllogs';
import { compileTemplate } from '../../constructs/mllogs/pattern';
import { TOKENS } from '../../constructs/mllogs/tokens';
import { LEVELS } from '../../constructs/mllogs/schema';
import { extractorPrefix, formatPrefix } from '../../constructs/mllogs/naming';
import { REDACTION_RULES, replaceExpression } from '../../constructs/contracts/redaction';
import { parserFor, trainingLogs, trainingQuality } from '../mllogs/helpers';
import { buildLokiStages, flattenLokiStages, LOKI_OUTPUT_FIELDS, temporaryLabels } from '../../constructs/mllogs/compile-loki';
import { renderReplacement } from '../../constructs/mllogs/normalize';
import type { Rewrite } from '../../constructs/mllogs/types';

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const LOKI = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false };
const POD = { namespace: 'team-a', pod: 'train-0', container: 'trainer', app: 'trainer', job: 'llama-ft' };
const KERNEL = { app: 'kernel', node: 'gpu-1' };

const sorted = (o: Readonly<Record<string, string>>): [string, string][] => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Both executors on the lines (TypeScript on `tsConfig`, Go on `goConfig`); the differences, one message each. */
function differences(tsConfig: string, goConfig: string, lines: readonly string[], labels: Readonly<Record<string, string>>, component = 'ml'): string[] {
  const ts = loadAlloyPipeline(tsConfig, component);
  const go = runGoAlloy(alloyStageData(goConfig, component), lines, labels);
  assert.equal(go.length, lines.length);
  const out: string[] = [];
  lines.forEach((line, i) => {
    const t = ts.run(line, labels);
    const g: GoLineRun = go[i]!;
    const expect = {
      extracted: sorted(Object.fromEntries(t.extracted)),
      labels: sorted(t.labels),
      line: t.line,
      metadata: sorted(t.structuredMetadata),
      dropped: t.dropped?.reason ?? null,
      regexRuns: t.regexRuns,
    };
    const got = { extracted: sorted(g.extracted), labels: sorted(g.labels), line: g.line, metadata: sorted(g.structuredMetadata), dropped: g.dropped, regexRuns: g.regexRuns ?? [] };
    for (const k of Object.keys(expect) as (keyof typeof expect)[]) {
      if (JSON.stringify(expect[k]) !== JSON.stringify(got[k])) out.push(`${JSON.stringify(line.slice(0, 80))}: ${k} differs\n  RE2: ${JSON.stringify(expect[k]).slice(0, 400)}\n  Go:  ${JSON.stringify(got[k]).slice(0, 400)}`);
    }
  });
  return out;
}

const CORPUS = [...trainingLogs(), ...trainingQuality()].map((r) => r.line);
const SECRETS = [
  'export HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  'Found credentials in environment variables. AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
  'mlflow: tracking URI postgresql://mlflow:S3cr3tP4ss@db.internal:5432/mlflow',
  'connecting with db_password=hunter2hunter2 to postgres',
  'internal service key ik_0123456789abcdef01234567 accepted',
];

test('Go\'s regexp and RE2 run the generated Alloy pipeline alike on every corpus line (pod and kernel streams), planted secrets included', () => {
  const config = renderAlloyConfig({ common: COMMON, loki: LOKI, redaction: [{ kind: 'internal-key', pattern: 'ik_[0-9a-f]{24}', literals: ['ik_'] }] });
  assert.ok(CORPUS.length > 350, `${CORPUS.length} corpus lines`);
  for (const labels of [POD, KERNEL]) assert.deepEqual(differences(config, config, [...SECRETS, ...CORPUS], labels), []);
  // the comparison sees what the stages do: a secret redacted and a training line's fields, in Go
  const go = runGoAlloy(alloyStageData(config), [...SECRETS, 'Epoch 3: loss=2.34 lr=1e-4'], POD);
  assert.match(go[0]!.line, /HF_TOKEN=<redacted:hf-token>$/);
  assert.match(go[4]!.line, /<redacted:internal-key> accepted$/);
  assert.equal(go[5]!.extracted['x_loss__loss'], '2.34', JSON.stringify(go[5]!.extracted));
});

test('the volume component alike: level drops, progress sampling and per-stream limits, static fields as metadata', () => {
  const config = renderAlloyConfig({
    common: COMMON,
    loki: LOKI,
    volume: { ...DEFAULT_LOG_VOLUME, dropLevels: ['debug'], progressInterval: '20s', perStream: { linesPerSecond: 50, burstLines: 400 } },
    staticFields: { fields: { project: 'llm' }, namespaces: { 'team-a': { team: 'vision' } } },
  });
  const lines = CORPUS.slice(0, 120);
  for (const labels of [{ ...POD, level: 'debug' }, { ...POD, level: 'info', event: 'train_progress' }, POD]) assert.deepEqual(differences(config, config, lines, labels, 'volume'), []);
  const [dropped] = runGoAlloy(alloyStageData(config, 'volume'), ['x'], { ...POD, level: 'debug' });
  assert.equal(dropped!.dropped, DROP_REASONS.level('debug'));
});

test('the comparison can fail: one regex changed in the pipeline Go runs is reported', () => {
  const config = renderAlloyConfig({ common: COMMON, loki: LOKI });
  const changed = config.replace('(?P<x_loss__loss>', '(?P<x_loss__loss>9');
  assert.notEqual(changed, config);
  const diff = differences(config, changed, ['Epoch 3: loss=2.34 lr=1e-4'], POD);
  assert.ok(diff.some((d) => d.includes('extracted differs')), diff.join('\n'));
});

test('the benchmark accounts the stage.regex work it splits out: runs behind a closed gate are not counted, each run scans up to its match', () => {
  const config = [
    'loki.process "ml" {',
    '  stage.regex {',
    '    expression = "loss=(?P<loss>\\\\d+)"',
    '  }',
    '  stage.regex {',
    '    expression = "(?P<digit>\\\\d)"',
    '    source     = "loss"',
    '  }',
    '  stage.match {',
    '    selector = "{app=\\"trainer\\"} |= \\"never\\""',
    '    stage.regex {',
    '      expression = "(?P<y>y)"',
    '    }',
    '  }',
    '  stage.regex {',
    '    expression = "(?P<z>zzz)"',
    '  }',
    '}',
  ].join('\n');
  const b = benchGoAlloy(alloyStageData(config), ['a loss=3', 'b'], { app: 'trainer' }, 0.05);
  // the regex on `loss` runs where it was extracted: the first line only
  assert.equal(b.regexRuns, 5 / 2);
  assert.equal(b.regexOnValueRuns, 1 / 2);
  // `a loss=3`: 3 bytes to the match, 1 of `3`, then 8 for the regex that finds nothing; `b`: 1 and 1
  assert.equal(b.scannedBytes, (3 + 1 + 8 + 1 + 1) / 2);
  for (const k of ['usPerLine', 'regexUs', 'regexFloorUs', 'literalFloorUs'] as const) assert.ok(Number.isFinite(b[k]) && b[k] > 0, `${k}: ${b[k]}`);
});

// ---------------------------------------------------------------- prefilters proven, not sampled

test('every prefilter is a necessary condition of its regex on every text, proven on the regex syntax as Go parses it (formats, extractors, event rules, redaction)', () => {
  const cases: { what: string; regex: string; prefilter: readonly string[] }[] = [
    ...ML_LOG_CATALOG.formats.flatMap((f) => prefilterSets(f).map((set) => ({ what: `format ${f.id}`, regex: compileTemplate(f.pattern, 're2', formatPrefix(f)), prefilter: set }))),
    ...ML_LOG_CATALOG.extractors.flatMap((x) => prefilterSets(x).map((set) => ({ what: `extractor ${x.id}`, regex: compileTemplate(x.pattern, 're2', extractorPrefix(x)), prefilter: set }))),
    ...ML_LOG_CATALOG.eventRules.flatMap((r) => prefilterSets(r).map((set) => ({ what: `event rule ${r.id}`, regex: r.pattern, prefilter: set }))),
    ...REDACTION_RULES.filter((r) => r.literals?.length).map((r) => ({ what: `redaction ${r.kind}`, regex: replaceExpression(r), prefilter: r.literals! })),
  ];
  assert.ok(cases.length > 90, `${cases.length} prefilters`);
  const results = necessaryLiterals(
    cases.map((c) => c.regex),
    cases.map((c) => [c.prefilter]),
  );
  const unproven = cases.flatMap((c, i) => (results[i]!.implied[0] ? [] : [`${c.what}: ${JSON.stringify(c.prefilter)} (the syntax gives ${JSON.stringify(results[i]!.best)})`]));
  assert.deepEqual(unproven, []);
});

test('the proof can fail: a literal the regex can do without, a case-insensitive literal, and a literal behind an optional part are refused', () => {
  const [optional, folded, alternative, exact] = necessaryLiterals(
    ['(?:train )?loss=(?P<v>\\d+)', '(?i)loss: nan', 'loss|LOSS', 'a[bc]d'],
    [[['train'], ['loss=']], [['oss']], [['oss', 'OSS'], ['oss']], [['abd', 'acd'], ['bd']]],
  );
  assert.deepEqual(optional!.implied, [false, true]);
  assert.deepEqual(folded!.implied, [false], 'Go folds s to ſ (U+017F) under (?i)');
  assert.deepEqual(alternative!.implied, [true, false]);
  assert.deepEqual(exact!.implied, [true, false]);
  assert.deepEqual(exact!.best, ['abd', 'acd']);
});

test('the necessary sets are sound: over every text of up to 6 symbols, a text a regex matches holds a literal of its set', () => {
  // regexes exercising each rule of the analysis: optional parts before and after a join, a
  // repeat from 0, plus, star, alternation of prefixes and suffixes, classes, case folding
  const regexes = [
    'a(?: +b)? +c',
    'ab?c|ba',
    '(?:a|b)(?: ?/ ?)(?:c|ab)',
    'a{0,2} b+c',
    '(?:ab|b)*c(?:a|b)',
    '[ab]c[ab]',
    '(?i)ab ?c',
    '(?:^|[^a])b(?:c|a )',
    'c(?:a|b){1,2}/',
    '(?:a /|b/ )(?:a|bc)\\b',
  ];
  const results = necessaryLiterals(regexes, regexes.map(() => []));
  const alphabet = ['a', 'b', 'c', ' ', '/', 'A'];
  const texts: string[] = [''];
  for (let len = 1, layer = ['']; len <= 6; len++) {
    layer = layer.flatMap((t) => alphabet.map((c) => t + c));
    texts.push(...layer);
  }
  let matched = 0;
  regexes.forEach((r, i) => {
    const set = results[i]!.best;
    assert.ok(set && set.length > 0, `${r}: a set`);
    const re = new RE2(r, 'u');
    for (const t of texts) {
      if (!re.test(Buffer.from(t))) continue;
      matched++;
      assert.ok(set.some((l) => t.includes(l)), `${r} matches ${JSON.stringify(t)}, which holds none of ${JSON.stringify(set)}`);
    }
  });
  assert.ok(matched > 5000, `${matched} matching texts checked`);
});

// ---------------------------------------------------------------- the whole pipeline, templates and JMESPath included

test('with Alloy\'s own template engine and JMESPath (text/template + sprig 3.3.0, jmespath-community 1.1.1), the pipeline gives the reference engine\'s fields on every corpus line', async () => {
  const config = renderAlloyConfig({ common: COMMON, loki: LOKI });
  const parser = await parserFor('re2');
  const records = [...trainingLogs(), ...trainingQuality()];
  let compared = 0;
  for (const labels of [POD, KERNEL]) {
    const runs = runGoAlloy(alloyStageData(config), records.map((r) => r.line), labels, true);
    const problems: string[] = [];
    records.forEach((rec, i) => {
      const expected = parser.parse(rec.line);
      const fields = expected.fields as Readonly<Record<string, string | number>>;
      const got = runs[i]!;
      for (const f of LOKI_OUTPUT_FIELDS) {
        const want = f === 'framework' ? expected.family : fields[f];
        const raw = got.extracted[f];
        const have = raw === undefined || raw === '' ? undefined : raw;
        const same = want === undefined ? have === undefined : typeof want === 'number' ? have !== undefined && Math.abs(Number(have) - want) <= 1e-12 * Math.max(1, Math.abs(want)) : have === want;
        compared++;
        if (!same) problems.push(`${rec.id} ${f}: engine ${JSON.stringify(want)}, Alloy ${JSON.stringify(raw)}`);
      }
      // the labels Loki receives from the catalog: the engine's, nothing Go's templates print for a missing key
      for (const l of ['level', 'event', 'framework'] as const) {
        const want = l === 'framework' ? expected.family : fields[l];
        assert.equal(got.labels[l], want === undefined ? undefined : String(want), `${rec.id}: label ${l}`);
      }
      assert.ok(!JSON.stringify(got).includes('<no value>'), `${rec.id}: a template printed <no value>`);
      assert.equal(got.templateErrors, 0, `${rec.id}: a template failed to execute`);
    });
    assert.deepEqual(problems, []);
  }
  assert.ok(compared > 15000, `${compared} field values compared`);
});

test('the level map template (words by eq, no regex compiled per rule) gives what the regexReplaceAll chain it replaces gives, case folds included', () => {
  const levelMap = flattenLokiStages(buildLokiStages()).find((s) => s.kind === 'template' && s.comment?.startsWith('level map'));
  assert.ok(levelMap?.kind === 'template');
  // the chain as it was generated before: one regexReplaceAll per rule, `(?i)^(?:pattern)$`
  let chain = '.Value';
  for (const r of ML_LOG_CATALOG.levelRules) chain = `(regexReplaceAll \`(?i)^(?:${r.pattern})$\` ${chain} \`${r.level}\`)`;
  const stages = (...templates: string[]): StageData[] => templates.map((template) => ({ kind: 'template', source: 'level', template, parts: null }));
  const values = ['I', 'info', 'INFO', 'Information', 'notice', 'W', 'Warn', 'UserWarning', 'DeprecationWarning', 'user-warning', 'warning2', 'ſevere', 'SEVERE', 'eRRor', 'E', 'CRIT', 'Fatal', 'emergency', 'V', 'trace', 'foo', 'ınfo', 'İnfo', 'ſ', ' info', '\u212awarning', 'İwarning', 'ſwarn', 'ſtrace', 'DEBUG\u212a'];
  const run = (...templates: string[]): (string | undefined)[] => values.map((v) => runGoAlloy(stages(...templates), ['x'], { level: v }, true)[0]!.extracted['level']);
  const now = run(levelMap.template);
  // the chain, then the schema check that was its own template after it
  const schema = `{{ if or ${LEVELS.map((l) => `(eq .Value "${l}")`).join(' ')} }}{{ .Value }}{{ end }}`;
  assert.deepEqual(now, run(`{{ if .Value }}{{ ${chain} }}{{ end }}`, schema));
  assert.deepEqual(now.slice(0, 8), ['info', 'info', 'info', 'info', 'info', 'warning', 'warning', 'warning']);
  assert.equal(now[values.indexOf('ſevere')], 'error', 'Go\'s (?i) folds ſ onto s');
  assert.equal(now[values.indexOf('user-warning')], undefined, 'no rule names it and it is no level of the schema');
  assert.equal(now[values.indexOf('foo')], undefined);
});

test('every rewrite runs behind a literal its pattern requires (proven), and the guarded steps give what the chain of regexReplaceAll they replace gives', () => {
  const rewrites = [...ML_LOG_CATALOG.timestampSources.flatMap((s) => s.rewrites), ...ML_LOG_CATALOG.numberRewrites.flatMap((r) => r.rewrites)];
  const guarded = rewrites.filter((rw) => rw.requires !== undefined);
  assert.ok(guarded.length >= 30, `${guarded.length} guarded rewrites`);
  const proof = necessaryLiterals(
    guarded.map((rw) => rw.pattern),
    guarded.map((rw) => [[rw.requires!]]),
  );
  assert.deepEqual(guarded.filter((_rw, i) => !proof[i]!.implied[0]).map((rw) => `${rw.pattern} requires ${JSON.stringify(rw.requires)}`), []);
  const templates = flattenLokiStages(buildLokiStages());
  const cases: [string, readonly Rewrite[], readonly string[]][] = [
    ...ML_LOG_CATALOG.timestampSources.map((s): [string, readonly Rewrite[], readonly string[]] => [s.capture, s.rewrites, ['2024-02-22 19:20:22,163', '2024-02-22T19:20:22,163Z', '2024-02-22 19:20:22', '02/22/2024-19:20:22', '2/3/2024 19:20:22,5', '2024_02_22', '2024-02-22_19:20:22', '2024/02/22 19:20:22,1', 'Mon Jul 25 16:46:04 2022', 'Thu Jan  4 09:00:00 2024', 'Mon Jul 5 16:46:04 2022', 'x']]),
    ...ML_LOG_CATALOG.numberRewrites.map((r): [string, readonly Rewrite[], readonly string[]] => [r.field, r.rewrites, ['5,856', '1,234,567.5', '16.88K', '3K', '1.5K', '2.3456K', '7282', '0.5', 'K', ',']]),
  ];
  for (const [source, rws, values] of cases) {
    const now = templates.find((s) => s.kind === 'template' && s.source === source && /^(?:timestamp rewrite|\w+ written for people)/.test(s.comment ?? ''));
    assert.ok(now?.kind === 'template', source);
    let chain = '.Value';
    for (const rw of rws) chain = `(regexReplaceAll \`${rw.pattern}\` ${chain} \`${renderReplacement(rw.replacement, 'go')}\`)`;
    // each value is a line, copied whole into the source by a regex stage, then the template
    const run = (template: string): (string | undefined)[] =>
      runGoAlloy([{ kind: 'regex', what: 'value', expression: `(?P<${source}>.*)` }, { kind: 'template', source, template, parts: null }], values, {}, true).map((r) => r.extracted[source]);
    assert.deepEqual(run(now.template), run(`{{ if .Value }}{{ ${chain} }}{{ end }}`), source);
  }
});

test('the normalizations behind the label of the field they read give, on every line, what they give run on every line', () => {
  const gated = alloyStageData(renderAlloyConfig({ common: COMMON, loki: LOKI }));
  const presence = new Set(temporaryLabels().filter((l) => l.startsWith('mlobs_has_')));
  let groups = 0;
  const ungate = (list: readonly StageData[]): StageData[] =>
    list.flatMap((s): StageData[] => {
      if (s.kind !== 'match') return [s];
      if (s.filters.length === 0 && s.matchers.length === 1 && presence.has(s.matchers[0]!.name)) {
        groups++;
        return ungate(s.stages);
      }
      return [{ ...s, stages: ungate(s.stages) }];
    });
  const ungated = ungate(gated);
  // timestamp and the four raw timestamps, level, two scales, bytes, the number rewrite, the unit map
  assert.equal(groups, 11);
  const lines = [
    ...CORPUS,
    // fields a JSON line gives as empty or odd texts, units and sizes at every rule
    '{"level": "", "time": "", "msg": "x", "loss": "", "throughput": "", "step_time_ms": ""}',
    '{"level": "WARN", "time": "2024-02-22 19:20:22,163", "msg": "x", "step_time_ms": "120", "throughput": "5,856"}',
    '{"level": null, "step_time_us": 1500, "throughput": "16.88K"}',
    'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capacity)',
    'Epoch 1: 100%|##########| 10/10 [00:01<00:00, 7.81it/s, loss=0.5]',
    'step 5 | time 120.5ms | 3,000 tokens/s',
  ];
  for (const labels of [POD, KERNEL]) {
    const a = runGoAlloy(gated, lines, labels, true);
    const b = runGoAlloy(ungated, lines, labels, true);
    lines.forEach((line, i) => {
      const { regexRuns: _ra, ...ga } = a[i]!;
      const { regexRuns: _rb, ...gb } = b[i]!;
      assert.deepEqual(ga, gb, line);
    });
  }
});

test('a byte that is not UTF-8 parses as U+FFFD does: a format or extractor whose match holds one still sets its control label (Alloy refuses such a label value)', () => {
  const stages = alloyStageData(renderAlloyConfig({ common: COMMON, loki: LOKI }));
  // Go's regexp reads a bad byte as U+FFFD, so every pattern matches the same span on both lines
  // and every field is the same once Go's JSON encoder has written the bad byte as U+FFFD
  const bad = (l: string, at: number): Buffer => Buffer.concat([Buffer.from(l.slice(0, at)), Buffer.from([0xff]), Buffer.from(l.slice(at))]);
  const good = (l: string, at: number): Buffer => Buffer.from(`${l.slice(0, at)}\ufffd${l.slice(at)}`);
  const cases = CORPUS.flatMap((l) => [l.length, Math.floor(l.length / 2)].map((at) => [l, at] as const)).filter(([l, at]) => !/[^\x00-\x7f]/.test(l.slice(0, at)));
  assert.ok(cases.length > 600, `${cases.length} cases`);
  for (const labels of [POD, KERNEL]) {
    const withBad = runGoAlloyBytes(stages, cases.map(([l, at]) => bad(l, at)), labels, true);
    const withGood = runGoAlloyBytes(stages, cases.map(([l, at]) => good(l, at)), labels, true);
    const differ = cases.flatMap(([l, at], i) => {
      const { regexRuns: _a, ...b } = withBad[i]!;
      const { regexRuns: _g, ...g } = withGood[i]!;
      // a field that holds the bad byte is no structured metadata (Alloy skips a value that is not
      // UTF-8, as for a label); one decoded from JSON holds U+FFFD instead (Go's JSON decoder)
      const metadata = Object.fromEntries(Object.entries(g.structuredMetadata).filter(([k, v]) => k in b.structuredMetadata || !v.includes('\ufffd')));
      return JSON.stringify(b) === JSON.stringify({ ...g, structuredMetadata: metadata }) ? [] : [`${JSON.stringify(l.slice(0, 60))} with the byte at ${at}`];
    });
    assert.deepEqual(differ.slice(0, 5), [], `${differ.length} lines differ`);
  }
});

test('every match of a format, an extractor and the JSON payload holds an ASCII character from space to ~, from which the control label is set (proven on the regex syntax)', () => {
  const cases = [
    ...ML_LOG_CATALOG.formats.map((f) => ({ what: `format ${f.id}`, regex: compileTemplate(f.pattern, 're2', formatPrefix(f)) })),
    ...ML_LOG_CATALOG.extractors.map((x) => ({ what: `extractor ${x.id}`, regex: compileTemplate(x.pattern, 're2', extractorPrefix(x)) })),
    { what: 'the JSON payload', regex: TOKENS.JSON_OBJECT.re2 },
  ];
  const results = necessaryLiterals(cases.map((c) => c.regex), cases.map(() => []));
  // a necessary set whose every literal holds such a character: every match holds one
  const holdsOne = (best: readonly string[] | null): boolean => best !== null && best.length > 0 && best.every((l) => /[ -~]/.test(l));
  assert.deepEqual(cases.flatMap((c, i) => (holdsOne(results[i]!.best) ? [] : [`${c.what}: ${JSON.stringify(results[i]!.best)}`])), []);
  // and the proof can fail: a pattern that can match only non-ASCII text
  const [onlyWide] = necessaryLiterals(['(?:é|ü)+'], [[]]);
  assert.ok(!holdsOne(onlyWide!.best));
});

test('the log-derived metrics Alloy publishes from the corpus (events, error lines, training gauges, step times) are what the reference engine reads in each line', async () => {
  const config = renderAlloyConfig({ common: COMMON, loki: LOKI });
  const parser = await parserFor('re2');
  const records = [...trainingLogs(), ...trainingQuality()];
  const runs = runGoAlloy(alloyStageData(config), records.map((r) => r.line), POD, true);
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  const allowed = new Set<string>([...LOKI_LABEL_ALLOWLIST, 'unit']);
  let gauges = 0;
  let events = 0;
  records.forEach((rec, i) => {
    const f = parser.parse(rec.line).fields as Readonly<Record<string, string | number | undefined>>;
    const samples = runs[i]!.samples ?? [];
    const of = (name: string): typeof samples => samples.filter((s) => s.name === name);
    for (const s of samples) {
      assert.deepEqual(Object.keys(s.labels).filter((l) => !allowed.has(l)), [], `${rec.id}: ${s.name} labels`);
      assert.ok(!Object.values(s.labels).includes('<no value>'), `${rec.id}: ${s.name} ${JSON.stringify(s.labels)}`);
    }
    const ev = of('mlobs_log_events_total');
    if (f.event === undefined) assert.equal(ev.length, 0, `${rec.id}: no event, no count`);
    else {
      assert.deepEqual(ev.map((s) => [s.op, s.labels['event']]), [['inc', f.event]], rec.id);
      events++;
    }
    const errors = of('mlobs_log_error_lines_total').length;
    assert.equal(errors, f.level === 'error' || f.level === 'critical' ? 1 : 0, `${rec.id}: error lines (level ${String(f.level)})`);
    const progress = f.event === 'train_progress';
    for (const [metric, field] of [['mlobs_train_loss', 'loss'], ['mlobs_train_learning_rate', 'learning_rate'], ['mlobs_train_grad_norm', 'grad_norm'], ['mlobs_train_step', 'step'], ['mlobs_train_throughput', 'throughput']] as const) {
      const set = of(metric);
      const want = progress ? f[field] : undefined;
      if (want === undefined) assert.equal(set.length, 0, `${rec.id}: ${metric}`);
      else {
        assert.equal(set.length, 1, `${rec.id}: ${metric}`);
        assert.ok(set[0]!.op === 'set' && close(set[0]!.value, Number(want)), `${rec.id}: ${metric} ${set[0]!.value} != ${String(want)}`);
        if (field === 'throughput') assert.equal(set[0]!.labels['unit'], f.throughput_unit, `${rec.id}: unit`);
        gauges++;
      }
    }
    const steps = of('mlobs_train_step_seconds');
    const stepSeconds = !progress ? undefined : f.step_time_s !== undefined ? Number(f.step_time_s) : f.throughput !== undefined && f.throughput_unit === 'it/s' ? 1 / Number(f.throughput) : undefined;
    if (stepSeconds === undefined) assert.equal(steps.length, 0, `${rec.id}: step seconds`);
    else assert.ok(steps.length === 1 && close(steps[0]!.value, stepSeconds), `${rec.id}: step seconds ${JSON.stringify(steps)} != ${stepSeconds}`);
  });
  assert.ok(events > 150 && gauges > 150, `${events} event counts, ${gauges} gauge values checked`);
});
