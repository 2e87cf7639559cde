/** Invariants of the catalog data itself. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ML_LOG_CATALOG } from '../../constructs/mllogs/catalog';
import { captureGroups, compileTemplate, templateCaptures } from '../../constructs/mllogs/pattern';
import { formatPrefix } from '../../constructs/mllogs/naming';
import { isFieldName } from '../../constructs/mllogs/schema';
import { prefilterSets, RAW_CAPTURES } from '../../constructs/mllogs/types';
import { parserFor, re2Engine, trainingLogs, trainingQuality } from './helpers';

test('every format pattern is anchored at the start of the line', () => {
  const unanchored = ML_LOG_CATALOG.formats.filter((f) => !f.pattern.startsWith('^')).map((f) => f.id);
  assert.deepEqual(unanchored, []);
});

test('format, extractor and rule ids are unique', () => {
  for (const list of [ML_LOG_CATALOG.formats, ML_LOG_CATALOG.extractors, ML_LOG_CATALOG.eventRules]) {
    const ids = list.map((x) => x.id);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), []);
  }
});

test('captures are schema fields or declared raw captures, never repeated within a pattern', () => {
  for (const p of [...ML_LOG_CATALOG.formats, ...ML_LOG_CATALOG.extractors]) {
    const caps = templateCaptures(p.pattern);
    assert.deepEqual(caps.filter((c, i) => caps.indexOf(c) !== i), [], `${p.id} repeats a capture (RE2 forbids duplicate names)`);
    for (const c of caps) assert.ok(isFieldName(c) || (RAW_CAPTURES as readonly string[]).includes(c), `${p.id} captures unknown name ${c}`);
  }
});

test('the RE2 form of every pattern declares exactly its template captures', () => {
  for (const f of ML_LOG_CATALOG.formats) {
    const names = captureGroups(compileTemplate(f.pattern, 're2', formatPrefix(f))).filter((n): n is string => n !== undefined);
    assert.deepEqual(names, templateCaptures(f.pattern).map((c) => formatPrefix(f) + c), f.id);
  }
});

test('timestamp rewrites and level rules are anchored so replace-all equals replace-first', () => {
  for (const s of ML_LOG_CATALOG.timestampSources) for (const r of s.rewrites) assert.ok(r.pattern.startsWith('^'), `${s.capture}: ${r.pattern}`);
});

test('number rewrites are anchored too, and turn numbers written for people into digits', () => {
  for (const n of ML_LOG_CATALOG.numberRewrites) for (const r of n.rewrites) assert.ok(r.pattern.startsWith('^'), `${n.field}: ${r.pattern}`);
  const engine = re2Engine();
  const rewrite = (v: string): string => {
    let out = v;
    for (const r of ML_LOG_CATALOG.numberRewrites.find((n) => n.field === 'throughput')?.rewrites ?? []) {
      const m = engine.compilePlain(r.pattern).exec(engine.prepare(out));
      if (m) out = out.replace(m.groups[0] ?? '', r.replacement.map((p) => (typeof p === 'string' ? p : (m.groups[p.group] ?? ''))).join(''));
    }
    return out;
  };
  assert.deepEqual(
    ['5,856', '1,234,567.5', '16.88K', '3K', '1.5K', '2.3456K', '7282', '0.5'].map((v) => Number(rewrite(v))),
    [5856, 1234567.5, 16880, 3000, 1500, 2345.6, 7282, 0.5],
  );
});

test('prefilters (every literal set) never reject a corpus line that the full pattern matches', () => {
  const engine = re2Engine();
  const entries = [
    ...[...ML_LOG_CATALOG.formats, ...ML_LOG_CATALOG.extractors].map((p) => ({ p, re: engine.compileTemplate(p.pattern, 'p__') })),
    ...ML_LOG_CATALOG.eventRules.map((p) => ({ p, re: engine.compilePlain(p.pattern) })),
  ];
  let checked = 0;
  for (const { p, re } of entries) {
    for (const set of prefilterSets(p)) {
      for (const rec of [...trainingLogs(), ...trainingQuality()]) {
        const input = engine.prepare(rec.line);
        const hit = re.exec(input) !== null;
        if (hit) {
          checked++;
          assert.ok(set.some((lit) => rec.line.includes(lit)), `${p.id} literal set ${JSON.stringify(set)} rejects ${rec.id}, which its pattern matches`);
        }
      }
    }
  }
  assert.ok(checked > 500, `${checked} matching lines checked`);
});

test('line starts never reject a line the full pattern matches (corpus lines and the examples in every summary)', () => {
  const engine = re2Engine();
  const all = [...ML_LOG_CATALOG.formats, ...ML_LOG_CATALOG.extractors];
  const examples = all.flatMap((p) => [...p.summary.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  const lines = [...[...trainingLogs(), ...trainingQuality()].map((r) => r.line), ...examples];
  let checked = 0;
  for (const p of all) {
    if (!p.start) continue;
    assert.doesNotMatch(p.start.replace(/\\./g, ''), /\((?!\?:)/, `${p.id}: a line start has no capture group`);
    const re = engine.compileTemplate(p.pattern, 'p__');
    const start = engine.compilePlain(`^(?:${p.start})`);
    for (const line of lines) {
      const input = engine.prepare(line);
      try {
        if (re.exec(input) === null) continue;
        checked++;
        assert.ok(start.exec(input) !== null, `${p.id} start ${JSON.stringify(p.start)} rejects ${JSON.stringify(line)}, which its pattern matches`);
      } finally {
        input.dispose();
      }
    }
  }
  assert.ok(all.filter((p) => p.start).length >= 20, 'formats without a usable literal carry a line start');
  assert.ok(checked > 150, `${checked} matching lines checked`);
});

test('every family named in the issue has at least one format or extractor', () => {
  const families = new Set([...ML_LOG_CATALOG.formats, ...ML_LOG_CATALOG.extractors].map((x) => x.family));
  for (const f of ['pytorch', 'transformers', 'lightning', 'keras', 'tensorflow', 'tensorrt', 'nccl', 'deepspeed', 'kernel', 'json']) {
    assert.ok(families.has(f as never), `no catalog entry for ${f}`);
  }
});

test('lines the prefilter proof found skipped (the pattern matched, no literal of its old prefilter): their fields now on every engine', async () => {
  const cases: [string, Record<string, string | number>][] = [
    ['[2024-07-06 06:40:54,438] -[engine.py line:78]: saved', { logger: 'engine.py line:78' }],
    [' 45%|####      | 12/27 [00:15<00:02,  1.66tok/s]', { step: 12, steps_total: 27, throughput: 1.66, throughput_unit: 'tokens/s' }],
    ['Time per step: 0.5 s', { step_time_s: 0.5 }],
    ['iteration time (s: 1.25', { step_time_s: 1.25 }],
    ['rank0: tokens/s=120.5', { throughput: 120.5, throughput_unit: 'tokens/s' }],
  ];
  for (const engine of ['re2', 'grok', 'js'] as const) {
    const parser = await parserFor(engine);
    for (const [line, fields] of cases) {
      const got = parser.parse(line).fields as Readonly<Record<string, unknown>>;
      for (const [k, v] of Object.entries(fields)) assert.equal(got[k], v, `${engine}: ${line}: ${k} (${JSON.stringify(got)})`);
    }
  }
});
