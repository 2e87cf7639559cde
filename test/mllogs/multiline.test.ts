/** Multiline rules: each corpus traceback becomes one event, with the regexes emitted into the configs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import {
  CONTINUATION_MARK,
  compileAlloyMultiline,
  compileFilebeatMultiline,
  compilePromtailMultiline,
  groupLines,
  lokiMultilineStages,
} from '../../constructs/mllogs/multiline';
import { assertGolden, multilineGroups, re2Engine } from './helpers';

const engine = re2Engine();
const continuation = engine.compilePlain(compileFilebeatMultiline().pattern);
const isContinuation = (line: string): boolean => continuation.exec(engine.prepare(line)) !== null;

/** Emulates the Alloy/Promtail stages: replace (mark) -> multiline (firstline) -> replace (unmark), all on RE2. */
function lokiGroups(lines: readonly string[]): string[][] {
  const [mark, group, unmark] = lokiMultilineStages();
  const markRe = engine.compilePlain(mark.replace.expression);
  const firstRe = engine.compilePlain(group.multiline.firstline);
  const unmarkRe = engine.compilePlain(unmark.replace.expression);
  const marked = lines.map((l) => {
    const m = markRe.exec(engine.prepare(l));
    return m ? mark.replace.replace + l : l;
  });
  const events: string[][] = [];
  for (const l of marked) {
    if (events.length === 0 || firstRe.exec(engine.prepare(l)) !== null) events.push([l]);
    else events[events.length - 1].push(l);
  }
  return events.map((e) => e.map((l) => (unmarkRe.exec(engine.prepare(l)) ? l.split(CONTINUATION_MARK).join('') : l)));
}

const PLAIN = '2024-01-01 00:00:00,000 - train - INFO - step done';

for (const rec of multilineGroups()) {
  test(`Filebeat rule groups ${rec.id} into one event`, () => {
    const events = groupLines(rec.lines, isContinuation);
    assert.equal(events.length, 1, `split at: ${events.slice(1).map((e) => JSON.stringify(e[0])).join(', ')}`);
  });

  test(`Filebeat rule ends ${rec.id} at the next ordinary log line`, () => {
    const events = groupLines([...rec.lines, PLAIN], isContinuation);
    assert.equal(events.length, 2);
    assert.deepEqual(events[1], [PLAIN]);
  });

  test(`Alloy/Promtail stages group ${rec.id} into one unchanged event`, () => {
    const events = lokiGroups([PLAIN, ...rec.lines, PLAIN]);
    const starts = rec.lines[0].startsWith(' ') || rec.lines[0].startsWith('File ') ? 2 : 3;
    assert.equal(events.length, starts, 'headerless blocks join the line before them; others stand alone');
    const block = starts === 3 ? events[1] : events[0].slice(1);
    assert.deepEqual(block, rec.lines);
  });
}

test('a traceback header starts a new event even after another traceback', () => {
  const events = groupLines(['Traceback (most recent call last):', '  File "a.py", line 1, in <module>', 'ValueError: x', 'Traceback (most recent call last):', 'KeyError: y'], isContinuation);
  assert.equal(events.length, 2);
});

test('a C++ stack (c10::Error frames) stays with its message', () => {
  const events = groupLines(['terminate called after throwing an instance of c10::Error', '  what():  CUDA error: an illegal memory access', 'Exception raised from c10_cuda_check_implementation at x.cpp:1', 'frame #0: foo + 0x1 (0x1 in libc10.so)'], isContinuation);
  assert.equal(events.length, 1);
});

test('Filebeat multiline settings match their golden file', () => {
  assertGolden('filebeat-multiline.yaml', stringify({ multiline: compileFilebeatMultiline() }, { lineWidth: 0 }));
});

test('Alloy multiline stages match their golden file', () => {
  assertGolden('alloy-multiline.alloy', compileAlloyMultiline());
});

test('Promtail multiline stages are the same three stages as Alloy', () => {
  const stages = compilePromtailMultiline();
  assert.deepEqual(stages.map((s) => Object.keys(s)[0]), ['replace', 'multiline', 'replace']);
  assert.match(compileAlloyMultiline(), /firstline\s+= "\^\[\^\\\\x\{E000\}\]"/);
});
