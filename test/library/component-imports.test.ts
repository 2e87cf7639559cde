/**
 * Components meet on neutral ground (constructs/contracts/, constructs/core/) or through objects
 * (type-only imports of another component's interfaces), not by importing each other's code or the
 * config schema. The few imports still left are listed here by name, so the list can only shrink:
 * a new one fails this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';

/** The deployable components. constructs/mllogs (the log-format catalog), contracts/ and core/ are shared ground. */
const COMPONENTS = ['metrics', 'gpu', 'training', 'loki', 'elastic', 'tls'] as const;

/** Still to remove (issue 15 item 3): the Alertmanager renderer reads NULL_RECEIVER from the schema. */
const KNOWN = new Set([
  "constructs/metrics/alertmanager-config.render.ts -> ../../config/schema/metrics",
]);

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

test('no component imports another component\'s code or the config schema, beyond the named few', () => {
  const found: string[] = [];
  for (const c of COMPONENTS) {
    for (const f of files(path.join(REPO_ROOT, 'constructs', c))) {
      const rel = path.relative(REPO_ROOT, f);
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)';/gm)) {
        const spec = m[1] as string;
        const target = path.relative(path.join(REPO_ROOT, 'constructs'), path.resolve(path.dirname(f), spec));
        const top = target.split(path.sep)[0] ?? '';
        const otherComponent = (COMPONENTS as readonly string[]).includes(top) && top !== c;
        const schema = target.startsWith(path.join('..', 'config', 'schema'));
        if (otherComponent || schema) found.push(`${rel} -> ${spec}`);
      }
    }
  }
  const unexpected = found.filter((x) => !KNOWN.has(x));
  assert.deepEqual(unexpected, [], 'meet on constructs/contracts/ or pass objects instead');
  const gone = [...KNOWN].filter((k) => !found.includes(k));
  assert.deepEqual(gone, [], 'an import on the list is gone: remove it from KNOWN');
});
