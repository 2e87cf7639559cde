/**
 * The js engine (JavaScript's RegExp, the CLI's default: no native addon, no file outside the
 * package) gives exactly the fields of the RE2 engine on every line of every corpus, and refuses
 * a pattern it cannot run the same way (inline flags other than a whole-pattern `(?i:...)`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createParser } from '../../constructs/mllogs/engine';
import { createEngine, toJsRegExp } from '../../constructs/mllogs/regex-engine';
import { sharedPath } from '../helpers/paths';

test('js and re2 engines give identical fields on every corpus line', async () => {
  const js = createParser(await createEngine('js', ''));
  const re2 = createParser(await createEngine('re2', ''));
  let lines = 0;
  for (const file of ['training-logs.jsonl', 'training-quality.jsonl']) {
    for (const text of fs.readFileSync(sharedPath('corpus', file), 'utf8').split('\n')) {
      if (!text.trim()) continue;
      const { line } = JSON.parse(text) as { line: string };
      assert.deepEqual(js.parse(line).fields, re2.parse(line).fields, line);
      lines++;
    }
  }
  assert.ok(lines > 300, `${lines} lines`);
});

test('RE2 dialect as JavaScript reads it: named groups, whole-pattern case folding; other inline flags refused', () => {
  assert.deepEqual({ ...toJsRegExp('(?P<lvl>\\w+): (?P<msg>.*)').exec('WARN: x')?.groups }, { lvl: 'WARN', msg: 'x' });
  const level = toJsRegExp('^(?i:w|warn|warning)$');
  assert.equal(level.flags, 'iu');
  assert.ok(level.test('WARNING') && !level.test('warned'));
  assert.throws(() => toJsRegExp('a(?i:b)c'), /cannot run inline flags/);
  assert.throws(() => toJsRegExp('(?s).*'), /cannot run inline flags/);
  // `^(?i:a)|(b)$` is not one case-insensitive group: refused rather than folded wrongly.
  assert.throws(() => toJsRegExp('^(?i:a)|(?i:b)$'), /cannot run inline flags/);
});
