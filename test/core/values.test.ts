import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { deepMerge, toHelmValuesYaml } from '../../constructs/core/values';

test('YAML 1.1 booleans and octal-looking strings are quoted for Helm', () => {
  const text = toHelmValuesYaml({ a: 'on', b: 'yes', c: 'y', d: 'off', e: 'no', f: 'n', g: '0755', h: 'true', i: 'plain' });
  for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) assert.match(text, new RegExp(`^${k}: "`, 'm'), `${k} must be quoted:\n${text}`);
  assert.match(text, /^i: plain$/m);
  // Read back with YAML 1.1 semantics (as Helm does): every value is still a string.
  assert.deepEqual(parse(text, { version: '1.1' }), { a: 'on', b: 'yes', c: 'y', d: 'off', e: 'no', f: 'n', g: '0755', h: 'true', i: 'plain' });
});

test('repeated objects are written out, never as YAML anchors', () => {
  const shared = { cpu: '1' };
  const text = toHelmValuesYaml({ a: shared, b: shared });
  assert.doesNotMatch(text, /[&*]a\d/);
  assert.match(text, /^b:\n {2}cpu: "1"$/m);
});

test('deepMerge: maps merge, lists and scalars replace, null deletes', () => {
  const base = { a: { x: 1, y: [1, 2] }, b: 'keep', c: 'drop' };
  const merged = deepMerge(base, { a: { y: [3], z: true }, c: null });
  assert.deepEqual(merged, { a: { x: 1, y: [3], z: true }, b: 'keep' });
  assert.deepEqual(base, { a: { x: 1, y: [1, 2] }, b: 'keep', c: 'drop' }, 'the base is not mutated');
});
