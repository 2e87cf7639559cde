/**
 * No catastrophic backtracking: every grok pattern (formats, extractors, event rules, as
 * Oniguruma runs them) is fed adversarial and very long lines (up to 64 KiB). Each run must
 * stay under a bound relative to a baseline measured in the same run on the same input:
 * a linear scan of the whole line by a trivial pattern.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ML_LOG_CATALOG } from '../../constructs/mllogs/catalog';
import type { CompiledRegex, PreparedInput, RegexEngine } from '../../constructs/mllogs/regex-engine';
import { grokEngine } from './helpers';

const SIZE = 64 * 1024;

function fill(unit: string, size = SIZE): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Inputs built from the characters and shapes the patterns are made of. */
const ADVERSARIAL: readonly [string, string][] = [
  ['letters', fill('a')],
  ['spaces', fill(' ')],
  ['digits', fill('0')],
  ['dotted words', fill('a.')],
  ['colons', fill('a:')],
  ['brackets', fill('[')],
  ['closing brackets', fill('] [')],
  ['rank tags', fill('[Rank 0]')],
  ['percent bars', fill('1%|')],
  ['counters', fill('1/2 ')],
  ['exception-like', '^' + fill('Error.')],
  ['key separators', fill('loss = ')],
  ['step no digits', 'step' + fill(' ')],
  ['nccl warn', fill('NCCL WARN x ')],
  ['glog-like prefix', 'W0101 00:00:00.000000 1 ' + fill('a/')],
  ['hydra-like prefix', '[2024-01-01 00:00:00,000][' + fill('a.')],
  ['timestamp repeated', fill('2024-01-01 00:00:00,000 ')],
  ['pipes and timestamps', fill('| 2024-01-01T00:00:00Z | ')],
  ['real prefix + long message', '[2024-05-10 11:33:19,738] [INFO] [real_accelerator.py:161:get_accelerator] ' + fill('x ')],
  ['real nccl prefix + long tail', 'host:1:2 [0] NCCL INFO ' + fill('Channel 00/0 : 0[0] -> 1[1] ')],
  ['python path-like', fill('/a.b')],
  ['quotes', fill('"\\')],
];

function time(regex: CompiledRegex, input: PreparedInput, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    regex.exec(input);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

/** A pattern may cost this many baseline scans of the same line (linear patterns stay far below). */
const FACTOR = 60;
/** Timer granularity allowance in ms, so sub-millisecond baselines do not make the bound meaningless. */
const SLACK_MS = 2;

test('no grok pattern backtracks catastrophically on adversarial 64 KiB lines', async () => {
  const engine: RegexEngine = await grokEngine();
  const baselineRe = engine.compilePlain('^(?:[\\s\\S])*$');
  const patterns: [string, CompiledRegex][] = [
    ...ML_LOG_CATALOG.formats.map((f): [string, CompiledRegex] => [`format ${f.id}`, engine.compileTemplate(f.pattern, 'p__')]),
    ...ML_LOG_CATALOG.extractors.map((x): [string, CompiledRegex] => [`extractor ${x.id}`, engine.compileTemplate(x.pattern, 'p__')]),
    ...ML_LOG_CATALOG.eventRules.map((r): [string, CompiledRegex] => [`rule ${r.id}`, engine.compilePlain(r.pattern)]),
  ];
  const slow: string[] = [];
  for (const [name, line] of ADVERSARIAL) {
    const input = engine.prepare(line);
    try {
      const baseline = time(baselineRe, input, 5);
      const bound = FACTOR * baseline + SLACK_MS;
      for (const [pname, re] of patterns) {
        // Best of 2; a pattern over the bound is measured again (best of 7) so that a GC pause
        // or a busy core is not taken for backtracking, which stays slow on every run.
        let ms = time(re, input, 2);
        if (ms > bound) ms = Math.min(ms, time(re, input, 7));
        if (ms > bound) slow.push(`${pname} on "${name}": ${ms.toFixed(2)} ms > bound ${bound.toFixed(2)} ms (baseline ${baseline.toFixed(3)} ms)`);
      }
    } finally {
      input.dispose();
    }
  }
  assert.deepEqual(slow, []);
});
