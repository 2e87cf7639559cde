/**
 * Components meet on neutral ground (constructs/contracts/, constructs/core/) or through objects
 * (type-only imports of another component's interfaces), not by importing each other's code. No
 * file under constructs/ imports the config schema at all, not even a type: components declare
 * their own props (constructs/<component>/settings.ts) and the schema conforms to them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';

/** The deployable components. constructs/mllogs (the log-format catalog), contracts/ and core/ are shared ground. */
const COMPONENTS = ['metrics', 'gpu', 'training', 'loki', 'elastic', 'tls'] as const;

/** Imports still to remove, by name (the list can only shrink). */
const KNOWN = new Set<string>([]);

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const IMPORT = /^import (type )?[^;]*? from '([^']+)';/gm;

test('no component imports another component\'s code; nothing under constructs/ imports the config schema', () => {
  const found: string[] = [];
  for (const f of files(path.join(REPO_ROOT, 'constructs'))) {
    const rel = path.relative(REPO_ROOT, f);
    const own = path.relative(path.join(REPO_ROOT, 'constructs'), f).split(path.sep)[0] ?? '';
    for (const m of fs.readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const typeOnly = m[1] !== undefined;
      const spec = m[2] as string;
      const target = path.relative(path.join(REPO_ROOT, 'constructs'), path.resolve(path.dirname(f), spec));
      const top = target.split(path.sep)[0] ?? '';
      const otherComponent = (COMPONENTS as readonly string[]).includes(own) && (COMPONENTS as readonly string[]).includes(top) && top !== own;
      const schema = target.startsWith(path.join('..', 'config', 'schema'));
      if ((otherComponent && !typeOnly) || schema) found.push(`${rel} -> ${spec}`);
    }
  }
  const unexpected = found.filter((x) => !KNOWN.has(x));
  assert.deepEqual(unexpected, [], 'meet on constructs/contracts/ or pass objects instead; take props types from the component, not the schema');
  const gone = [...KNOWN].filter((k) => !found.includes(k));
  assert.deepEqual(gone, [], 'an import on the list is gone: remove it from KNOWN');
});

test('the guard sees what it guards against: a schema type import and a cross-component import are found', () => {
  const lines = ["import type { X } from '../../config/schema/gpu';", "import { Y } from '../loki/loki';"].join('\n');
  const specs = [...lines.matchAll(IMPORT)].map((m) => [m[1] !== undefined, m[2]]);
  assert.deepEqual(specs, [[true, '../../config/schema/gpu'], [false, '../loki/loki']]);
});
