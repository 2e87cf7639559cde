/**
 * Environment discovery never skips silently: every *.yaml / *.yml entry (extension in any
 * case) is read, a symbolic link is followed, and anything that cannot be an environment file
 * (a folder, a FIFO, a dangling link) is an error naming it. Reading a FIFO must not hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadEnvironments } from '../../config/load';
import { ConfigError } from '../../config/errors';
import { MINIMAL_INPUT } from '../helpers/synth';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-discovery-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const VALID = stringify(MINIMAL_INPUT);

function dirWith(setup: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'c-'));
  setup(dir);
  return dir;
}

function problems(dir: string): string[] {
  try {
    loadEnvironments(dir, 'config');
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  return [];
}

test('a symlinked environment file is followed; an upper-case extension is read', () => {
  const target = path.join(tmp, 'elsewhere.yaml');
  fs.writeFileSync(target, VALID);
  const dir = dirWith((d) => {
    fs.symlinkSync(target, path.join(d, 'prod.yaml'));
    fs.writeFileSync(path.join(d, 'qa.YAML'), VALID);
    fs.writeFileSync(path.join(d, 'dev.Yml'), VALID);
    fs.writeFileSync(path.join(d, 'schema.json'), '{}');
  });
  assert.deepEqual(loadEnvironments(dir, 'config').map((e) => e.name), ['dev', 'prod', 'qa']);
});

const refusals: [string, (d: string) => void, RegExp][] = [
  ['a dangling symbolic link', (d) => fs.symlinkSync(path.join(d, 'gone.yaml'), path.join(d, 'prod.yaml')), /^config\/prod\.yaml: is a symbolic link to .*gone\.yaml, which does not exist$/],
  ['a folder', (d) => fs.mkdirSync(path.join(d, 'prod.yml')), /^config\/prod\.yml: is not a regular file \(a folder\)/],
  ['a FIFO', (d) => execFileSync('mkfifo', [path.join(d, 'prod.yaml')]), /^config\/prod\.yaml: is not a regular file \(a FIFO\)/],
  ['the same environment in two cases', (d) => (fs.writeFileSync(path.join(d, 'prod.yaml'), VALID), fs.writeFileSync(path.join(d, 'prod.YAML'), VALID)), /^config\/prod\.yaml: defines environment "prod" again \(already defined by config\/prod\.YAML\)/],
];

for (const [what, setup, message] of refusals) {
  test(`${what} named like an environment file is an error naming it, not a skip`, () => {
    const dir = dirWith((d) => {
      fs.writeFileSync(path.join(d, 'dev.yaml'), VALID);
      setup(d);
    });
    const found = problems(dir);
    assert.ok(found.some((l) => message.test(l)), found.join('\n'));
  });
}
